package dev.baton.gateway.proxy;

/**
 * A migration operation found its flow gone: the peer reset or closed the connection, the upstream failed, the
 * flow was idle too long, or the gateway is closing. The message names the flow, the operation and why the flow
 * ended. Distinct from the {@link IllegalStateException} of a misuse (an operation in the wrong state): a flow
 * can go away at any time, and a migration must treat that as an outcome, not as a bug.
 */
public final class FlowClosedException extends RuntimeException {
    private final long flowId;

    FlowClosedException(long flowId, String operation, String why) {
        super(operation + " flow " + flowId + ": the flow is gone (" + why + ")");
        this.flowId = flowId;
    }

    public long flowId() {
        return flowId;
    }
}
