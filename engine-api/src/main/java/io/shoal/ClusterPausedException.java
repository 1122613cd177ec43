package io.shoal;

/**
 * The cluster is paused ({@code ShoalNode.pauseCluster()}, {@code bin/shoal cluster pause}): writes
 * are refused, reads are served, and no bucket moves until it is resumed. Nothing was changed.
 */
public class ClusterPausedException extends ShoalException {
    private static final long serialVersionUID = 1L;

    public ClusterPausedException(String message) {
        super(message);
    }
}
