package io.shoal.cluster;

/**
 * State of one copy of a bucket in the {@link PartitionTable} (the cell states of NEO).
 *
 * <p>Design: the numeric {@link #code()} is the wire format and never changes meaning; it is an
 * explicit field, not the ordinal, so reordering the constants cannot change the protocol.
 */
public enum ReplicaState {
    /** Holds every change of the bucket; may serve reads and be promoted to primary. */
    UP_TO_DATE(0),
    /**
     * Held the bucket but missed changes (for example while disconnected) and is catching up. The
     * planner never produces this state; the runtime sets it and ends it with
     * {@link PartitionPlanner#feedDone}.
     */
    OUT_OF_DATE(1),
    /** Receiving the bucket from the primary; becomes {@link #UP_TO_DATE} through {@code feedDone}. */
    FEEDING(2),
    /**
     * Being dropped. The planner never produces this state and never counts such a copy; it removes
     * it at the next {@link PartitionPlanner#nextStep} unless it is the bucket's only replica.
     */
    DISCARDED(3);

    private static final ReplicaState[] BY_CODE = {UP_TO_DATE, OUT_OF_DATE, FEEDING, DISCARDED};

    private final int code;

    ReplicaState(int code) {
        this.code = code;
    }

    /** The wire code: 0 to 3 in declaration order. */
    int code() {
        return code;
    }

    /**
     * The state with that wire code.
     *
     * @throws IllegalArgumentException naming the code if it is not 0 to 3
     */
    static ReplicaState ofCode(int code) {
        if (code < 0 || code >= BY_CODE.length) {
            throw new IllegalArgumentException("unknown replica state code " + code + " (valid: 0.."
                    + (BY_CODE.length - 1) + ")");
        }
        return BY_CODE[code];
    }
}
