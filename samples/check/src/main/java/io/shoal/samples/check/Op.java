package io.shoal.samples.check;

import java.util.Objects;

/**
 * One recorded operation of the workload: which key, what it wrote or read (a {@link Values} id),
 * when it was called and when it returned ({@link System#nanoTime()} of the checker's JVM, comparable
 * across its threads), and how it ended.
 *
 * @param foreignValue the text a read returned when {@code value} is {@link Values#FOREIGN}, else null
 * @param endNanos     when the call returned; for an {@link Outcome#UNKNOWN} write the change may still
 *                     take effect later, which the checker accounts for
 * @param bucketLost   the call failed with {@link io.shoal.BucketLostException}: the key's bucket had lost
 *                     every copy (the outcome is then {@link Outcome#FAILED}: nothing was read or changed)
 */
record Op(int key, Kind kind, long value, String foreignValue, long startNanos, long endNanos, Outcome outcome,
          boolean bucketLost) {

    enum Kind {
        WRITE, READ,
        /** A read of the final read-back, after the workload and the faults stopped. */
        FINAL_READ
    }

    enum Outcome {
        /** Acknowledged: a write was applied; a read returned {@code value}. */
        OK,
        /** The client said it did nothing: a write that was certainly not applied; any read error. */
        FAILED,
        /** A write that may or may not have been applied (timeout, connection lost, ...). */
        UNKNOWN
    }

    Op {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(outcome, "outcome");
        if (endNanos < startNanos) {
            throw new IllegalArgumentException("ends before it starts: " + startNanos + " > " + endNanos);
        }
        if (kind == Kind.WRITE && value < 0) {
            throw new IllegalArgumentException("a write's value must be a value id, not " + value);
        }
        if (kind != Kind.WRITE && outcome == Outcome.UNKNOWN) {
            throw new IllegalArgumentException("a read is OK or FAILED, not UNKNOWN");
        }
        if (bucketLost && outcome != Outcome.FAILED) {
            throw new IllegalArgumentException("a call that got BucketLostException FAILED, not " + outcome);
        }
    }

    /** A call that did not fail with {@link io.shoal.BucketLostException}. */
    Op(int key, Kind kind, long value, String foreignValue, long startNanos, long endNanos, Outcome outcome) {
        this(key, kind, value, foreignValue, startNanos, endNanos, outcome, false);
    }

    boolean isRead() {
        return kind != Kind.WRITE;
    }

    String valueText() {
        if (bucketLost && isRead()) {
            return "BucketLostException";
        }
        return value == Values.FOREIGN && foreignValue != null ? '"' + foreignValue + '"' : Values.text(value, key);
    }
}
