package dev.baton.cli;

/**
 * The result of one {@code baton doctor} check.
 *
 * @param fix what to do about a WARN or FAIL; null when OK
 */
record Check(String name, Status status, String detail, String fix) {
    enum Status { OK, WARN, FAIL }

    /** Details are one line: tools' multi-line messages are joined with "; ". */
    Check {
        detail = detail.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    static Check ok(String name, String detail) {
        return new Check(name, Status.OK, detail, null);
    }

    static Check warn(String name, String detail, String fix) {
        return new Check(name, Status.WARN, detail, fix);
    }

    static Check fail(String name, String detail, String fix) {
        return new Check(name, Status.FAIL, detail, fix);
    }
}
