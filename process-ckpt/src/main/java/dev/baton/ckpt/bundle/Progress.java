package dev.baton.ckpt.bundle;

/** Told how far sealing or opening a bundle has got, after each chunk (about 1 MiB) of file content. */
@FunctionalInterface
public interface Progress {
    Progress NONE = (done, total) -> {};

    /**
     * @param done  bytes of file content processed so far
     * @param total bytes of file content in all, or -1 while not known
     */
    void update(long done, long total);
}
