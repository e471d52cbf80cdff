package dev.baton.ckpt.agent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ProtocolException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@link Hooks} an agent hands to its {@link HostService} during a call: each point the caller acts at
 * becomes a HOOK message to the caller, and the operation waits for the caller's ACK; the other points are only
 * told (PASSED). An ABORT, no answer within the hook timeout, or the caller's disconnect make {@link #reached}
 * throw, so the operation rolls back. Points relayed from the target of a SHIP keep the host they came from, and
 * the target learns the same points to act at. Also the reader's handler of the caller's connection: it takes
 * the answers.
 */
final class HooksToCaller implements Hooks, Connection.Handler {
    private static final Logger LOG = LoggerFactory.getLogger(HooksToCaller.class);
    private static final Duration PROGRESS_EVERY = Duration.ofMillis(100);

    private final Connection caller;
    private final String me;
    private final Duration timeout;
    private final Set<String> actsAt;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, CompletableFuture<Message>> pending = new ConcurrentHashMap<>();
    private volatile IOException lost;
    /** When progress of each host's step was last sent ({@link System#nanoTime()}). */
    private final Map<String, Long> progressSent = new ConcurrentHashMap<>();

    HooksToCaller(Connection caller, String me, Duration timeout, Set<String> actsAt) {
        this.caller = caller;
        this.me = me;
        this.timeout = timeout;
        this.actsAt = actsAt;
    }

    /** The caller's: a SHIP's target is asked to wait at the same points. */
    @Override
    public Set<String> actsAt() {
        return actsAt;
    }

    @Override
    public void reached(String point, long pid) throws HookFailedException {
        ask(me, point, pid);
    }

    @Override
    public void reached(String host, String point, long pid) throws HookFailedException {
        ask(host, point, pid);
    }

    @Override
    public void progress(String step, long done, long total) {
        progress(me, step, done, total);
    }

    @Override
    public void progress(String host, String step, long done, long total) {
        if (lost != null) return;
        // A bundle of many small files reports after each: at most one message per step every PROGRESS_EVERY
        // (and the first and the last), or a thousand connections' images cost a thousand messages per hop.
        long now = System.nanoTime();
        boolean edge = done == 0 || done == total;
        Long last = progressSent.get(host + "/" + step);
        if (!edge && last != null && now - last < PROGRESS_EVERY.toNanos()) return;
        progressSent.put(host + "/" + step, now);
        try {
            caller.send(new Message.Progress(host, step, done, total));
        } catch (IOException e) {
            // Progress needs no answer; the next hook or write fails with the reason.
            LOG.debug("progress of {} not sent: {}", step, e.toString());
        }
    }

    private void ask(String host, String point, long pid) throws HookFailedException {
        String at = point + (host.equals(me) ? "" : " on " + host);
        IOException gone = lost;
        if (gone != null) throw new HookFailedException("the caller is gone, cannot pass " + at + ": " + gone.getMessage(), gone);
        if (!Hooks.actsAt(actsAt, point)) {
            tell(host, point, pid);
            return;
        }
        long id = ids.incrementAndGet();
        CompletableFuture<Message> answer = new CompletableFuture<>();
        pending.put(id, answer);
        gone = lost;
        if (gone != null) answer.completeExceptionally(gone); // lost between the check and the put
        try {
            caller.send(new Message.Hook(id, host, point, pid));
            if (answer.get(timeout.toNanos(), TimeUnit.NANOSECONDS) instanceof Message.Abort abort) {
                throw new HookFailedException("the caller aborted at " + at + ": " + abort.reason());
            }
        } catch (TimeoutException e) {
            throw new HookFailedException("the caller did not answer hook " + at + " within " + format(timeout));
        } catch (ExecutionException e) {
            throw new HookFailedException("the caller disconnected while hook " + at + " was pending: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (IOException e) {
            throw new HookFailedException("cannot send hook " + at + " to the caller: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HookFailedException("interrupted while waiting for the caller at " + at);
        } finally {
            pending.remove(id);
        }
    }

    /** A point the caller does not act at: said, not waited for; a lost caller shows at the next point or write. */
    private void tell(String host, String point, long pid) {
        try {
            caller.send(new Message.Passed(host, point, pid));
        } catch (IOException e) {
            LOG.debug("point {} not told: {}", point, e.toString());
        }
    }

    @Override
    public void message(Message message) throws IOException {
        long id = switch (message) {
            case Message.Ack ack -> ack.id();
            case Message.Abort abort -> abort.id();
            default -> throw new ProtocolException("the caller sent " + message.getClass().getSimpleName()
                    + " during a call; only ack and abort belong there");
        };
        CompletableFuture<Message> answer = pending.get(id);
        if (answer != null) answer.complete(message);
        else LOG.debug("answer to hook {} came after it timed out", id);
    }

    @Override
    public void lost(IOException cause) {
        lost = cause;
        pending.values().forEach(f -> f.completeExceptionally(cause));
    }

    static String format(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
