package io.shoal.samples.check;

import io.shoal.samples.check.CheckResult.Kind;
import io.shoal.samples.check.CheckResult.Violation;

import io.shoal.KeyHash;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/** Writes a {@link CheckResult} for people: per kind of violation, its count, meaning and first examples. */
final class Report {
    private Report() {
    }

    static void print(PrintWriter err, CheckResult result, RunClock clock) {
        print(err, result, clock, 0, -1);
    }

    /**
     * @param bucketCount the nodes' {@code buckets.count}, to name the buckets of keys; 0 if not known
     * @param backups     the run's {@code --backups}; -1 if not known (the bucket-lost finding is then
     *                    not judged)
     */
    static void print(PrintWriter err, CheckResult result, RunClock clock, long bucketCount, int backups) {
        err.printf(Locale.ROOT, "shoal check: checked %d operations: %d wrong, %d lost; final read-back: %d keys read%s%n",
                result.operations(), result.wrong(), result.lost(), result.keysWithFinalValue(),
                result.keysWithoutFinalRead() == 0 ? "" : ", " + result.keysWithoutFinalRead() + " keys NOT read");
        for (Kind kind : Kind.values()) {
            long count = result.count(kind);
            if (count == 0) {
                continue;
            }
            err.printf(Locale.ROOT, "  %s %s %d: %s%n", kind.lost ? "LOST" : "WRONG", kind, count, kind.meaning);
            for (Violation v : result.examples(kind)) {
                err.println("    " + describe(v, clock, bucketCount));
            }
        }
        if (result.bucketLostCalls() > 0) {
            Set<Integer> buckets = new TreeSet<>();
            for (int key : result.bucketLostKeys()) {
                int bucket = bucket(key, bucketCount);
                if (bucket >= 0) {
                    buckets.add(bucket);
                }
            }
            err.printf(Locale.ROOT, "  %s BucketLostException %d times during the workload (%d writes, %d reads) on "
                            + "%d keys%s, from %s to %s%s%n", isFinding(result, backups) ? "FINDING" : "NOTE",
                    result.bucketLostCalls(), result.bucketLostWrites, result.bucketLostReads,
                    result.bucketLostKeys().size(), buckets.isEmpty() ? "" : " of buckets " + buckets,
                    clock.wallTime(result.firstBucketLost()), clock.wallTime(result.lastBucketLost()),
                    backups >= 1 ? ": with --backups " + backups + " the checker took at most one node away at a time "
                            + "and waited for every bucket to have its copies again before the next fault, so no "
                            + "bucket may lose every copy" : "");
            for (Op op : result.bucketLostExamples()) {
                err.println("    key " + keyText(op.key(), bucketCount) + ": "
                        + (op.isRead() ? "read" : "write of " + op.valueText()) + " failed with BucketLostException ("
                        + span(op, clock) + ")");
            }
        }
        err.flush();
    }

    /**
     * Whether BucketLostExceptions of the workload are a finding of their own: with {@code --backups}
     * of 1 or more the checker never takes away more copies than the nodes survive.
     */
    static boolean isFinding(CheckResult result, int backups) {
        return backups >= 1 && result.bucketLostCalls() > 0;
    }

    /** The key's bucket among {@code bucketCount}, or -1 if that count is not known. */
    static int bucket(int key, long bucketCount) {
        if (bucketCount <= 0 || Long.bitCount(bucketCount) != 1 || bucketCount > KeyHash.MAX_BUCKET_COUNT) {
            return -1;
        }
        return KeyHash.bucketOf(KeyHash.hashUtf8(Workload.keyName(key)), (int) bucketCount);
    }

    private static String keyText(int key, long bucketCount) {
        int bucket = bucket(key, bucketCount);
        return Workload.keyName(key) + (bucket < 0 ? "" : " (bucket " + bucket + ")");
    }

    static String describe(Violation v, RunClock clock) {
        return describe(v, clock, 0);
    }

    /** One example: the key (and its bucket, to find in the node logs, if the bucket count is known), ... */
    static String describe(Violation v, RunClock clock, long bucketCount) {
        StringBuilder sb = new StringBuilder();
        sb.append("key ").append(keyText(v.key(), bucketCount)).append(": ");
        Op op = v.op();
        if (op.isRead()) {
            sb.append(op.kind() == Op.Kind.FINAL_READ ? "final read got " : "read got ").append(op.valueText());
        } else {
            sb.append("write of ").append(op.valueText());
        }
        sb.append(" (").append(span(op, clock)).append("); expected ").append(v.expected());
        if (v.witness() != null) {
            Op w = v.witness();
            sb.append(" [").append(w.isRead() ? "read got " : "write of ").append(w.valueText()).append(' ')
                    .append(span(w, clock)).append(w.isRead() ? "" : " " + w.outcome()).append(']');
        }
        return sb.toString();
    }

    private static String span(Op op, RunClock clock) {
        return "called " + clock.wallTime(op.startNanos()) + ", returned " + clock.wallTime(op.endNanos());
    }
}
