package dev.baton.ckpt.agent;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.baton.ckpt.workload.WorkloadStatus;
import dev.baton.socket.StateJson;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;

/**
 * The JSON messages of the agent protocol (one per MESSAGE frame), by direction. The {@code type} property names
 * the record. See {@code package-info.java} for the order in which they are exchanged.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Message.Hello.class, name = "hello"),
        @JsonSubTypes.Type(value = Message.Request.class, name = "request"),
        @JsonSubTypes.Type(value = Message.Health.class, name = "health"),
        @JsonSubTypes.Type(value = Message.Workloads.class, name = "workloads"),
        @JsonSubTypes.Type(value = Message.Dump.class, name = "dump"),
        @JsonSubTypes.Type(value = Message.Restore.class, name = "restore"),
        @JsonSubTypes.Type(value = Message.Ship.class, name = "ship"),
        @JsonSubTypes.Type(value = Message.Checkpoint.class, name = "checkpoint"),
        @JsonSubTypes.Type(value = Message.ShipKept.class, name = "ship-kept"),
        @JsonSubTypes.Type(value = Message.Settle.class, name = "settle"),
        @JsonSubTypes.Type(value = Message.Hook.class, name = "hook"),
        @JsonSubTypes.Type(value = Message.Passed.class, name = "passed"),
        @JsonSubTypes.Type(value = Message.Ack.class, name = "ack"),
        @JsonSubTypes.Type(value = Message.Abort.class, name = "abort"),
        @JsonSubTypes.Type(value = Message.Progress.class, name = "progress"),
        @JsonSubTypes.Type(value = Message.HealthResult.class, name = "health-result"),
        @JsonSubTypes.Type(value = Message.WorkloadsResult.class, name = "workloads-result"),
        @JsonSubTypes.Type(value = Message.DumpResult.class, name = "dump-result"),
        @JsonSubTypes.Type(value = Message.RestoreResult.class, name = "restore-result"),
        @JsonSubTypes.Type(value = Message.ShipResult.class, name = "ship-result"),
        @JsonSubTypes.Type(value = Message.Settled.class, name = "settled"),
        @JsonSubTypes.Type(value = Message.Failure.class, name = "failure")})
sealed interface Message {
    /**
     * The version of this protocol; an agent and a caller of different versions refuse each other. 2: CHECKPOINT,
     * SHIP of a kept dump, SETTLE; a dump report's connections. 3: the call comes in a REQUEST that names the
     * points the caller acts at; PASSED.
     */
    int VERSION = 3;

    // agent → caller, first thing after the TLS handshake

    /** Who the agent is (the CN of its certificate) and which protocol it speaks. */
    record Hello(String host, int version) implements Message {
    }

    // caller → agent: the call, exactly one per connection

    /**
     * The call, and the points at which the caller acts ({@link Hooks#actsAt()}): the agent sends a HOOK and
     * waits for the answer at those, and only a PASSED at the others.
     */
    record Request(Call call, Set<String> actsAt) implements Message {
        public Request {
            actsAt = actsAt == null ? Hooks.EVERY_POINT : Set.copyOf(actsAt);
        }
    }

    /** A call: what the caller asks of the agent. */
    sealed interface Call extends Message {
        /** For the agent's log. */
        String describe();
    }

    record Health() implements Call {
        @Override
        public String describe() {
            return "HEALTH";
        }
    }

    record Workloads() implements Call {
        @Override
        public String describe() {
            return "WORKLOADS";
        }
    }

    /** Dump here; the bundle follows as DATA frames from the agent. */
    record Dump(DumpRequest request) implements Call {
        @Override
        public String describe() {
            return "DUMP " + request.workload();
        }
    }

    /** Restore here; the bundle follows as DATA frames from the caller. */
    record Restore(RestoreRequest request) implements Call {
        @Override
        public String describe() {
            return "RESTORE" + (request.netns() == null ? "" : " into netns " + request.netns());
        }
    }

    /** Dump here and restore on the agent at {@code target}, the bundle piped from one to the other. */
    record Ship(DumpRequest dump, InetSocketAddress target, RestoreRequest restore) implements Call {
        @Override
        public String describe() {
            return "SHIP " + dump.workload() + " to " + StateJson.format(target);
        }
    }

    /**
     * Dump here and keep the images under a dump id; nothing is streamed. Settled by ShipKept or Settle.
     * {@code shipTo} (may be null): the agent a ShipKept will go to, connected to meanwhile.
     */
    record Checkpoint(DumpRequest request, InetSocketAddress shipTo) implements Call {
        @Override
        public String describe() {
            return "CHECKPOINT " + request.workload();
        }
    }

    /**
     * Trim the kept dump's send queues as {@code sync} says, then seal it straight into the RESTORE of the agent at
     * {@code target}, as a Ship does.
     */
    record ShipKept(String dumpId, List<SendQueueSync> sync, InetSocketAddress target, RestoreRequest restore)
            implements Call {
        public ShipKept {
            sync = sync == null ? List.of() : List.copyOf(sync);
        }

        @Override
        public String describe() {
            return "SHIP kept dump " + dumpId + " to " + StateJson.format(target);
        }
    }

    /** Settle a kept dump without shipping it: restore it here, or drop it (it runs elsewhere). */
    record Settle(String dumpId, Settlement settlement) implements Call {
        @Override
        public String describe() {
            return settlement + " kept dump " + dumpId;
        }
    }

    enum Settlement { ROLLBACK, COMMIT }

    // agent → caller while a call runs

    /** The operation on {@code host} reached {@code point} and waits for an {@link Ack} (or {@link Abort}). */
    record Hook(long id, String host, String point, long pid) implements Message {
    }

    /** The operation on {@code host} passed {@code point}, where the caller does not act; needs no answer. */
    record Passed(String host, String point, long pid) implements Message {
    }

    /** {@code done} of {@code total} bytes (−1: unknown) of {@code step} on {@code host}; needs no answer. */
    record Progress(String host, String step, long done, long total) implements Message {
    }

    // caller → agent: answers to hooks

    /** Go on after hook {@code id}. */
    record Ack(long id) implements Message {
    }

    /** Fail the operation at hook {@code id}: it rolls back. */
    record Abort(long id, String reason) implements Message {
    }

    // agent → caller: the last message of a call

    /** How a call ended. */
    sealed interface Outcome extends Message {
    }

    record HealthResult(HostHealth health) implements Outcome {
    }

    record WorkloadsResult(List<WorkloadStatus> workloads) implements Outcome {
        public WorkloadsResult {
            workloads = List.copyOf(workloads);
        }
    }

    record DumpResult(DumpReport report) implements Outcome {
    }

    record RestoreResult(RestoreReport report) implements Outcome {
    }

    record ShipResult(ShipReport report) implements Outcome {
    }

    /** A kept dump was committed: its images and CRIU's lock are gone. */
    record Settled(String dumpId) implements Outcome {
    }

    /** The call failed on {@code host} (the agent itself, or the target of a SHIP) for the reason in {@code message}. */
    record Failure(String host, String message) implements Outcome {
    }
}
