package dev.baton.gateway.proxy;

import dev.baton.gateway.Gateway;
import dev.baton.gateway.GatewayConfig;
import dev.baton.netns.NetnsLab;
import dev.baton.netns.NetnsLab.Host;
import dev.baton.peer.FlowHold;
import dev.baton.socket.ProcessSockets;
import dev.baton.socket.RepairSession;
import dev.baton.socket.TcpSocket;
import dev.baton.socket.TcpSocketState;
import dev.baton.socket.audit.WireAudit;
import dev.baton.socket.audit.WireCapture;
import dev.baton.socket.audit.WireReport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.baton.gateway.proxy.ProxyTesting.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The gateway between network namespaces, doing what a migration does with it: a flow's upstream socket captured
 * in repair mode, rebuilt and adopted while the stream runs; new peers held during a pause and sent to the new
 * host, which the state file remembers across a restart. Hosts peer, gw, a, b of a {@link NetnsLab}.
 */
@Tag("privileged")
class MigrationLabTest {
    private static final int LISTEN = 9000, WORKLOAD = 7000;

    @TempDir
    Path dir;

    private GatewayConfig config(Host gw, Host... hosts) {
        StringBuilder json = new StringBuilder("{\"hosts\": {");
        for (int i = 0; i < hosts.length; i++) {
            String ip = hosts[i].address().getHostAddress();
            json.append(i == 0 ? "" : ", ").append("\"").append(hosts[i].name()).append("\": {\"agent\": \"")
                    .append(ip).append(":7441\", \"address\": \"").append(ip).append("\"}");
        }
        json.append("}, \"services\": [{\"name\": \"echo\", \"listen\": \"").append(gw.address().getHostAddress())
                .append(":").append(LISTEN).append("\", \"workload\": \"echo\", \"host\": \"").append(hosts[0].name())
                .append("\", \"port\": ").append(WORKLOAD).append("}], \"state\": \"")
                .append(dir.resolve("state.json")).append("\"}");
        return GatewayConfig.parse(json.toString());
    }

    private static SocketChannel connectFrom(Host peer, Host gw) throws Exception {
        return peer.netns().call(() -> SocketChannel.open(new InetSocketAddress(gw.address(), LISTEN)));
    }

    @Test
    void aFlowWhoseUpstreamIsCapturedRebuiltAndAdoptedCarriesItsStreamOnExactlyWithoutReset() throws Exception {
        try (NetnsLab lab = NetnsLab.create("peer", "gw", "a")) {
            Host peer = lab.host("peer"), gw = lab.host("gw"), a = lab.host("a");
            InetSocketAddress workloadAddress = new InetSocketAddress(a.address(), WORKLOAD);
            Path pcap = dir.resolve("gw.pcap");
            try (TestUpstream workload = a.netns().call(() -> TestUpstream.echo(workloadAddress));
                 Gateway gateway = gw.netns().call(() -> Gateway.start(config(gw, a)));
                 WireCapture wire = WireCapture.start(gw.netns(), "eth0", "tcp port " + WORKLOAD, pcap);
                 SocketChannel client = connectFrom(peer, gw);
                 FlowHold holdAtGw = FlowHold.create(gw.netns());
                 FlowHold holdAtA = FlowHold.create(a.netns())) {
                byte[] stream = random(8 * MIB, 1);
                // a paced stream, so the migration happens in the middle of it
                CompletableFuture<Void> writing = async(() -> {
                    for (int at = 0; at < stream.length; at += 64 * KIB) {
                        client.write(ByteBuffer.wrap(stream, at, Math.min(64 * KIB, stream.length - at)));
                        Thread.sleep(2);
                    }
                    return null;
                });
                CompletableFuture<byte[]> echoed = async(() -> readExactly(client, stream.length));
                Flow flow = onlyFlow(gateway);
                await("the stream to be under way", () -> flow.bytesDown() > MIB);
                InetSocketAddress gatewayEnd = flow.upstreamLocal();

                join(flow.freeze());
                Thread.sleep(100); // the workload acknowledges what it got: no unacknowledged tail to resend
                holdAtGw.hold(List.of(), List.of(workloadAddress)); // the lock: nothing from gw reaches a...
                holdAtA.hold(List.of(workloadAddress), List.of());  // ...and nothing from a reaches gw
                Thread.sleep(20);
                int fd = join(flow.detachUpstream());
                TcpSocketState state;
                RepairSession rebuilt;
                try (ProcessSockets self = ProcessSockets.open((int) ProcessHandle.current().pid())) {
                    RepairSession captured = RepairSession.enter(self.grab(fd)); // on a duplicate of the fd
                    state = captured.snapshot();
                    join(flow.closeDetachedUpstream()); // Netty's fd closes; the duplicate keeps the socket
                    captured.closeSilently(); // the last close, in repair mode: no FIN, no RST
                    rebuilt = gw.netns().call(() -> RepairSession.rebuild(state));
                }
                holdAtGw.release();
                holdAtA.release();
                rebuilt.resume();
                TcpSocket socket = rebuilt.socket();
                join(flow.adoptUpstream(socket.fd()));
                join(flow.thaw());

                join(writing);
                assertEquals(sha256(stream), sha256(join(echoed)), "the stream went on byte for byte");
                assertEquals(Flow.State.OPEN, flow.state());
                assertEquals(gatewayEnd, flow.upstreamLocal(), "the rebuilt socket has the same 4-tuple");
                assertEquals(workloadAddress, flow.upstreamRemote());
                assertEquals(stream.length, flow.bytesUp());
                assertEquals(1, workload.acceptedCount(), "no new connection to the workload");

                wire.close();
                WireReport report = WireAudit.analyze(pcap, gatewayEnd);
                assertEquals(0, report.rstCount(), "no RST between gateway and workload: " + report);
                assertTrue(report.isClean(), "wire audit: " + report);
            }
        }
    }

