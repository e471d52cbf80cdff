package dev.baton.gateway.admin;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.ckpt.keys.ClusterConnectionException.Reason;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.keys.ClusterTlsFailures;
import dev.baton.socket.StateJson;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static dev.baton.gateway.admin.AdminConnectionException.at;

/**
 * Calls a gateway's admin API as this host of the cluster (mutual TLS 1.3 with {@code keys}), over the JDK's HTTP
 * client. Answers are read as JSON into the type asked for; fields the type does not know are ignored.
 *
 * <p>Exceptions: {@link AdminConnectionException} (an {@link IOException}) when the gateway could not be reached
 * or no usable answer came back — its message says what to check; {@link AdminException} (unchecked) when the
 * gateway answered with an error, carrying its status and message.
 */
public final class AdminClient implements AutoCloseable {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Long enough for {@code POST /migrations}, which plans (and asks the target agent) before it answers. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final InetSocketAddress admin;
    private final HttpClient http;

    private AdminClient(InetSocketAddress admin, HttpClient http) {
        this.admin = admin;
        this.http = http;
    }

    /** A client of the admin API at {@code admin}; it connects on the first call. */
    public static AdminClient create(InetSocketAddress admin, ClusterKeys keys) {
        return create(admin, ClusterTrust.clientContext(keys));
    }

    /** A client with a TLS context of its own (tests: identities the cluster keys cannot express). */
    static AdminClient create(InetSocketAddress admin, SSLContext tls) {
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .sslContext(tls)
                .sslParameters(ClusterTrust.clientParameters(tls))
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        return new AdminClient(admin, http);
    }

    public InetSocketAddress address() {
        return admin;
    }

    /** {@code GET path} (with its query, if any), the answer as {@code type}. */
    public <T> T get(String path, Class<T> type) throws IOException {
        return call("GET", path, null, AdminJson.LENIENT.constructType(type));
    }

    /** {@code GET path}, the answer as {@code type} (e.g. {@code new TypeReference<List<MigrationView>>() {}}). */
    public <T> T get(String path, TypeReference<T> type) throws IOException {
        return call("GET", path, null, AdminJson.LENIENT.constructType(type));
    }

    /** {@code GET path}, the answer as text (e.g. {@code /metrics}). */
    public String getText(String path) throws IOException {
        return new String(send("GET", path, null, "text/plain, */*"), StandardCharsets.UTF_8);
    }

    /** {@code POST path} with {@code body} as JSON, the answer as {@code type}. */
    public <T> T post(String path, Object body, Class<T> type) throws IOException {
        return call("POST", path, body, AdminJson.LENIENT.constructType(type));
    }

    /** {@code POST path} with {@code body} as JSON, the answer as {@code type}. */
    public <T> T post(String path, Object body, TypeReference<T> type) throws IOException {
        return call("POST", path, body, AdminJson.LENIENT.constructType(type));
    }

    private <T> T call(String method, String path, Object body, JavaType type) throws IOException {
        byte[] answer = send(method, path, body, Responses.JSON);
        if (answer.length == 0) return null;
        try {
            return AdminJson.LENIENT.readValue(answer, type);
        } catch (IOException e) {
            throw new AdminConnectionException(Reason.PROTOCOL, admin, at(admin) + " answered " + method + " " + path
                    + " with JSON this client cannot read as " + type.toCanonical() + ": " + e.getMessage(), e);
        }
    }

    /** The body of a 2xx answer (empty for 204). */
    private byte[] send(String method, String path, Object body, String accept) throws IOException {
        if (!path.startsWith("/")) throw new IllegalArgumentException("an admin API path starts with '/': " + path);
        String what = method + " " + path;
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("https://" + StateJson.format(admin) + path))
                .timeout(CALL_TIMEOUT)
                .header("Accept", accept);
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", Responses.JSON)
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(AdminJson.write(body)));
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(what + " on " + at(admin) + " interrupted");
        } catch (IOException e) {
            throw failure(what, e);
        }
        int status = response.statusCode();
        byte[] answer = response.body();
        if (status >= 400 && status <= 599) throw new AdminException(status, errorMessage(status, answer));
        if (status < 200 || status > 299) {
            throw new AdminConnectionException(Reason.PROTOCOL, admin, at(admin) + " answered " + what + " with HTTP "
                    + status + ", which the admin API does not send", null);
        }
        return status == 204 ? new byte[0] : answer;
    }

    /** The message of the API's {@code {"error": "..."}} body, or what came instead. */
    private String errorMessage(int status, byte[] body) {
        try {
            JsonNode error = AdminJson.LENIENT.readTree(body).path("error");
            if (error.isTextual()) return error.asText();
        } catch (IOException ignored) {
            // not the API's error body: show what came
        }
        String text = new String(body, StandardCharsets.UTF_8).strip();
        return "HTTP " + status + " from " + at(admin) + (text.isEmpty() ? "" : ": "
                + (text.length() > 200 ? text.substring(0, 200) + "…" : text));
    }

    /** A failure of the JDK client, as the caller should see it. */
    private AdminConnectionException failure(String what, IOException e) {
        if (e instanceof HttpConnectTimeoutException) {
            return new AdminConnectionException(Reason.UNREACHABLE, admin, at(admin) + " did not accept a "
                    + "connection within " + CONNECT_TIMEOUT.toSeconds() + " s (is the address right?)", e);
        }
        if (e instanceof HttpTimeoutException) {
            return new AdminConnectionException(Reason.UNREACHABLE, admin, at(admin) + " did not answer " + what
                    + " within " + CALL_TIMEOUT.toSeconds() + " s", e);
        }
        if (ClusterTlsFailures.causedBy(e, ConnectException.class)) {
            return new AdminConnectionException(Reason.UNREACHABLE, admin, "no gateway admin API at "
                    + StateJson.format(admin) + " (is `baton gateway` running?)", e);
        }
        if (ClusterTlsFailures.causedBy(e, NoRouteToHostException.class)) {
            return new AdminConnectionException(Reason.UNREACHABLE, admin, at(admin) + " is unreachable: no route "
                    + "to the host", e);
        }
        if (ClusterTlsFailures.peerRefusedOurCertificate(e)) {
            return new AdminConnectionException(Reason.CERTIFICATE_REFUSED, admin, at(admin) + " refused our "
                    + "certificate (" + ClusterTlsFailures.alert(e).orElseThrow() + "): the caller's identity must be "
                    + "issued by the gateway's cluster CA", e);
        }
        if (ClusterTlsFailures.peerNotFromOurCa(e)) {
            return new AdminConnectionException(Reason.UNTRUSTED_PEER, admin, at(admin) + " presented a "
                    + "certificate not issued by our cluster CA (another cluster's gateway, or the wrong keys)", e);
        }
        if (e instanceof SSLException) {
            return new AdminConnectionException(Reason.HANDSHAKE, admin, "TLS with " + at(admin) + " failed: "
                    + e.getMessage() + " (check the certificates of both sides)", e);
        }
        return new AdminConnectionException(Reason.LOST, admin, at(admin) + " dropped the connection during " + what
                + ": " + e.getMessage() + " (if right after connecting: it may have refused our certificate)", e);
    }

    /** Closes the client's connections. */
    @Override
    public void close() {
        http.close();
    }

    @Override
    public String toString() {
        return "admin client of " + StateJson.format(admin);
    }
}
