package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.socket.StateJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Works on this test JVM's own sockets (a process cannot stop itself, so the CLI does not pause it). */
@Tag("privileged")
class SocketsCommandTest {
    private static final int UNREAD = 1234;

    private ServerSocketChannel server;
    private SocketChannel client;
    private SocketChannel accepted;
    private String serverAddress;
    private String clientAddress;

    @BeforeEach
    void connectOverLoopbackAndLeaveBytesUnread() throws Exception {
        server = ServerSocketChannel.open(StandardProtocolFamily.INET)
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client = SocketChannel.open(server.getLocalAddress());
        accepted = server.accept();
        serverAddress = StateJson.format((InetSocketAddress) server.getLocalAddress());
        clientAddress = StateJson.format((InetSocketAddress) client.getLocalAddress());
        client.write(ByteBuffer.wrap(new byte[UNREAD]));
        Thread.sleep(50); // loopback delivers at once; leave it a moment all the same
    }

    @AfterEach
    void close() throws IOException {
        for (var c : List.of(client, accepted, server)) c.close();
    }


    private List<JsonNode> list() throws Exception {
        Cli r = Cli.run("sockets", "list", "--pid", Integer.toString(Cli.selfPid()));
        assertEquals(0, r.exitCode(), r.err());
        List<JsonNode> rows = new ArrayList<>();
        StateJson.mapper().readTree(r.out()).forEach(rows::add);
        return rows;
    }

    @Test
    void listShowsTheAcceptedConnectionWithItsFourTupleAndUnreadBytes() throws Exception {
        JsonNode row = list().stream()
                .filter(n -> n.path("local").asText().equals(serverAddress)
                        && n.path("remote").asText().equals(clientAddress))
                .findFirst().orElseThrow(() -> new AssertionError("no row " + serverAddress + " <- " + clientAddress));
        assertEquals("ESTABLISHED", row.path("state").asText());
        assertEquals(UNREAD, row.path("receiveQueue").path("length").asInt());
        assertEquals(0, row.path("sendQueue").path("unackedLength").asInt());
        assertTrue(row.path("fd").asInt() >= 0 && row.path("inode").asLong() > 0, row.toString());
        long seq = row.path("receiveQueue").path("seq").asLong();
        assertTrue(seq >= 0 && seq <= 0xFFFF_FFFFL, "unsigned 32-bit: " + seq);
    }

    @Test
    void listShowsTheClientSideWithTheMirroredFourTuple() throws Exception {
        JsonNode row = list().stream()
                .filter(n -> n.path("local").asText().equals(clientAddress))
                .findFirst().orElseThrow();
        assertEquals(serverAddress, row.path("remote").asText());
        assertEquals(0, row.path("receiveQueue").path("length").asInt());
    }

    @Test
    void listShowsTheListeningSocketWithFdLocalAndStateOnly() throws Exception {
        JsonNode row = list().stream()
                .filter(n -> n.path("local").asText().equals(serverAddress) && !n.has("remote"))
                .findFirst().orElseThrow();
        assertEquals(List.of("fd", "local", "state"),
                StreamSupport.stream(((Iterable<String>) row::fieldNames).spliterator(), false).toList());
        assertEquals("LISTEN", row.path("state").asText());
    }

    @Test
    void tableShowsTheConnectionOnOneLine() throws Exception {
        Cli r = Cli.run("sockets", "list", "--pid", Integer.toString(Cli.selfPid()), "--table");
        assertEquals(0, r.exitCode(), r.err());
        String row = " *\\d+  ESTABLISHED  " + Pattern.quote(serverAddress) + " +" + Pattern.quote(clientAddress)
                + " +" + UNREAD + " +0/0";
        assertEquals(1, r.out().lines().filter(l -> l.matches(row)).count(), r.out());
    }

    @Test
    void repointOfAMissingFdIsAClearError() {
        Cli r = Cli.run("sockets", "repoint", "--pid", Integer.toString(Cli.selfPid()), "--fd", "99999",
                "--to", "127.0.0.1:9");
        assertEquals(1, r.exitCode());
        assertEquals("baton: cannot re-point fd 99999 of process " + Cli.selfPid()
                + ": the process has no such file descriptor\n", r.err());
    }

    @Test
    void repointOfAListeningSocketIsAClearError() throws Exception {
        int fd = list().stream().filter(n -> n.path("state").asText().equals("LISTEN")
                        && n.path("local").asText().equals(serverAddress))
                .findFirst().orElseThrow().path("fd").asInt();
        Cli r = Cli.run("sockets", "repoint", "--pid", Integer.toString(Cli.selfPid()), "--fd",
                Integer.toString(fd), "--to", "127.0.0.1:9");
        assertEquals(1, r.exitCode());
        assertEquals("baton: cannot re-point fd " + fd + " of process " + Cli.selfPid()
                + ": a listening socket has no connection to capture\n", r.err());
    }
}
