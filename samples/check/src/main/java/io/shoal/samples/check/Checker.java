package io.shoal.samples.check;

import io.shoal.samples.check.CheckResult.Kind;
import io.shoal.samples.check.CheckResult.Violation;
import io.shoal.samples.check.Op.Outcome;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a recorded history, key by key, against what a linearizable (atomic) register allows. Pure
 * logic: no I/O, no clock.
 *
 * <p>Design note. Every value is written once, so each read names the write it saw. A write's effect
 * takes place at one instant within its interval: an {@code OK} write between its call and its
 * return; an {@code UNKNOWN} write at any time after its call, or never (a write that timed out may
 * still be sitting in a paused node's socket and apply much later); a {@code FAILED} write never.
 * Reads are checked with these rules, each sound (it flags nothing a correct store could do):
 * <ol>
 *   <li>A read returns a value that some non-failed write to the key started before the read ended
 *       ({@link Kind#NEVER_WRITTEN}, {@link Kind#FAILED_WRITE_SEEN}).</li>
 *   <li>Let a write <i>certainly precede</i> an instant if it was acknowledged before it, or some
 *       read that returned its value ended before it. A read returning write {@code a}'s value (or
 *       nothing: {@code a} is the initial state) is wrong if some write {@code b} certainly took
 *       effect after {@code a} ({@code b} started after {@code a} certainly preceded) and {@code b}
 *       certainly precedes the read's start: {@link Kind#STALE} or {@link Kind#EMPTY} if {@code b}
 *       was acknowledged, {@link Kind#NON_MONOTONIC} if only a read had seen it.</li>
 *   <li>Rules 1 and 2 look at two writes at a time; a history can break linearizability through a
 *       chain of reads of lingering {@code UNKNOWN} writes that no pair shows. For a key where they
 *       found nothing, the zone test of Gibbons and Korach (as in Golab, Li and Shah, "Analyzing
 *       consistency properties for fun and profit", PODC 2011) decides exactly:
 *       each value's zone runs from the earliest return to the latest call among its write and its
 *       reads; no two forward zones may overlap, and no backward zone may lie inside a forward one
 *       ({@link Kind#NOT_LINEARIZABLE}, counted once per key).</li>
 * </ol>
 * The final read-back (reads of kind {@link Op.Kind#FINAL_READ}) follows the same rules, reported as
 * {@link Kind#FINAL_WRONG} (rule 1) and {@link Kind#LOST_OLDER} / {@link Kind#LOST_MISSING}
 * (rule 2); a key whose final read failed with BucketLostException (and that no final read got) is
 * {@link Kind#LOST_BUCKET}. Calls of the workload that failed with BucketLostException are FAILED
 * (a write among them must never be seen) and counted in {@link CheckResult#bucketLostCalls()}.
 * Ties in time are given the benefit of the doubt. Cost: O(n log n) per key.
 */
final class Checker {
    private static final Comparator<Op> BY_START = Comparator.comparingLong(Op::startNanos);

    private Checker() {
    }

    /**
     * Checks {@code ops} on keys {@code 0 .. keyCount-1}; keys without an acknowledged final read are
     * counted in {@link CheckResult#keysWithoutFinalRead()}.
     *
     * @throws IllegalArgumentException if an operation names a key outside that range
     */
    static CheckResult check(Iterable<Op> ops, int keyCount) {
        List<List<Op>> byKey = new ArrayList<>(keyCount);
        for (int k = 0; k < keyCount; k++) {
            byKey.add(new ArrayList<>());
        }
        CheckResult result = new CheckResult();
        for (Op op : ops) {
            if (op.key() < 0 || op.key() >= keyCount) {
                throw new IllegalArgumentException("key " + op.key() + " outside 0.." + (keyCount - 1) + ": " + op);
            }
            byKey.get(op.key()).add(op);
            result.operations++;
            if (op.bucketLost() && op.kind() != Op.Kind.FINAL_READ) {
                result.addBucketLost(op);
            }
        }
        for (int k = 0; k < keyCount; k++) {
            new KeyCheck(k, byKey.get(k), result).run();
            byKey.set(k, null);
        }
        return result;
    }

    /** The check of one key's operations. */
    private static final class KeyCheck {
        private final int key;
        private final List<Op> ops;
        private final CheckResult result;
        private int violations;

        private Op[] writes;
        /** Per write (in call order): the earliest instant it certainly took effect by; MAX if none. */
        private long[] effectBy;
        /** Per write: the read that returned it and ended first, or null. */
        private Op[] firstSeenBy;
        /** Per write: the latest call among it and its reads (zone test), and that operation. */
        private long[] latestStart;
        private Op[] latestStarted;

        KeyCheck(int key, List<Op> ops, CheckResult result) {
            this.key = key;
            this.ops = ops;
            this.result = result;
        }

        void run() {
            List<Op> writeList = new ArrayList<>();
            for (Op op : ops) {
                if (op.kind() == Op.Kind.WRITE) {
                    writeList.add(op);
                }
            }
            writeList.sort(BY_START);
            writes = writeList.toArray(new Op[0]);
            int n = writes.length;
            Map<Long, Integer> byValue = new HashMap<>(n * 2);
            effectBy = new long[n];
            firstSeenBy = new Op[n];
            latestStart = new long[n];
            latestStarted = new Op[n];
            for (int i = 0; i < n; i++) {
                byValue.putIfAbsent(writes[i].value(), i);
                effectBy[i] = writes[i].outcome() == Outcome.OK ? writes[i].endNanos() : Long.MAX_VALUE;
                latestStart[i] = writes[i].startNanos();
                latestStarted[i] = writes[i];
            }

            // Rule 1, and what each valid read tells about when its write took effect.
            List<Op> validReads = new ArrayList<>();
            List<Integer> validWrite = new ArrayList<>();   // index into writes, -1 = initial state
            long absentLatestStart = Long.MIN_VALUE;
            Op absentLatest = null;
            boolean finalRead = false;
            Op finalBucketLost = null;
            for (Op op : ops) {
                if (op.kind() == Op.Kind.FINAL_READ && op.bucketLost()) {
                    finalBucketLost = op;
                }
                if (!op.isRead() || op.outcome() != Outcome.OK) {
                    continue;
                }
                boolean isFinal = op.kind() == Op.Kind.FINAL_READ;
                finalRead |= isFinal;
                if (op.value() == Values.ABSENT) {
                    validReads.add(op);
                    validWrite.add(-1);
                    if (op.startNanos() >= absentLatestStart) {
                        absentLatestStart = op.startNanos();
                        absentLatest = op;
                    }
                    continue;
                }
                Integer i = op.value() == Values.FOREIGN ? null : byValue.get(op.value());
                if (i == null) {
                    flag(isFinal ? Kind.FINAL_WRONG : Kind.NEVER_WRITTEN, op, null,
                            "a value written to key " + key + "; no write of this one was made");
                    continue;
                }
                Op write = writes[i];
                if (write.outcome() == Outcome.FAILED) {
                    flag(isFinal ? Kind.FINAL_WRONG : Kind.FAILED_WRITE_SEEN, op, write,
                            "any value but this one: its write failed (the client said it was not applied)");
                    continue;
                }
                if (write.startNanos() > op.endNanos()) {
                    flag(isFinal ? Kind.FINAL_WRONG : Kind.NEVER_WRITTEN, op, write,
                            "a value written before the read ended; this one's write was called only after");
                    continue;
                }
                validReads.add(op);
                validWrite.add(i);
                if (op.endNanos() < effectBy[i]) {
                    effectBy[i] = op.endNanos();
                    firstSeenBy[i] = op;
                }
                if (op.startNanos() >= latestStart[i]) {
                    latestStart[i] = op.startNanos();
                    latestStarted[i] = op;
                }
            }
            if (finalRead) {
                result.keysWithFinalValue++;
            } else if (finalBucketLost == null) {
                result.keysWithoutFinalRead++;
            }

            // Rule 2 over the writes that certainly took effect at some point, in call order.
            int[] candidates = new int[n];
            int m = 0;
            for (int i = 0; i < n; i++) {
                if (writes[i].outcome() != Outcome.FAILED && effectBy[i] != Long.MAX_VALUE) {
                    candidates[m++] = i;
                }
            }
            long[] starts = new long[m];
            long[] minEffect = new long[m + 1];
            int[] minEffectAt = new int[m + 1];
            long[] minAck = new long[m + 1];
            int[] minAckAt = new int[m + 1];
            minEffect[m] = Long.MAX_VALUE;
            minAck[m] = Long.MAX_VALUE;
            for (int c = m - 1; c >= 0; c--) {
                int i = candidates[c];
                starts[c] = writes[i].startNanos();
                long ack = writes[i].outcome() == Outcome.OK ? writes[i].endNanos() : Long.MAX_VALUE;
                boolean effectHere = effectBy[i] < minEffect[c + 1];
                minEffect[c] = effectHere ? effectBy[i] : minEffect[c + 1];
                minEffectAt[c] = effectHere ? i : minEffectAt[c + 1];
                boolean ackHere = ack < minAck[c + 1];
                minAck[c] = ackHere ? ack : minAck[c + 1];
                minAckAt[c] = ackHere ? i : minAckAt[c + 1];
            }
            for (int r = 0; r < validReads.size(); r++) {
                Op read = validReads.get(r);
                int seen = validWrite.get(r);
                boolean isFinal = read.kind() == Op.Kind.FINAL_READ;
                long seenBy = seen < 0 ? Long.MIN_VALUE : effectBy[seen];
                int p = firstStartAfter(starts, seenBy);
                if (minAck[p] < read.startNanos()) {
                    Op newer = writes[minAckAt[p]];
                    flag(isFinal ? (seen < 0 ? Kind.LOST_MISSING : Kind.LOST_OLDER) : (seen < 0 ? Kind.EMPTY : Kind.STALE),
                            read, newer, newer.valueText() + " or a newer value: it was acknowledged before the read started");
                } else if (minEffect[p] < read.startNanos()) {
                    int j = minEffectAt[p];
                    flag(isFinal ? (seen < 0 ? Kind.LOST_MISSING : Kind.LOST_OLDER) : Kind.NON_MONOTONIC,
                            read, firstSeenBy[j], writes[j].valueText()
                                    + " or a newer value: an earlier read, ended before this one started, returned it");
                }
            }

            if (violations == 0) {
                zoneTest(candidates, m, absentLatest, absentLatestStart);
            }
            if (!finalRead && finalBucketLost != null) {
                Op last = null;
                for (Op w : writes) {
                    if (w.outcome() == Outcome.OK && (last == null || w.endNanos() > last.endNanos())) {
                        last = w;
                    }
                }
                flag(Kind.LOST_BUCKET, finalBucketLost, last, last == null ? "the key's value (none was acknowledged)"
                        : last.valueText() + " or a newer value: the bucket must keep a copy while at most --backups "
                        + "nodes are away");
            }
        }

        /** Rule 3: the zone test, over the candidates' clusters and the initial state's (if any read found nothing). */
        private void zoneTest(int[] candidates, int m, Op absentLatest, long absentLatestStart) {
            List<Zone> forward = new ArrayList<>();
            List<Zone> backward = new ArrayList<>();
            for (int c = 0; c < m; c++) {
                int i = candidates[c];
                Zone zone = new Zone(effectBy[i], latestStart[i], latestStarted[i], writes[i]);
                (zone.isForward() ? forward : backward).add(zone);
            }
            if (absentLatest != null) {
                forward.add(new Zone(Long.MIN_VALUE, absentLatestStart, absentLatest, absentLatest));
            }
            forward.sort(Comparator.comparingLong(Zone::low));
            for (int f = 1; f < forward.size(); f++) {
                Zone earlier = forward.get(f - 1);
                Zone later = forward.get(f);
                if (later.low() < earlier.high()) {
                    conflict(earlier, later);
                    return;
                }
            }
            long[] lows = forward.stream().mapToLong(Zone::low).toArray();
            for (Zone b : backward) {
                // The only forward zone that can hold b: the last one starting before it (they do not overlap).
                int f = firstAtLeast(lows, b.high()) - 1;
                if (f >= 0 && b.low() < forward.get(f).high()) {
                    conflict(forward.get(f), b);
                    return;
                }
            }
        }

        private void conflict(Zone a, Zone b) {
            flag(Kind.NOT_LINEARIZABLE, a.latest(), b.write(), "one order of the writes " + a.write().valueText()
                    + " and " + b.write().valueText() + " that explains every read of both; there is none");
        }

        private void flag(Kind kind, Op op, Op witness, String expected) {
            violations++;
            result.add(new Violation(kind, key, op, witness, expected));
        }
    }

    /**
     * A value's zone: {@code low} = the earliest return, {@code high} = the latest call among its
     * write and reads. Forward if {@code low < high}: the value was certainly in place over
     * {@code [low, high]}.
     *
     * @param latest the operation called last (a read, or the write)
     * @param write  the write (for the initial state, the read that found nothing)
     */
    private record Zone(long low, long high, Op latest, Op write) {
        boolean isForward() {
            return low < high;
        }
    }

    /** The first index whose value is greater than {@code after} in the ascending {@code sorted}, or its length. */
    private static int firstStartAfter(long[] sorted, long after) {
        return after == Long.MAX_VALUE ? sorted.length : firstAtLeast(sorted, after + 1);
    }

    /** The first index whose value is at least {@code x} in the ascending {@code sorted}, or its length. */
    private static int firstAtLeast(long[] sorted, long x) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] >= x) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }
}
