package dev.baton.ckpt.image;

import java.util.List;

/**
 * What an {@link AddressRewrite} did to the inet sockets of an image directory.
 *
 * @param changed  sockets whose addresses were rewritten, before and after
 * @param wildcard sockets bound to the wildcard address (listening on all addresses, or unbound): nothing to do
 * @param other    sockets bound to an address the rewrite does not map (loopback, another interface's address):
 *                 left as they are; they restore only where that address exists
 */
public record RewriteReport(List<Change> changed, List<InetSocketImage> wildcard, List<InetSocketImage> other) {

    /** One socket's entry, before and after. */
    public record Change(InetSocketImage before, InetSocketImage after) {}

    public RewriteReport {
        changed = List.copyOf(changed);
        wildcard = List.copyOf(wildcard);
        other = List.copyOf(other);
    }

    public String summary() {
        StringBuilder s = new StringBuilder(changed.size() + " rewritten, " + wildcard.size() + " on the wildcard address, "
                + other.size() + " bound elsewhere");
        for (Change c : changed) s.append("\n  ").append(c.before()).append("\n    => ").append(c.after());
        for (InetSocketImage o : other) s.append("\n  left as is: ").append(o);
        return s.toString();
    }
}
