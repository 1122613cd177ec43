package io.shoal.samples.check;

/** The faults {@code --faults} may choose from. */
enum FaultKind {
    /** SIGKILL a node, restart it 1 to 3 s later. */
    KILL,
    /** SIGTERM a node (a clean stop), wait for its exit, start it again. */
    RESTART,
    /** SIGSTOP a node for 2 to 5 s, then SIGCONT. */
    PAUSE,
    /** Start one node beyond {@code --nodes}, or stop it if it runs. */
    EXTRA,
    /** No faults at all (alone only). */
    NONE
}
