package dev.baton.gateway.admin;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.keys.InsistentKeyManager;
import dev.baton.gateway.migrate.MigrationRefusedException;
import dev.baton.socket.StateJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The admin server over real TLS on loopback, with callers of this cluster, of none and of another. */
class AdminServerTest {
    @TempDir
    Path tmp;
    ClusterKeys gateway;
    ClusterKeys cli;
    ClusterKeys otherCluster;
    final List<AutoCloseable> open = new ArrayList<>();

    record Service(String name, String listen, int flows) {
    }

    record Stamped(String what, Instant at) {
    }

    @BeforeEach
    void cluster() {
        gateway = ClusterKeys.init(tmp.resolve("gw"), "gw");
        cli = ClusterKeys.issue(tmp.resolve("gw"), "cli", tmp.resolve("cli"));
        otherCluster = ClusterKeys.init(tmp.resolve("other"), "cli");
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) c.close();
    }

    private AdminServer start(AdminRoutes routes) throws IOException {
        return start(new InetSocketAddress("127.0.0.1", 0), routes);
    }

    private AdminServer start(InetSocketAddress listen, AdminRoutes routes) throws IOException {
        AdminServer server = AdminServer.start(listen, gateway.tlsContext(), routes);
        open.add(server);
        return server;
    }

    private AdminClient client(AdminServer server) {
        AdminClient client = AdminClient.create(server.address(), cli);
        open.add(client);
        return client;
    }

    /** A plain JDK client with the caller's cluster TLS context, to see status, headers and bodies as sent. */
    private HttpResponse<String> raw(AdminServer server, String method, String path, String body) throws Exception {
        try (HttpClient http = HttpClient.newBuilder().sslContext(cli.tlsContext())
                .version(HttpClient.Version.HTTP_1_1).build()) {
            return http.send(HttpRequest.newBuilder(URI.create("https://" + StateJson.format(server.address()) + path))
                            .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    private static AdminRoutes routes() {
        return new AdminRoutes()
                .get("/services", r -> List.of(new Service("echo", "198.18.0.1:7000", 2),
                        new Service("web", "198.18.0.1:8080", 0)))
                .get("/stamped", r -> new Stamped("start", Instant.parse("2026-11-25T10:15:30.250Z")))
                .get("/things/{id}", r -> {
                    if (!r.pathParam("id").equals("t1")) throw AdminException.notFound("no thing " + r.pathParam("id"));
                    return Map.of("id", "t1", "color", r.query("color").orElse("none"));
                })
                .get("/things/{id}/parts/{part}", r -> Map.of("id", r.pathParam("id"), "part", r.pathParam("part"),
                        "caller", r.caller()))
                .get("/things/special", r -> Map.of("special", true))
                .post("/things", r -> Reply.accepted(r.body(Service.class)))
                .post("/refused", r -> {
                    throw new MigrationRefusedException("host b has no CRIU: install CRIU 4.2 there");
                })
                .get("/broken", r -> {
                    throw new IllegalStateException("the flow table is locked");
                })
                .get("/metrics", r -> new Reply.Text(Reply.PROMETHEUS_TEXT, "baton_flows 3\n"));
    }

    @Test
    void answersEachRouteWithTheJsonItsHandlerReturned() throws Exception {
        AdminServer server = start(routes());

        HttpResponse<String> services = raw(server, "GET", "/services", null);
        assertEquals(200, services.statusCode());
        assertEquals("application/json", services.headers().firstValue("content-type").orElseThrow());
        assertEquals("[{\"name\":\"echo\",\"listen\":\"198.18.0.1:7000\",\"flows\":2},"
                + "{\"name\":\"web\",\"listen\":\"198.18.0.1:8080\",\"flows\":0}]", services.body());
        assertEquals("{\"what\":\"start\",\"at\":\"2026-11-25T10:15:30.250Z\"}", raw(server, "GET", "/stamped", null)
                .body(), "instants are ISO-8601");

        List<Service> typed = client(server).get("/services", new TypeReference<List<Service>>() {});
        assertEquals(List.of(new Service("echo", "198.18.0.1:7000", 2), new Service("web", "198.18.0.1:8080", 0)), typed);
        assertEquals(new Stamped("start", Instant.parse("2026-11-25T10:15:30.250Z")),
                client(server).get("/stamped", Stamped.class));
    }

    @Test
    void passesPathAndQueryParametersDecodedToTheHandler() throws Exception {
        AdminClient client = client(start(routes()));

        JsonNode thing = client.get("/things/t1?color=dark%20red", JsonNode.class);
        assertEquals("t1", thing.path("id").asText());
        assertEquals("dark red", thing.path("color").asText());
        assertEquals("none", client.get("/things/t1/", JsonNode.class).path("color").asText(),
                "a trailing slash is ignored, an absent query parameter is empty");

        JsonNode part = client.get("/things/t1/parts/a%2Fb", JsonNode.class);
        assertEquals("a/b", part.path("part").asText(), "an encoded slash stays inside its segment");
        assertEquals("cli", part.path("caller").asText(), "the caller is the CN of its client certificate");
        assertTrue(client.get("/things/special", JsonNode.class).path("special").asBoolean(),
                "a literal segment wins over a parameter");
    }

    @Test
    void aPostAnswersWithTheStatusItsHandlerChose() throws Exception {
        AdminServer server = start(routes());

        HttpResponse<String> r = raw(server, "POST", "/things", "{\"name\":\"db\",\"listen\":\"198.18.0.1:5432\",\"flows\":1}");
        assertEquals(202, r.statusCode());
        assertEquals("{\"name\":\"db\",\"listen\":\"198.18.0.1:5432\",\"flows\":1}", r.body());
        assertEquals(new Service("db", "198.18.0.1:5432", 1),
                client(server).post("/things", new Service("db", "198.18.0.1:5432", 1), Service.class));
    }

    @Test
    void anUnknownPathIsA404WithAJsonError() throws Exception {
        AdminServer server = start(routes());

        HttpResponse<String> r = raw(server, "GET", "/nothing/here?x=1", null);
        assertEquals(404, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow());
        assertEquals("{\"error\":\"no such path: /nothing/here\"}", r.body());

        AdminException e = assertThrows(AdminException.class, () -> client(server).get("/nothing", JsonNode.class));
        assertEquals(404, e.status());
        assertEquals("no such path: /nothing", e.getMessage());
    }

    @Test
    void anUnknownIdIsA404WithTheHandlersMessage() throws Exception {
        AdminServer server = start(routes());

        HttpResponse<String> r = raw(server, "GET", "/things/t9", null);
        assertEquals(404, r.statusCode());
        assertEquals("{\"error\":\"no thing t9\"}", r.body());
    }

    @Test
    void aMethodThePathDoesNotTakeIsA405NamingTheOnesItTakes() throws Exception {
        HttpResponse<String> r = raw(start(routes()), "POST", "/services", "{}");
        assertEquals(405, r.statusCode());
        assertEquals("GET", r.headers().firstValue("allow").orElseThrow());
        assertEquals("{\"error\":\"/services takes GET, not POST\"}", r.body());
    }

    @Test
    void badJsonIsA400SayingWhatIsWrong() throws Exception {
        AdminServer server = start(routes());

        HttpResponse<String> notJson = raw(server, "POST", "/things", "{name: db");
        assertEquals(400, notJson.statusCode());
        assertTrue(notJson.body().startsWith("{\"error\":\"bad JSON body: not valid JSON ("), notJson.body());

        HttpResponse<String> missing = raw(server, "POST", "/things", "{\"name\":\"db\",\"flows\":1}");
        assertEquals(400, missing.statusCode());
        assertEquals("{\"error\":\"bad JSON body: missing field 'listen'\"}", missing.body());

        HttpResponse<String> unknown = raw(server, "POST", "/things", "{\"name\":\"db\",\"listen\":\"x\",\"flows\":1,"
                + "\"color\":\"red\"}");
        assertEquals(400, unknown.statusCode());
        assertEquals("{\"error\":\"bad JSON body: unknown field 'color' (known: flows, listen, name)\"}", unknown.body());

        HttpResponse<String> wrongType = raw(server, "POST", "/things", "{\"name\":\"db\",\"listen\":\"x\",\"flows\":\"many\"}");
        assertEquals(400, wrongType.statusCode());
        assertEquals("{\"error\":\"bad JSON body: field 'flows' has the wrong type (many)\"}", wrongType.body());

        HttpResponse<String> empty = raw(server, "POST", "/things", null);
        assertEquals(400, empty.statusCode());
        assertEquals("{\"error\":\"the request has no body: a JSON object is expected\"}", empty.body());
    }

    @Test
    void aRefusedMigrationIsA409WithTheReason() throws Exception {
        AdminServer server = start(routes());

        HttpResponse<String> r = raw(server, "POST", "/refused", "{}");
        assertEquals(409, r.statusCode());
        assertEquals("{\"error\":\"host b has no CRIU: install CRIU 4.2 there\"}", r.body());

        AdminException e = assertThrows(AdminException.class, () -> client(server).post("/refused", Map.of(), JsonNode.class));
        assertEquals(409, e.status());
        assertEquals("host b has no CRIU: install CRIU 4.2 there", e.getMessage());
    }

    @Test
    void aFailingHandlerIsA500NamingTheRequestAndTheCause() throws Exception {
        HttpResponse<String> r = raw(start(routes()), "GET", "/broken", null);
        assertEquals(500, r.statusCode());
        assertEquals("{\"error\":\"GET /broken failed: the flow table is locked (details in the gateway's log)\"}",
                r.body());
    }

    @Test
    void metricsAreServedAsPrometheusText() throws Exception {
        HttpResponse<String> r = raw(start(routes()), "GET", "/metrics", null);
        assertEquals(200, r.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("content-type").orElseThrow());
        assertEquals("baton_flows 3\n", r.body());
    }

    @Test
    void aHandlerThatBlocksDoesNotStallAnotherRequest() throws Exception {
        CountDownLatch slowRunning = new CountDownLatch(1);
        CountDownLatch fastAnswered = new CountDownLatch(1);
        AdminServer server = start(new AdminRoutes()
                .get("/slow", r -> {
                    slowRunning.countDown();
                    Thread.sleep(200);
                    // Still blocked until the other request has been answered (or 5 s: then it was stalled).
                    return Map.of("sawFastAnswered", fastAnswered.await(5, TimeUnit.SECONDS));
                })
                .get("/fast", r -> Map.of("fast", true)));
        AdminClient client = client(server);

        CompletableFuture<JsonNode> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return client.get("/slow", JsonNode.class);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertTrue(slowRunning.await(5, TimeUnit.SECONDS), "the slow handler runs");
        assertTrue(client.get("/fast", JsonNode.class).path("fast").asBoolean());
        assertFalse(slow.isDone(), "the fast request was answered while the slow handler still blocked");
        fastAnswered.countDown();

        assertTrue(slow.get(10, TimeUnit.SECONDS).path("sawFastAnswered").asBoolean());
    }

    @Test
    void pipelinedRequestsAreAnsweredInTheOrderTheyCame() throws Exception {
        AdminServer server = start(new AdminRoutes()
                .get("/slow", r -> {
                    Thread.sleep(200);
                    return Map.of("n", 1);
                })
                .get("/fast", r -> Map.of("n", 2)));

        StringBuilder answers = new StringBuilder();
        try (SSLSocket s = (SSLSocket) cli.tlsContext().getSocketFactory().createSocket("127.0.0.1",
                server.address().getPort())) {
            s.setSoTimeout(5000);
            // Three requests in one write: a slow one, an unknown path (answered at once), a fast one; then close.
            s.getOutputStream().write(("GET /slow HTTP/1.1\r\nHost: gw\r\n\r\n"
                    + "GET /none HTTP/1.1\r\nHost: gw\r\n\r\n"
                    + "GET /fast HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            for (int n; (n = in.read(buf)) > 0; ) answers.append(new String(buf, 0, n, StandardCharsets.US_ASCII));
        }

        List<String> bodies = Pattern.compile("\\{[^}]*}").matcher(answers).results().map(MatchResult::group).toList();
        assertEquals(List.of("{\"n\":1}", "{\"error\":\"no such path: /none\"}", "{\"n\":2}"), bodies,
                answers.toString());
    }

    @Test
    void aClientWithoutACertificateGetsNoHttpAnswer() throws Exception {
        AdminServer server = start(routes());

        String answer = exchangeRaw(server.address(), new KeyManager[0]);

        assertEquals("", answer, "no HTTP answer without a client certificate");
    }

    @Test
    void aClientWithACertificateOfAnotherClusterGetsNoHttpAnswer() throws Exception {
        AdminServer server = start(routes());

        // It trusts the gateway (so only the server's check can stop it) and presents another cluster's identity
        // even though the server asks for one of its own CA (the JDK's key manager would send none).
        String answer = exchangeRaw(server.address(), new KeyManager[] {new InsistentKeyManager(otherCluster)});

        assertEquals("", answer, "no HTTP answer for another cluster's certificate");
    }

    @Test
    void theClientSaysWhichSideRefusedTheCertificates() throws Exception {
        AdminServer server = start(routes());

        AdminConnectionException untrusted = assertThrows(AdminConnectionException.class,
                () -> AdminClient.create(server.address(), otherCluster).get("/services", JsonNode.class));
        assertEquals(AdminConnectionException.Reason.UNTRUSTED_PEER, untrusted.reason());
        assertEquals("the gateway admin API at " + StateJson.format(server.address()) + " presented a certificate "
                + "not issued by our cluster CA (another cluster's gateway, or the wrong keys)", untrusted.getMessage());

        AdminConnectionException refused = assertThrows(AdminConnectionException.class,
                () -> mixedClient(server.address()).get("/services", JsonNode.class));
        assertEquals(AdminConnectionException.Reason.CERTIFICATE_REFUSED, refused.reason());
        assertEquals("the gateway admin API at " + StateJson.format(server.address()) + " refused our certificate "
                + "(certificate_unknown): the caller's identity must be issued by the gateway's cluster CA",
                refused.getMessage());
    }

    @Test
    void theClientReachesAGatewayByAnAddressItsCertificateDoesNotName() throws Exception {
        // Cluster hosts are authenticated by the cluster CA, not by name: 127.0.0.2 is not in the certificate.
        AdminServer server = start(new InetSocketAddress("127.0.0.2", 0), routes());

        assertEquals(2, client(server).get("/services", JsonNode.class).size());
    }

    @Test
    void nothingListeningIsSaidPlainly() throws Exception {
        AdminServer server = start(routes());
        InetSocketAddress gone = server.address();
        server.close();

        AdminConnectionException e = assertThrows(AdminConnectionException.class,
                () -> AdminClient.create(gone, cli).get("/services", JsonNode.class));
        assertEquals(AdminConnectionException.Reason.UNREACHABLE, e.reason());
        assertEquals("no gateway admin API at " + StateJson.format(gone) + " (is `baton gateway` running?)",
                e.getMessage());
    }

    @Test
    void itListensOnLoopbackOnlyUnlessGivenAnotherAddress() throws Exception {
        assertEquals(new InetSocketAddress("127.0.0.1", 7440), AdminServer.DEFAULT_LISTEN);
        AdminServer server = start(new InetSocketAddress(AdminServer.DEFAULT_LISTEN.getAddress(), 0), routes());

        // The kernel's own table: one listening socket on that port, bound to 127.0.0.1 and nothing else.
        List<String> listeners = listeningAddressesOnPort(server.address().getPort());
        assertEquals(1, listeners.size(), listeners.toString());
        assertTrue(listeners.getFirst().equals("0100007F") // 127.0.0.1, as IPv4 or IPv4-mapped IPv6
                || listeners.getFirst().equals("0000000000000000FFFF00000100007F"), listeners.toString());
    }

    @Test
    void aTakenPortIsAClearErrorNamingTheAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", taken.getLocalPort());

            IOException e = assertThrows(IOException.class, () -> start(address, routes()));

            assertEquals("admin API cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": the address is already "
                    + "in use (another gateway? give another admin address)", e.getMessage());
        }
    }

    @Test
    void routesAddedAfterStartingAreNotServed() throws Exception {
        AdminRoutes routes = routes();
        AdminServer server = start(routes);
        routes.get("/late", r -> "late");

        assertEquals(404, raw(server, "GET", "/late", null).statusCode());
    }

    @Test
    void aRouteGivenTwiceOrMalformedIsRefusedWhenAdded() {
        AdminRoutes routes = new AdminRoutes().get("/a/{id}", r -> "a");
        assertEquals("route GET /a/{x} is given twice", assertThrows(IllegalArgumentException.class,
                () -> routes.get("/a/{x}", r -> "b")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> routes.get("a", r -> "c"));
        assertThrows(IllegalArgumentException.class, () -> routes.get("/a/x{id}", r -> "c"));
        routes.post("/a/{id}", r -> "d"); // another method on the same path is another route
        assertEquals(List.of("GET /a/{id}", "POST /a/{id}"), routes.describe());
    }

    /**
     * Connects with TLS 1.3 trusting the gateway's CA and presenting {@code identity} (none when empty), sends a GET
     * and returns what came back before the connection ended (the failure is what a refused caller sees).
     */
    private String exchangeRaw(InetSocketAddress server, KeyManager[] identity) throws Exception {
        SSLContext tls = SSLContext.getInstance("TLSv1.3");
        tls.init(identity, gateway.trustManagerFactory().getTrustManagers(), null);
        StringBuilder answer = new StringBuilder();
        try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(server.getAddress(), server.getPort())) {
            s.setSoTimeout(5000);
            s.startHandshake();
            s.getOutputStream().write("GET /services HTTP/1.1\r\nHost: gw\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            for (int n; (n = in.read(buf)) > 0; ) answer.append(new String(buf, 0, n, StandardCharsets.US_ASCII));
        } catch (IOException refused) {
            // the handshake failed on the server's side: the alert, or the connection closed
        }
        return answer.toString();
    }

    /** A client that trusts the gateway's CA but presents another cluster's identity (127.0.0.1 only: names checked). */
    private AdminClient mixedClient(InetSocketAddress server) throws Exception {
        AdminClient client = AdminClient.create(server, InsistentKeyManager.context(otherCluster, gateway));
        open.add(client);
        return client;
    }

    /** The local addresses (hex, as /proc/net/tcp writes them) of the sockets listening on {@code port}. */
    private static List<String> listeningAddressesOnPort(int port) throws IOException {
        String hexPort = HexFormat.of().withUpperCase().toHexDigits((short) port);
        List<String> found = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            List<String> lines = Files.readAllLines(Path.of(table));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                String[] local = f[1].split(":");
                if (local[1].equals(hexPort) && f[3].equals("0A")) found.add(local[0]);
            }
        }
        return found;
    }
}
