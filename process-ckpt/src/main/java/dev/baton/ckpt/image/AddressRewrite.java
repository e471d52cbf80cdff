package dev.baton.ckpt.image;

import dev.baton.ckpt.image.CriuFields.FileEntry;
import dev.baton.ckpt.image.CriuFields.InetSk;
import dev.baton.socket.Family;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A rewrite of the addresses of inet sockets in CRIU images, so that a dump restores on a host with another IP:
 * each socket whose local address is an old IP gets the new one; with {@link #includingRemote()} the remote
 * address too. Only {@code isk.src_addr} (and {@code isk.dst_addr}) of the matching files.img entries change,
 * and with them the length prefixes that frame those entries; every other byte stays as dumped. An IPv4
 * address also matches the IPv4-mapped address of an AF_INET6 socket, which is rewritten IPv4-mapped.
 * Sockets on the wildcard address need nothing; sockets bound to other addresses are left alone and reported.
 * Applied by {@link ImageDir#rewrite}.
 */
public final class AddressRewrite {
    private final Map<InetAddress, InetAddress> oldToNew;
    private final boolean remote;

    private AddressRewrite(Map<InetAddress, InetAddress> oldToNew, boolean remote) {
        this.oldToNew = oldToNew;
        this.remote = remote;
    }

    /**
     * Rewrites local addresses {@code old → new}.
     *
     * @throws IllegalArgumentException when the map is empty, maps between IPv4 and IPv6, or names the wildcard
     *                                  address (which needs no rewrite and cannot be a connection's address)
     */
    public static AddressRewrite of(Map<InetAddress, InetAddress> oldToNew) {
        if (oldToNew.isEmpty()) throw new IllegalArgumentException("address rewrite: no addresses given");
        Map<InetAddress, InetAddress> copy = new LinkedHashMap<>();
        oldToNew.forEach((from, to) -> {
            if (InetSockets.isIpv4(from) != InetSockets.isIpv4(to)) {
                throw new IllegalArgumentException("address rewrite " + from.getHostAddress() + " -> "
                        + to.getHostAddress() + " mixes IPv4 and IPv6");
            }
            if (from.isAnyLocalAddress() || to.isAnyLocalAddress()) {
                throw new IllegalArgumentException("address rewrite " + from.getHostAddress() + " -> "
                        + to.getHostAddress() + ": the wildcard address is never rewritten");
            }
            copy.put(from, to);
        });
        return new AddressRewrite(Map.copyOf(copy), false);
    }

    /** The same rewrite, applied to remote addresses as well (a peer that moves with the workload). */
    public AddressRewrite includingRemote() {
        return new AddressRewrite(oldToNew, true);
    }

    public Map<InetAddress, InetAddress> addresses() {
        return oldToNew;
    }

    public boolean rewritesRemote() {
        return remote;
    }

    /** The outcome of applying a rewrite to files.img. */
    record Result(ImageFile files, RewriteReport report) {}

    /** Applies this rewrite to a decoded files.img. Pure: nothing is written. */
    Result apply(ImageFile files) {
        if (files.kind() != ImageKind.FILES) throw new IllegalArgumentException("not files.img: " + files);
        Map<Integer, ImageFile.Entry> edits = new HashMap<>();
        List<RewriteReport.Change> changed = new ArrayList<>();
        List<InetSocketImage> wildcard = new ArrayList<>();
        List<InetSocketImage> other = new ArrayList<>();
        for (InetSockets.InetEntry found : InetSockets.inFiles(files)) {
            InetSocketImage before = found.socket();
            InetAddress local = before.local().getAddress();
            InetAddress newLocal = oldToNew.get(local);
            InetAddress newRemote = remote ? oldToNew.get(before.remote().getAddress()) : null;
            if (newLocal == null && newRemote == null) {
                if (local.isAnyLocalAddress()) wildcard.add(before);
                else other.add(before);
                continue;
            }
            ProtoMessage edited = found.isk();
            if (newLocal != null) edited = withAddress(edited, InetSk.SRC_ADDR, before.family(), newLocal);
            if (newRemote != null) edited = withAddress(edited, InetSk.DST_ADDR, before.family(), newRemote);
            ImageFile.Entry entry = files.entries().get(found.index());
            ProtoMessage newFile = entry.message().replacing(Field.len(FileEntry.ISK, edited.encode()));
            edits.put(found.index(), new ImageFile.Entry(newFile, entry.payload()));
            changed.add(new RewriteReport.Change(before, InetSockets.decode(edited)));
        }
        // One copy of the entries for all the edits: a thousand connections' sockets are a thousand entries.
        return new Result(edits.isEmpty() ? files : files.withEntries(edits), new RewriteReport(changed, wildcard, other));
    }

    private static ProtoMessage withAddress(ProtoMessage isk, int field, Family family, InetAddress address) {
        if (family == Family.INET && !InetSockets.isIpv4(address)) {
            throw new IllegalStateException("IPv6 address " + address + " for an AF_INET socket");
        }
        return isk.replacing(field, InetSockets.addressFields(field, InetSockets.words(family, address),
                isk.isPacked(field)));
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("rewrite ");
        oldToNew.forEach((a, b) -> s.append(a.getHostAddress()).append("->").append(b.getHostAddress()).append(' '));
        return s.append(remote ? "(local and remote)" : "(local)").toString();
    }
}
