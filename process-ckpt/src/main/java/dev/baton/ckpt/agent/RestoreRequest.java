package dev.baton.ckpt.agent;

import java.util.Map;

/**
 * Restore a bundle on this host.
 *
 * @param rewrite     IP address literals: old → new, applied to the images' inet sockets before the restore
 * @param netns       named network namespace to restore into, or null for the agent's own
 * @param leaveStopped leave the restored tree stopped (SIGSTOP) so the caller can fix its sockets first; it is then
 *                    resumed by the caller (SIGCONT)
 */
public record RestoreRequest(Map<String, String> rewrite, String netns, boolean leaveStopped) {
    public RestoreRequest {
        rewrite = Map.copyOf(rewrite);
    }
}
