package dev.baton.ckpt.image;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The CRIU image files this package can frame, by their magic ({@code criu/include/magic.h}), and what follows
 * each protobuf entry in them. Images are {@code [head magic] magic {u32 length, message, payload}}; the head
 * magic is IMG_COMMON for ordinary images, IMG_SERVICE for service files (stats, irmap cache) and absent for the
 * inventory. Only four kinds carry a payload after an entry, and its length is a field of that entry. Kinds
 * whose payload this package does not frame, and raw images (page data, ip/nft dumps, tarballs), are refused.
 */
public enum ImageKind {
    INVENTORY(0x58313116, Head.NONE),
    PSTREE(0x50273030),
    FDINFO(0x56213732),
    /** Also {@code pagemap-shmem-*}: one pagemap_head entry, then pagemap entries. */
    PAGEMAP(0x56084025),
    CORE(0x55053847),
    IDS(0x54432030),
    VMAS(0x54123737),
    PIPES(0x56513555),
    /** pipe_data_entry, then {@code bytes} (field 2) bytes of pipe contents. */
    PIPES_DATA(0x56453709, Payload.FIELD_2),
    FIFO(0x58364939),
    FIFO_DATA(0x59333054, Payload.FIELD_2),
    SIGACT(0x55344201),
    UNIXSK(0x54373943),
    INETSK(0x56443851),
    PACKETSK(0x60454618),
    ITIMERS(0x57464056),
    POSIX_TIMERS(0x52603957),
    /** sk_packet_entry, then {@code length} (field 2) bytes of the queued packet. */
    SK_QUEUES(0x56264026, Payload.FIELD_2),
    UTSNS(0x54473203),
    CREDS(0x54023547),
    IPC_VAR(0x53115007),
    IPCNS_SHM(0x46283044, "each entry is followed by the segment's memory, padded; not framed here"),
    IPCNS_MSG(0x55453737, "each entry is followed by nested message entries with padded data; not framed here"),
    IPCNS_SEM(0x59573019, "each entry is followed by padded semaphore values; not framed here"),
    REG_FILES(0x50363636),
    EXT_FILES(0x59255641),
    FS(0x51403912),
    MM(0x57492820),
    REMAP_FPATH(0x59133954),
    GHOST_FILE(0x52583605, "the file contents follow in chunks or to the end of file; not framed here"),
    /** tcp_stream_entry, then {@code inq_len} (field 1) bytes of receive queue and {@code outq_len} (3) of send queue. */
    TCP_STREAM(0x51465506, Payload.TCP_QUEUES),
    EVENTFD_FILE(0x44523722),
    EVENTPOLL_FILE(0x45023858),
    EVENTPOLL_TFD(0x44433746),
    SIGNALFD(0x57323820),
    INOTIFY_FILE(0x48424431),
    INOTIFY_WD(0x54562009),
    MNTS(0x55563928),
    NETDEV(0x57373951),
    NETNS(0x55933752),
    TTY_FILES(0x59433025),
    TTY_INFO(0x59453036),
    TTY_DATA(0x59413026),
    FILE_LOCKS(0x54323616),
    RLIMIT(0x57113925),
    FANOTIFY_FILE(0x55096122),
    FANOTIFY_MARK(0x56506035),
    /** {@code signal-s-*} and {@code signal-p-*}. */
    SIGNAL(0x59255647),
    NETLINK_SK(0x58005614),
    NS_FILES(0x61394011),
    TUNFILE(0x57143751),
    CGROUP(0x59383330),
    TIMERFD(0x50493712),
    CPUINFO(0x61404013),
    USERNS(0x55474906),
    SECCOMP(0x64413049),
    BINFMT_MISC(0x67343323, "layout not verified against CRIU's writer; not framed here"),
    AUTOFS(0x49353943),
    FILES(0x56303138),
    MEMFD_INODE(0x48453499),
    TIMENS(0x43114433),
    PIDNS(0x61157326),
    BPFMAP_FILE(0x57506142),
    BPFMAP_DATA(0x64324033, "each entry is followed by map keys and values; not framed here"),
    APPARMOR(0x59423047),
    STATS(0x57093306, Head.SERVICE),
    IRMAP_CACHE(0x57004059, Head.SERVICE);

    static final int IMG_COMMON_MAGIC = 0x54564319;
    static final int IMG_SERVICE_MAGIC = 0x55105940;

    /** Raw images: no magic, no entries (memory pages, ip and nft dumps, conntrack, tarballs). */
    static final Pattern RAW_FILE_NAME = Pattern.compile(
            "(pages|ifaddr|route6?|rule|ip6?tables|nftables|netns-ct|netns-exp|tmpfs(-dev)?)-.*");

    enum Head { NONE, COMMON, SERVICE }

    /** What follows each entry's message. */
    enum Payload { NONE, FIELD_2, TCP_QUEUES }

    private static final Map<Integer, ImageKind> BY_MAGIC = new HashMap<>();

    static {
        for (ImageKind k : values()) {
            if (BY_MAGIC.put(k.magic, k) != null) throw new IllegalStateException("duplicate magic " + k);
        }
    }

    final int magic;
    final Head head;
    final Payload payload;
    /** Why entries of this kind cannot be framed, or null when they can. */
    final String unsupported;

    ImageKind(int magic) {
        this(magic, Head.COMMON, Payload.NONE, null);
    }

    ImageKind(int magic, Head head) {
        this(magic, head, Payload.NONE, null);
    }

    ImageKind(int magic, Payload payload) {
        this(magic, Head.COMMON, payload, null);
    }

    ImageKind(int magic, String unsupported) {
        this(magic, Head.COMMON, Payload.NONE, unsupported);
    }

    ImageKind(int magic, Head head, Payload payload, String unsupported) {
        this.magic = magic;
        this.head = head;
        this.payload = payload;
        this.unsupported = unsupported;
    }

    /** True when {@link ImageFile} can read and write this kind byte for byte. */
    public boolean framed() {
        return unsupported == null;
    }

    static ImageKind ofMagic(int magic) {
        return BY_MAGIC.get(magic);
    }

    /** The number of payload bytes after an entry with this message. */
    long payloadLength(ProtoMessage message) {
        return switch (payload) {
            case NONE -> 0;
            case FIELD_2 -> message.uint32(2, this == SK_QUEUES ? "length" : "bytes");
            case TCP_QUEUES -> message.uint32(1, "inq_len") + message.uint32(3, "outq_len");
        };
    }
}
