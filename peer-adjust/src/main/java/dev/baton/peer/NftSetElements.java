package dev.baton.peer;

import dev.baton.netns.NetNamespace;
import dev.baton.socket.internal.ErrnoException;
import dev.baton.socket.internal.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Adds elements to existing nftables sets over a netlink socket opened in one network namespace: one atomic
 * batch per call, in tens of microseconds — the {@code nft} command takes milliseconds to start, which would
 * fall inside a freeze. Only this one message type is spoken; tables, chains and deletions go through
 * {@code nft}, off the critical path.
 * <pre>
 *   BATCH_BEGIN | NEWSETELEM table set { elem { key { value } } ... } (one per set) | BATCH_END
 * </pre>
 */
final class NftSetElements implements AutoCloseable {
    private static final int NLMSG_HDRLEN = 16, NFGEN_LEN = 4;
    private static final int NLM_F_REQUEST = 0x1, NLM_F_ACK = 0x4, NLM_F_CREATE = 0x400;
    private static final int NLMSG_ERROR = 2;
    private static final int NFNL_MSG_BATCH_BEGIN = 0x10, NFNL_MSG_BATCH_END = 0x11;
    private static final int NFNL_SUBSYS_NFTABLES = 10, NFT_MSG_NEWSETELEM = 12, NFPROTO_INET = 1;
    private static final int NFTA_SET_ELEM_LIST_TABLE = 1, NFTA_SET_ELEM_LIST_SET = 2,
            NFTA_SET_ELEM_LIST_ELEMENTS = 3, NFTA_LIST_ELEM = 1, NFTA_SET_ELEM_KEY = 1, NFTA_DATA_VALUE = 1;
    private static final int NLA_F_NESTED = 0x8000;
    /** Keys per message: attribute lengths are 16-bit, and a key with its headers takes up to 32 bytes. */
    private static final int KEYS_PER_MESSAGE = 1500;

    private final int fd;
    private int seq = (int) (System.nanoTime() & 0x3FFF_FFFF);

    private NftSetElements(int fd) {
        this.fd = fd;
    }

    /** Opens a netfilter netlink socket inside {@code netns}. */
    static NftSetElements open(NetNamespace netns) {
        return new NftSetElements(netns.netlinkSocket(Libc.NETLINK_NETFILTER));
    }

