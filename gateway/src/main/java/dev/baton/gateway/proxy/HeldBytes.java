package dev.baton.gateway.proxy;

import io.netty.buffer.ByteBuf;

import java.util.ArrayDeque;
import java.util.List;

/**
 * Bytes a frozen (or not yet connected) flow read from its peer and has not written upstream, in stream order.
 * Used on the flow's event loop only; {@link #size()} may be read from anywhere.
 */
final class HeldBytes {
    private final ArrayDeque<ByteBuf> buffers = new ArrayDeque<>();
    private volatile long size;

    /** Adds {@code buf} at the end; this takes over the caller's reference. */
    void add(ByteBuf buf) {
        if (!buf.isReadable()) {
            buf.release();
            return;
        }
        buffers.addLast(buf);
        size += buf.readableBytes();
    }

    /** Puts {@code bufs} (in their order) before everything held; this takes over the caller's references. */
    void addFirst(List<ByteBuf> bufs) {
        for (int i = bufs.size() - 1; i >= 0; i--) {
            ByteBuf buf = bufs.get(i);
            if (!buf.isReadable()) {
                buf.release();
                continue;
            }
            buffers.addFirst(buf);
            size += buf.readableBytes();
        }
    }

    /** The first buffer, or null; the caller takes over its reference. */
    ByteBuf poll() {
        ByteBuf buf = buffers.pollFirst();
        if (buf != null) size -= buf.readableBytes();
        return buf;
    }

    boolean isEmpty() {
        return buffers.isEmpty();
    }

    long size() {
        return size;
    }

    /** Drops everything held (the flow is closing). */
    void release() {
        ByteBuf buf;
        while ((buf = buffers.pollFirst()) != null) buf.release();
        size = 0;
    }
}
