package io.shoal.samples.check;

/** The faults {@code --faults} may choose from. */
enum FaultKind {
    /** SIGKILL a node, restart it 1 to 3 s later. */
    KILL,
    /**
     * SIGKILL a node, then another 2 to 5 s later (while the cluster fails the first one over and
     * feeds copies again), restart both 1 to 3 s after; only with {@code backups >= 2}.
     */
    KILL_TWO,
    /** SIGTERM a node (a clean stop), wait for its exit, start it again. */
    RESTART,
    /** SIGSTOP a node for 2 to 5 s, then SIGCONT. */
    PAUSE,
    /** Start one node beyond {@code --nodes}, or stop it if it runs. */
    EXTRA,
    /** No faults at all (alone only). */
    NONE
}
