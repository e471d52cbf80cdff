package dev.baton.ckpt.agent;

/**
 * An agent carried out the call and it failed there: the message is the remote one, {@link #host()} the agent it
 * failed on (in a SHIP, the source or the target). Connection and TLS failures are
 * {@link AgentConnectionException}s instead.
 */
public final class AgentException extends Exception {
    private final String host;
    private final String remoteMessage;

    public AgentException(String host, String remoteMessage) {
        super(host + ": " + remoteMessage);
        this.host = host;
        this.remoteMessage = remoteMessage;
    }

    /** The cluster name of the agent the operation failed on. */
    public String host() {
        return host;
    }

    /** The failure as that agent described it. */
    public String remoteMessage() {
        return remoteMessage;
    }
}
