package dev.baton.ckpt.agent;

import java.util.Objects;

/**
 * A {@link SendQueueSync} applied to a kept dump's image before it was sealed.
 *
 * @param sync          the entry as the caller sent it
 * @param droppedBytes  bytes the far end already had, removed from the image's send queue
 * @param requeuedBytes bytes left in it, marked unsent: the restored socket sends them right away
 */
public record SyncedSendQueue(SendQueueSync sync, long droppedBytes, long requeuedBytes) {
    public SyncedSendQueue {
        Objects.requireNonNull(sync, "sync");
    }
}
