package dev.baton.ckpt.image;

/**
 * Field numbers of the CRIU messages this package reads and edits (CRIU's {@code images/*.proto}, MIT). Only
 * the numbers are used; every message is kept as raw fields.
 */
final class CriuFields {
    private CriuFields() {}

    /** {@code file_entry} (fdinfo.proto), one per open file in files.img. */
    static final class FileEntry {
        static final int TYPE = 1;
        static final int ISK = 4;
        /** {@code fd_types.INETSK}. */
        static final int TYPE_INETSK = 4;

        private FileEntry() {}
    }

    /** {@code inet_sk_entry} (sk-inet.proto). */
    static final class InetSk {
        static final int ID = 1;
        static final int INO = 2;
        static final int FAMILY = 3;
        static final int TYPE = 4;
        static final int PROTO = 5;
        static final int STATE = 6;
        static final int SRC_PORT = 7;
        static final int DST_PORT = 8;
        static final int SRC_ADDR = 11;
        static final int DST_ADDR = 12;

        private InetSk() {}
    }

    /** {@code tcp_stream_entry} (tcp-stream.proto): one entry, then inq_len + outq_len bytes of queues. */
    static final class TcpStream {
        static final int INQ_LEN = 1;
        static final int INQ_SEQ = 2;
        static final int OUTQ_LEN = 3;
        static final int OUTQ_SEQ = 4;
        static final int OPT_MASK = 5;
        static final int SND_WSCALE = 6;
        static final int MSS_CLAMP = 7;
        static final int RCV_WSCALE = 8;
        static final int TIMESTAMP = 9;
        static final int CORK = 10;
        static final int NODELAY = 11;
        static final int UNSQ_LEN = 12;
        static final int SND_WL1 = 13;
        static final int SND_WND = 14;
        static final int MAX_WINDOW = 15;
        static final int RCV_WND = 16;
        static final int RCV_WUP = 17;

        private TcpStream() {}
    }

    /** {@code pstree_entry} (pstree.proto). */
    static final class Pstree {
        static final int PID = 1;

        private Pstree() {}
    }
}
