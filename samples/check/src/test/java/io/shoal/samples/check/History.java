package io.shoal.samples.check;

import io.shoal.samples.check.Op.Kind;
import io.shoal.samples.check.Op.Outcome;

import java.util.ArrayList;
import java.util.List;

/** A synthetic history for checker tests: operations on key 0 (unless told), at made-up times, values {@code v(n)}. */
final class History {
    final List<Op> ops = new ArrayList<>();

    /** The value id of worker 0's n-th write. */
    static long v(int n) {
        return Values.id(0, n);
    }

    History ok(int n, long start, long end) {
        return write(0, n, start, end, Outcome.OK);
    }

    History unknown(int n, long start, long end) {
        return write(0, n, start, end, Outcome.UNKNOWN);
    }

    History failed(int n, long start, long end) {
        return write(0, n, start, end, Outcome.FAILED);
    }

    History write(int key, int n, long start, long end, Outcome outcome) {
        ops.add(new Op(key, Kind.WRITE, v(n), null, start, end, outcome));
        return this;
    }

    /** A read of key 0 that returned v(n), or nothing for n = 0. */
    History read(int n, long start, long end) {
        return read(0, n, start, end);
    }

    History read(int key, int n, long start, long end) {
        ops.add(new Op(key, Kind.READ, n == 0 ? Values.ABSENT : v(n), null, start, end, Outcome.OK));
        return this;
    }

    History readFailed(long start, long end) {
        ops.add(new Op(0, Kind.READ, Values.ABSENT, null, start, end, Outcome.FAILED));
        return this;
    }

    /** A write of key 0 that failed with BucketLostException. */
    History bucketLostWrite(int n, long start, long end) {
        ops.add(new Op(0, Kind.WRITE, v(n), null, start, end, Outcome.FAILED, true));
        return this;
    }

    /** A read of key 0 that failed with BucketLostException. */
    History bucketLostRead(long start, long end) {
        ops.add(new Op(0, Kind.READ, Values.ABSENT, null, start, end, Outcome.FAILED, true));
        return this;
    }

    /** A final read of key 0 that failed with BucketLostException. */
    History bucketLostFinalRead(long start, long end) {
        ops.add(new Op(0, Kind.FINAL_READ, Values.ABSENT, null, start, end, Outcome.FAILED, true));
        return this;
    }

    History readForeign(String text, long start, long end) {
        ops.add(new Op(0, Kind.READ, Values.FOREIGN, text, start, end, Outcome.OK));
        return this;
    }

    /** The final read-back of key 0: v(n), or nothing for n = 0. */
    History finalRead(int n, long start, long end) {
        ops.add(new Op(0, Kind.FINAL_READ, n == 0 ? Values.ABSENT : v(n), null, start, end, Outcome.OK));
        return this;
    }

    CheckResult check() {
        return Checker.check(ops, 1);
    }

    CheckResult check(int keys) {
        return Checker.check(ops, keys);
    }
}
