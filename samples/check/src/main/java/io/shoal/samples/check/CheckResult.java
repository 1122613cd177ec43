package io.shoal.samples.check;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link Checker} found: a count per kind of violation and the first few examples of each.
 * {@link #wrong()} counts reads (and keys of the final read-back) that returned what they must not;
 * {@link #lost()} counts keys whose final value is older than what was acknowledged, or whose
 * bucket lost every copy. Workload calls that failed with BucketLostException are counted on the side
 * ({@link #bucketLostCalls()}): the run decides whether they are a finding.
 */
final class CheckResult {
    /** Examples kept per kind, each of another key. */
    static final int EXAMPLES_PER_KIND = 5;

    enum Kind {
        NEVER_WRITTEN(false, "a read returned a value never written to the key, or written only after the read ended"),
        FAILED_WRITE_SEEN(false, "a read returned the value of a write that failed (the client said it was not applied)"),
        STALE(false, "a read returned a value older than one acknowledged before the read started"),
        EMPTY(false, "a read found no value although a write was acknowledged before the read started"),
        NON_MONOTONIC(false, "a read returned a value older than one an earlier read had returned"),
        NOT_LINEARIZABLE(false, "the key's reads and writes fit no single order of the writes (a key counted once)"),
        FINAL_WRONG(false, "the final read-back returned a value never written to the key (or of a failed write)"),
        LOST_OLDER(true, "the final read-back returned a value older than one acknowledged (or seen) before"),
        LOST_MISSING(true, "the final read-back found no value although one was acknowledged (or seen) before"),
        LOST_BUCKET(true, "the final read-back got BucketLostException: the key's bucket lost every copy");

        final boolean lost;
        final String meaning;

        Kind(boolean lost, String meaning) {
            this.lost = lost;
            this.meaning = meaning;
        }
    }

    /**
     * One violation.
     *
     * @param op       the offending read (for {@link Kind#NOT_LINEARIZABLE}, one operation of the conflict)
     * @param witness  the operation that proves it wrong (an acknowledged write, an earlier read, ...), or null
     * @param expected what a correct answer would have been, in words
     */
    record Violation(Kind kind, int key, Op op, Op witness, String expected) {
    }

    private final Map<Kind, Long> counts = new EnumMap<>(Kind.class);
    private final Map<Kind, List<Violation>> examples = new EnumMap<>(Kind.class);
    long keysWithFinalValue;
    long keysWithoutFinalRead;
    long operations;
    /** Workload calls that failed with BucketLostException, and the first of them (each of another key). */
    long bucketLostWrites;
    long bucketLostReads;
    private final List<Op> bucketLostExamples = new ArrayList<>();
    private final java.util.Set<Integer> bucketLostKeys = new java.util.TreeSet<>();
    private long firstBucketLost = Long.MAX_VALUE;
    private long lastBucketLost = Long.MIN_VALUE;

    /** A workload call (not the final read-back) that failed with BucketLostException. */
    void addBucketLost(Op op) {
        if (op.kind() == Op.Kind.WRITE) {
            bucketLostWrites++;
        } else {
            bucketLostReads++;
        }
        bucketLostKeys.add(op.key());
        firstBucketLost = Math.min(firstBucketLost, op.startNanos());
        lastBucketLost = Math.max(lastBucketLost, op.endNanos());
        if (bucketLostExamples.size() < EXAMPLES_PER_KIND
                && bucketLostExamples.stream().noneMatch(o -> o.key() == op.key())) {
            bucketLostExamples.add(op);
        }
    }

    /** Workload calls that failed with BucketLostException. */
    long bucketLostCalls() {
        return bucketLostWrites + bucketLostReads;
    }

    /** The keys of those calls. */
    java.util.Set<Integer> bucketLostKeys() {
        return Collections.unmodifiableSet(bucketLostKeys);
    }

    List<Op> bucketLostExamples() {
        return Collections.unmodifiableList(bucketLostExamples);
    }

    /** When the first of those calls was made and the last returned (nanoTime); MAX/MIN if none. */
    long firstBucketLost() {
        return firstBucketLost;
    }

    long lastBucketLost() {
        return lastBucketLost;
    }

    void add(Violation violation) {
        counts.merge(violation.kind(), 1L, Long::sum);
        List<Violation> list = examples.computeIfAbsent(violation.kind(), k -> new ArrayList<>());
        // one example per key: five reads of one key tell less than one read of each of five keys
        if (list.size() < EXAMPLES_PER_KIND && list.stream().noneMatch(v -> v.key() == violation.key())) {
            list.add(violation);
        }
    }

    long count(Kind kind) {
        return counts.getOrDefault(kind, 0L);
    }

    List<Violation> examples(Kind kind) {
        return Collections.unmodifiableList(examples.getOrDefault(kind, List.of()));
    }

    long lost() {
        return counts.entrySet().stream().filter(e -> e.getKey().lost).mapToLong(Map.Entry::getValue).sum();
    }

    long wrong() {
        return counts.entrySet().stream().filter(e -> !e.getKey().lost).mapToLong(Map.Entry::getValue).sum();
    }

    /**
     * Keys that the final read-back could not read (each read failed until its deadline, none with
     * BucketLostException: those are {@link Kind#LOST_BUCKET}).
     */
    long keysWithoutFinalRead() {
        return keysWithoutFinalRead;
    }

    long keysWithFinalValue() {
        return keysWithFinalValue;
    }

    long operations() {
        return operations;
    }
}
