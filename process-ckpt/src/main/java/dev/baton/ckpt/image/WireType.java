package dev.baton.ckpt.image;

/**
 * The protobuf wire types CRIU's images use. Groups (3, 4) are deprecated and never written by protobuf-c for
 * CRIU's schemas; 6 and 7 are not wire types at all. Both are refused, never skipped.
 */
enum WireType {
    VARINT(0), I64(1), LEN(2), I32(5);

    final int id;

    WireType(int id) {
        this.id = id;
    }

    /** The wire type with number {@code id}, or null for ids that are not valid in CRIU's images. */
    static WireType ofId(int id) {
        return switch (id) {
            case 0 -> VARINT;
            case 1 -> I64;
            case 2 -> LEN;
            case 5 -> I32;
            default -> null;
        };
    }

    static String describeInvalid(int id) {
        return switch (id) {
            case 3, 4 -> "wire type " + id + " (group, deprecated; CRIU never writes it)";
            default -> "wire type " + id + " (not a protobuf wire type)";
        };
    }
}