    /**
     * Adds, in one transaction, each list of keys to its set of {@code table} (family inet). Keys are the
     * sets' binary key layout: concatenated fields, each padded to 4 bytes, in network byte order.
     *
     * @throws IllegalStateException naming the kernel's errno when the batch is refused (nothing is added then)
     */
    void add(String table, Map<String, List<byte[]>> keysBySet) {
        Map<String, List<byte[]>> sets = keysBySet.entrySet().stream().filter(e -> !e.getValue().isEmpty())
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        if (sets.isEmpty()) return;
        ByteBuffer b = ByteBuffer.allocate(size(table, sets)).order(ByteOrder.nativeOrder());
        int first = seq;
        int messages = 0;
        batchMarker(b, NFNL_MSG_BATCH_BEGIN);
        for (Map.Entry<String, List<byte[]>> set : sets.entrySet()) {
            List<byte[]> keys = set.getValue();
            for (int from = 0; from < keys.size(); from += KEYS_PER_MESSAGE) {
                newSetElements(b, table, set.getKey(), keys.subList(from, Math.min(keys.size(), from + KEYS_PER_MESSAGE)));
                messages++;
            }
        }
        batchMarker(b, NFNL_MSG_BATCH_END);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(b.position());
            out.copyFrom(MemorySegment.ofArray(b.array()).asSlice(0, b.position()));
            Libc.send(fd, out, 0);
            awaitAcks(arena, first, messages);
        } catch (ErrnoException e) {
            throw new IllegalStateException("nftables netlink: " + e.getMessage(), e);
        }
    }

    private void newSetElements(ByteBuffer b, String table, String set, List<byte[]> keys) {
        int start = header(b, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_ACK,
                NFPROTO_INET, 0);
        string(b, NFTA_SET_ELEM_LIST_TABLE, table);
        string(b, NFTA_SET_ELEM_LIST_SET, set);
        int elements = open(b, NFTA_SET_ELEM_LIST_ELEMENTS);
        for (byte[] key : keys) {
            int elem = open(b, NFTA_LIST_ELEM);
            int keyAttr = open(b, NFTA_SET_ELEM_KEY);
            attr(b, NFTA_DATA_VALUE, key);
            close(b, keyAttr);
            close(b, elem);
        }
        close(b, elements);
        b.putInt(start, b.position() - start);
    }

    /** Reads one ACK per NEWSETELEM message; the first error refuses the whole batch. */
    private void awaitAcks(Arena arena, int firstSeq, int expected) {
        MemorySegment in = arena.allocate(8192);
        int acked = 0;
        while (acked < expected) {
            long n = Libc.recv(fd, in, 0);
            for (long off = 0; off + NLMSG_HDRLEN <= n; ) {
                int len = in.get(ValueLayout.JAVA_INT, off);
                int type = Short.toUnsignedInt(in.get(ValueLayout.JAVA_SHORT, off + 4));
                int msgSeq = in.get(ValueLayout.JAVA_INT, off + 8);
                if (type == NLMSG_ERROR && msgSeq - firstSeq > 0 && msgSeq - firstSeq <= expected) {
                    int error = in.get(ValueLayout.JAVA_INT, off + NLMSG_HDRLEN);
                    if (error != 0) {
                        throw new IllegalStateException("nftables refused the set elements: "
                                + ErrnoException.describe(-error));
                    }
                    acked++;
                }
                if (len < NLMSG_HDRLEN) break;
                off += align(len);
            }
        }
    }

    private void batchMarker(ByteBuffer b, int type) {
        int start = header(b, type, NLM_F_REQUEST, Libc.AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
        b.putInt(start, b.position() - start);
    }

    /** nlmsghdr + nfgenmsg; returns the message start so its length can be filled in. */
    private int header(ByteBuffer b, int type, int flags, int family, int resId) {
        int start = b.position();
        b.putInt(0).putShort((short) type).putShort((short) flags).putInt(seq++).putInt(0);
        b.put((byte) family).put((byte) 0).putShort(Short.reverseBytes((short) resId)); // res_id is big-endian
        return start;
    }

    private static void string(ByteBuffer b, int type, String value) {
        byte[] s = value.getBytes(StandardCharsets.US_ASCII);
        byte[] z = java.util.Arrays.copyOf(s, s.length + 1);
        attr(b, type, z);
    }

    private static void attr(ByteBuffer b, int type, byte[] value) {
        b.putShort((short) (4 + value.length)).putShort((short) type).put(value);
        pad(b);
    }

    private static int open(ByteBuffer b, int type) {
        int start = b.position();
        b.putShort((short) 0).putShort((short) (type | NLA_F_NESTED));
        return start;
    }

    private static void close(ByteBuffer b, int start) {
        b.putShort(start, (short) (b.position() - start));
    }

    private static void pad(ByteBuffer b) {
        while ((b.position() & 3) != 0) b.put((byte) 0);
    }

    private static int align(int len) {
        return (len + 3) & ~3;
    }

    private static int size(String table, Map<String, List<byte[]>> sets) {
        int size = 2 * (NLMSG_HDRLEN + NFGEN_LEN);
        for (Map.Entry<String, List<byte[]>> set : sets.entrySet()) {
            int messages = (set.getValue().size() + KEYS_PER_MESSAGE - 1) / KEYS_PER_MESSAGE;
            size += messages * (NLMSG_HDRLEN + NFGEN_LEN + 4 + align(table.length() + 1) + 4
                    + align(set.getKey().length() + 1) + 4);
            for (byte[] key : set.getValue()) size += 4 + 4 + 4 + align(key.length);
        }
        return size;
    }

    @Override
    public void close() {
        Libc.close(fd);
    }
}
