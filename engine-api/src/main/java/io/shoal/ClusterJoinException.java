package io.shoal;

/**
 * A node could not join its cluster: {@code cluster.requireSeed} is set and none of
 * {@code cluster.seeds} accepted it. The message names every seed tried and why it failed.
 * {@code bin/shoal node} exits with code 4 on it, so a wrapper script can try other seeds.
 */
public class ClusterJoinException extends ShoalException {
    private static final long serialVersionUID = 1L;

    public ClusterJoinException(String message) {
        super(message);
    }
}
