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

    private static final int SHOWN = 5;

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
        // A log line, written inside a migration's freeze: a few examples, not a thousand connections.
        changed.stream().limit(SHOWN).forEach(c -> s.append("\n  ").append(c.before()).append("\n    => ").append(c.after()));
        if (changed.size() > SHOWN) s.append("\n  … and ").append(changed.size() - SHOWN).append(" more rewritten");
        other.stream().limit(SHOWN).forEach(o -> s.append("\n  left as is: ").append(o));
        if (other.size() > SHOWN) s.append("\n  … and ").append(other.size() - SHOWN).append(" more left as they are");
        return s.toString();
    }
}