    @Test
    void peersThatConnectDuringAPauseAreServedByTheNewHostWhichTheGatewayRemembersAcrossARestart() throws Exception {
        try (NetnsLab lab = NetnsLab.create("peer", "gw", "a", "b")) {
            Host peer = lab.host("peer"), gw = lab.host("gw"), a = lab.host("a"), b = lab.host("b");
            GatewayConfig config = config(gw, a, b);
            try (TestUpstream atA = a.netns().call(() -> TestUpstream.echo(new InetSocketAddress(a.address(), WORKLOAD), "a\n"));
                 TestUpstream atB = b.netns().call(() -> TestUpstream.echo(new InetSocketAddress(b.address(), WORKLOAD), "b\n"))) {
                try (Gateway gateway = gw.netns().call(() -> Gateway.start(config));
                     SocketChannel first = connectFrom(peer, gw)) {
                    Service echo = gateway.service("echo").orElseThrow();
                    assertEquals("a\n", text(readExactly(first, 2)), "served by a");

                    echo.pauseNewFlows();
                    try (SocketChannel second = connectFrom(peer, gw)) {
                        writeAll(second, "hello".getBytes(StandardCharsets.US_ASCII));
                        await("a waiting flow", () -> echo.flows().stream().anyMatch(f -> f.state() == Flow.State.WAITING));
                        assertEquals(0, readFor(second, 300).length, "a waiting peer gets nothing yet");
                        assertEquals(1, atA.acceptedCount(), "no connect to a for the waiting peer");
                        assertEquals(0, atB.acceptedCount(), "nor to b");
                        assertTrue(gateway.scrape().contains(
                                "baton_gateway_flows_waiting{service=\"echo\",workload=\"echo\"} 1"), gateway.scrape());

                        echo.resumeNewFlows("b");
                        assertEquals("b\nhello", text(readExactly(second, 7)), "served by b, with what it sent");
                        assertEquals("b", echo.host());
                        assertEquals(new InetSocketAddress(b.address(), WORKLOAD), echo.target());
                        assertTrue(Files.readString(gateway.stateFile()).contains("\"echo\" : \"b\""),
                                Files.readString(gateway.stateFile()));

                        writeAll(first, "x".getBytes(StandardCharsets.US_ASCII));
                        assertEquals("x", text(readExactly(first, 1)), "the older flow stays with a");
                        echo.resumeNewFlows("b"); // idempotent
                        assertEquals(1, atB.acceptedCount());
                    }
                }
                try (Gateway restarted = gw.netns().call(() -> Gateway.start(config));
                     SocketChannel third = connectFrom(peer, gw)) {
                    assertEquals("b", restarted.service("echo").orElseThrow().host());
                    assertEquals("b\n", text(readExactly(third, 2)), "a restarted gateway connects to b");
                }
            }
        }
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.US_ASCII);
    }
}
