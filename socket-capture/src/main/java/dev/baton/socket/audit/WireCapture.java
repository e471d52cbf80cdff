package dev.baton.socket.audit;

import dev.baton.netns.NetNamespace;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface.PromiscuousMode;
import org.pcap4j.core.PcapStat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A live capture into a pcap file, on one interface of one network namespace, for {@link WireAudit}. Headers
 * only (snaplen {@value #SNAPLEN}: payload lengths come from the IP header), nanosecond timestamps, promiscuous,
 * immediate delivery; a dedicated platform thread writes every packet the BPF filter accepts.
 * <p>
 * Capture is running when {@link #start} returns: the packet socket is open and filtered, so packets that
 * arrive before the writer thread is scheduled wait in the kernel ring. {@link #close()} lets the file settle
 * (until nothing was written for {@value #SETTLE_MILLIS} ms, at most 1 s) so that packets already on the wire
 * reach it, then stops, flushes and releases everything.
 */
public final class WireCapture implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WireCapture.class);
    static final int SNAPLEN = 256;
    static final int SETTLE_MILLIS = 20;
    private static final int TIMEOUT_MILLIS = 50;
    private static final int BUFFER_BYTES = 16 << 20;

    /**
     * Kernel counters of a capture ({@code pcap_stats}).
     *
     * @param captured packets the filter accepted
     * @param dropped  packets the kernel dropped because the capture buffer was full; an audit of a capture
     *                 with drops sees holes that were not on the wire
     */
    public record Stats(long captured, long dropped) {}

    private final String description;
    private final Path file;
    private final PcapHandle handle;
    private final PcapDumper dumper;
    private final Thread writer;
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private boolean closed;
    private Stats finalStats;

    private WireCapture(String description, Path file, PcapHandle handle, PcapDumper dumper) {
        this.description = description;
        this.file = file;
        this.handle = handle;
        this.dumper = dumper;
        this.writer = Thread.ofPlatform().name("wire-capture " + description).daemon().unstarted(this::writeAll);
    }

    /**
     * Starts capturing on {@code interfaceName} inside {@code ns} into {@code pcapFile} (overwritten).
     *
     * @param bpfFilter a tcpdump filter expression, such as {@code tcp port 7000}; empty for everything
     * @throws IOException              when the interface does not exist in that namespace, the caller may not
     *                                  capture there (needs CAP_NET_RAW), the file cannot be written, or libpcap is
     *                                  not installed ("libpcap not installed: run scripts/install-deps.sh")
     * @throws IllegalArgumentException when the filter does not compile
     * @throws dev.baton.netns.NetnsException when the namespace cannot be entered
     */
    public static WireCapture start(NetNamespace ns, String interfaceName, String bpfFilter, Path pcapFile)
            throws IOException {
        String description = interfaceName + " in " + ns;
        WireCapture capture;
        try {
            capture = ns.call(() -> open(description, interfaceName, bpfFilter, pcapFile));
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted opening a capture on " + description);
        } catch (Exception e) {
            throw new IOException("cannot capture on " + description, e);
        }
        capture.writer.start();
        return capture;
    }

    /** Runs in the namespace: the packet socket belongs to the namespace of the thread that opens it. */
    private static WireCapture open(String description, String interfaceName, String bpfFilter, Path pcapFile)
            throws IOException {
        Libpcap.require();
        PcapHandle handle;
        try {
            handle = new PcapHandle.Builder(interfaceName)
                    .snaplen(SNAPLEN)
                    .promiscuousMode(PromiscuousMode.PROMISCUOUS)
                    .immediateMode(true)
                    .timeoutMillis(TIMEOUT_MILLIS)
                    .bufferSize(BUFFER_BYTES)
                    .timestampPrecision(PcapHandle.TimestampPrecision.NANO)
                    .build();
        } catch (PcapNativeException e) {
            throw openFailure(description, e);
        }
        boolean opened = false;
        try {
            setFilter(handle, bpfFilter);
            WireCapture capture = new WireCapture(description, pcapFile, handle, handle.dumpOpen(pcapFile.toString()));
            opened = true;
            return capture;
        } catch (PcapNativeException e) {
            throw Libpcap.failed("cannot write " + pcapFile, e);
        } catch (NotOpenException e) {
            throw new IllegalStateException("capture handle closed while opening", e);
        } finally {
            if (!opened) handle.close();
        }
    }

    private static IOException openFailure(String description, PcapNativeException e) {
        Integer rc = e.getReturnCode();
        // PCAP_ERROR_NO_SUCH_DEVICE, PCAP_ERROR_PERM_DENIED (pcap/pcap.h)
        if (rc != null && rc == -5) return Libpcap.failed("no such interface: " + description, e);
        if (rc != null && rc == -8) {
            return Libpcap.failed("permission denied capturing on " + description + " (needs CAP_NET_RAW)", e);
        }
        return Libpcap.failed("cannot capture on " + description, e);
    }

    private static void setFilter(PcapHandle handle, String bpfFilter) throws NotOpenException {
        try {
            handle.setFilter(bpfFilter, BpfProgram.BpfCompileMode.OPTIMIZE);
        } catch (PcapNativeException e) {
            throw new IllegalArgumentException("invalid BPF filter '" + bpfFilter + "': " + e.getMessage(), e);
        }
    }

    private void writeAll() {
        try {
            handle.loop(-1, dumper); // returns by InterruptedException after breakLoop
        } catch (InterruptedException stopped) {
            // close() broke the loop
        } catch (PcapNativeException | NotOpenException e) {
            failure.set(e);
            LOG.warn("capture on {} stopped: {}", description, e.getMessage());
        }
    }

    /** The pcap file written. */
    public Path file() {
        return file;
    }

    /** Counters so far; after {@link #close()}, the final ones. */
    public synchronized Stats stats() {
        if (finalStats != null) return finalStats;
        try {
            PcapStat s = handle.getStats();
            return new Stats(s.getNumPacketsReceived(), s.getNumPacketsDropped());
        } catch (PcapNativeException | NotOpenException e) {
            throw new IllegalStateException("pcap_stats failed on " + description, e);
        }
    }

    /**
     * Stops the capture and closes the file; idempotent.
     *
     * @throws UncheckedIOException when the capture had stopped early (the interface went away, for example):
     *                              the file then holds the packets up to that point
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        settle();
        try {
            handle.breakLoop();
            writer.join(5_000);
        } catch (NotOpenException e) {
            throw new IllegalStateException("capture handle closed under the capture", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            // freeing the dumper under a running pcap_loop would crash the JVM: leak both rather
            throw new IllegalStateException("capture thread on " + description + " did not stop");
        }
        try {
            finalStats = stats();
            dumper.flush();
        } catch (PcapNativeException | NotOpenException | IllegalStateException e) {
            failure.compareAndSet(null, e);
        } finally {
            dumper.close();
            handle.close();
        }
        Exception f = failure.get();
        if (f != null) {
            throw new UncheckedIOException(new IOException("capture on " + description + " stopped early: "
                    + f.getMessage(), f));
        }
    }

    /** Waits until the file stops growing: packets already queued in the kernel ring then reached it. */
    private void settle() {
        long deadline = System.nanoTime() + 1_000_000_000L;
        try {
            long before = dumper.ftell();
            while (System.nanoTime() < deadline && writer.isAlive()) {
                Thread.sleep(SETTLE_MILLIS);
                long now = dumper.ftell();
                if (now == before) return;
                before = now;
            }
        } catch (PcapNativeException | NotOpenException e) {
            LOG.debug("cannot tell the size of {}: closing without settling", file, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "capture on " + description + " into " + file;
    }
}
