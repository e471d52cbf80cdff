package dev.baton.peer;

import dev.baton.netns.Commands;
import dev.baton.netns.NetnsLab;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.*;

@Tag("privileged")
class FlowHoldTest {

    @Test
    void aHeldFlowCarriesNothingUntilReleasedAndThenLosesNothing() throws Exception {
        try (NetnsLab lab = NetnsLab.create("peer", "a")) {
            InetSocketAddress service = new InetSocketAddress(lab.host("a").address(), 7000);
            try (ServerSocketChannel server = lab.host("a").netns().call(() -> ServerSocketChannel.open().bind(service));
                 SocketChannel peer = lab.host("peer").netns().call(() -> SocketChannel.open(service));
                 SocketChannel workload = server.accept();
                 FlowHold hold = FlowHold.create(lab.host("peer").netns())) {
                hold.hold(List.of(), List.of(service)); // everything the peer sends to the service
                peer.write(ByteBuffer.wrap(new byte[]{42}));
                CompletableFuture<Integer> arrived = CompletableFuture.supplyAsync(() -> readOne(workload));
                assertThrows(TimeoutException.class, () -> arrived.get(300, TimeUnit.MILLISECONDS),
                        "nothing crosses while held");
                hold.release();
                assertEquals(42, arrived.get(10, TimeUnit.SECONDS), "the held byte arrives once released");
            }
        }
    }

    @Test
    void thousandsOfEndpointsAreHeldAndReleasedInOneTransactionEach() throws Exception {
        try (NetnsLab lab = NetnsLab.create("a");
             FlowHold hold = FlowHold.create(lab.host("a").netns())) {
            List<InetSocketAddress> endpoints = new ArrayList<>();
            for (int port = 10_000; port < 14_000; port++) endpoints.add(new InetSocketAddress(lab.host("a").address(), port));
            endpoints.add(new InetSocketAddress(InetAddress.getByName("::1"), 80));
            hold.hold(endpoints, List.of());
            assertEquals(4000, elements(lab, hold, "from4"));
            assertEquals(1, elements(lab, hold, "from6"));
            hold.release();
            assertEquals(4000, elements(lab, hold, "from4_released"));
            assertThrows(IllegalStateException.class, () -> hold.hold(endpoints, List.of()), "a hold is used once");
        }
    }

    @Test
    void closingRemovesTheTableAndOrphansOfDeadProcessesAreSwept() throws Exception {
        try (NetnsLab lab = NetnsLab.create("a")) {
            FlowHold hold = FlowHold.create(lab.host("a").netns());
            assertTrue(tables(lab).contains(hold.table()));
            hold.close();
            assertFalse(tables(lab).contains(hold.table()), "close removes the table");

            Process gone = new ProcessBuilder("true").start();
            gone.waitFor();
            String orphan = FlowHold.TABLE_PREFIX + gone.pid() + "_1";
            lab.host("a").netns().exec(FlowHold.tableScript(orphan), "nft", "-f", "-");
            assertEquals(1, FlowHold.sweepOrphans(lab.host("a").netns()));
            assertFalse(tables(lab).contains(orphan));
        }
    }

    private static int readOne(SocketChannel c) {
        try {
            ByteBuffer b = ByteBuffer.allocate(1);
            c.read(b);
            return b.get(0);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String tables(NetnsLab lab) {
        return Commands.run(lab.host("a").command("nft", "list", "tables"), null);
    }

    private static long elements(NetnsLab lab, FlowHold hold, String set) {
        String listing = Commands.run(lab.host("a").command("nft", "-j", "list", "set", "inet", hold.table(), set), null);
        return listing.split("\"concat\"", -1).length - 1;
    }
}
