package dev.baton.ckpt.criu;

/** CRIU's version as {@code criu swrk} reports it; {@link #toString()} reads like {@code criu --version}. */
public record CriuVersion(int major, int minor, int sublevel, String gitId) {
    /** Whether this is at least {@code major.minor}. */
    public boolean atLeast(int major, int minor) {
        return this.major != major ? this.major > major : this.minor >= minor;
    }

    @Override
    public String toString() {
        return major + "." + minor + (sublevel != 0 ? "." + sublevel : "") + (gitId.isEmpty() ? "" : " (" + gitId + ")");
    }
}
