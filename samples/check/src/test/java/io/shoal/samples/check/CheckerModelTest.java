package io.shoal.samples.check;

import io.shoal.samples.check.Op.Kind;
import io.shoal.samples.check.Op.Outcome;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Checker} against the definition: on thousands of small random histories of one key, it
 * flags a history exactly when an exhaustive search finds no linearization (sound and complete), and
 * it flags nothing in histories generated from a real register with lingering unknown writes.
 */
class CheckerModelTest {
    private static final int HISTORIES = 20_000;

    @Test
    void agreesWithAnExhaustiveSearchOnRandomHistories() {
        Random random = new Random(20_240_611);
        int flagged = 0;
        int byZonesOnly = 0;
        for (int h = 0; h < HISTORIES; h++) {
            List<Op> ops = randomHistory(random);
            boolean linearizable = linearizable(ops);
            CheckResult result = Checker.check(ops, 1);
            boolean clean = result.wrong() + result.lost() == 0;
            assertEquals(linearizable, clean, () -> "exhaustive search says " + (linearizable ? "" : "not ")
                    + "linearizable, the checker disagrees: " + ops);
            flagged += clean ? 0 : 1;
            byZonesOnly += result.count(CheckResult.Kind.NOT_LINEARIZABLE) > 0 ? 1 : 0;
        }
        // the generator makes every kind in useful numbers, or the comparison proves little
        assertTrue(flagged > HISTORIES / 10 && flagged < HISTORIES * 9 / 10, "flagged " + flagged);
        assertTrue(byZonesOnly >= 20, "histories that only the zone test flags: " + byZonesOnly);
    }

    @Test
    void flagsNothingARealRegisterDoes() {
        Random random = new Random(7);
        for (int h = 0; h < HISTORIES / 4; h++) {
            List<Op> ops = registerHistory(random);
            CheckResult result = Checker.check(ops, 1);
            assertEquals(0, result.wrong() + result.lost(), () -> "flagged a correct history: " + ops);
        }
    }

    /**
     * 1 to 3 writes of one writer, one after the other, each UNKNOWN (half of them), OK or FAILED, and
     * 1 to 5 reads anywhere, each returning nothing, a written value or (rarely) one never written.
     * Every time is distinct, so that no tie decides.
     */
    private static List<Op> randomHistory(Random random) {
        List<Long> times = distinctTimes(random, 16);
        List<Op> ops = new ArrayList<>();
        int writes = 1 + random.nextInt(3);
        List<Long> writeTimes = new ArrayList<>(times.subList(0, writes * 2));
        writeTimes.sort(null);
        for (int w = 0; w < writes; w++) {
            Outcome outcome = random.nextBoolean() ? Outcome.UNKNOWN : random.nextInt(4) == 0 ? Outcome.FAILED : Outcome.OK;
            ops.add(new Op(0, Kind.WRITE, History.v(w + 1), null, writeTimes.get(2 * w), writeTimes.get(2 * w + 1),
                    outcome));
        }
        int reads = 1 + random.nextInt(5);
        for (int r = 0; r < reads; r++) {
            long a = times.get(writes * 2 + 2 * r);
            long b = times.get(writes * 2 + 2 * r + 1);
            int pick = random.nextInt(writes + 2);
            long value = pick == 0 ? Values.ABSENT : pick <= writes ? History.v(pick) : random.nextInt(10) == 0
                    ? History.v(9) : History.v(1 + random.nextInt(writes));
            ops.add(new Op(0, random.nextInt(8) == 0 ? Kind.FINAL_READ : Kind.READ, value, null, Math.min(a, b),
                    Math.max(a, b), Outcome.OK));
        }
        return ops;
    }

    private static List<Long> distinctTimes(Random random, int count) {
        Set<Long> seen = new HashSet<>();
        List<Long> times = new ArrayList<>();
        while (times.size() < count) {
            long t = random.nextInt(1000);
            if (seen.add(t)) {
                times.add(t);
            }
        }
        return times;
    }

    /**
     * Whether some order of the operations respects real time (an operation that returned before
     * another was called comes first; an UNKNOWN write never returned, so nothing must follow it)
     * and register semantics (a read returns the latest write before it, nothing before any), with
     * each UNKNOWN write either placed or left out and each FAILED write left out.
     */
    static boolean linearizable(List<Op> ops) {
        List<Op> candidates = new ArrayList<>();
        for (Op op : ops) {
            if (!(op.kind() == Kind.WRITE && op.outcome() == Outcome.FAILED)) {
                candidates.add(op);
            }
        }
        return search(candidates, new boolean[candidates.size()], Values.ABSENT, 0);
    }

    private static boolean search(List<Op> ops, boolean[] placed, long current, int placedCount) {
        boolean allMandatoryPlaced = true;
        for (int i = 0; i < ops.size(); i++) {
            if (!placed[i] && !(ops.get(i).kind() == Kind.WRITE && ops.get(i).outcome() == Outcome.UNKNOWN)) {
                allMandatoryPlaced = false;
            }
        }
        if (allMandatoryPlaced) {
            return true;
        }
        for (int i = 0; i < ops.size(); i++) {
            if (placed[i] || !minimal(ops, placed, i)) {
                continue;
            }
            Op op = ops.get(i);
            long next;
            if (op.kind() == Kind.WRITE) {
                next = op.value();
            } else if (op.value() == current) {
                next = current;
            } else {
                continue;
            }
            placed[i] = true;
            boolean found = search(ops, placed, next, placedCount + 1);
            placed[i] = false;
            if (found) {
                return true;
            }
        }
        return false;
    }

    /** No unplaced operation returned before op i was called. */
    private static boolean minimal(List<Op> ops, boolean[] placed, int i) {
        for (int j = 0; j < ops.size(); j++) {
            if (j != i && !placed[j] && returnNanos(ops.get(j)) < ops.get(i).startNanos()) {
                return false;
            }
        }
        return true;
    }

    private static long returnNanos(Op op) {
        return op.kind() == Kind.WRITE && op.outcome() == Outcome.UNKNOWN ? Long.MAX_VALUE : op.endNanos();
    }

    /**
     * A register simulated with real effect instants: one writer makes writes one after the other;
     * an OK write takes effect inside its interval, an UNKNOWN one at any later instant (long after it
     * returned, even after later writes) or never, a FAILED one never. Readers read at an instant
     * inside their intervals and return what the register held then.
     */
    private static List<Op> registerHistory(Random random) {
        List<Op> ops = new ArrayList<>();
        List<long[]> effects = new ArrayList<>();   // {instant, value}
        long t = 0;
        int writes = 1 + random.nextInt(6);
        for (int w = 1; w <= writes; w++) {
            long start = t + 1 + random.nextInt(20);
            long end = start + 1 + random.nextInt(20);
            Outcome outcome = Outcome.values()[random.nextInt(3)];
            ops.add(new Op(0, Kind.WRITE, History.v(w), null, start, end, outcome));
            if (outcome == Outcome.OK) {
                effects.add(new long[] {start + random.nextInt((int) (end - start) + 1), History.v(w)});
            } else if (outcome == Outcome.UNKNOWN && random.nextBoolean()) {
                effects.add(new long[] {start + random.nextInt(200), History.v(w)});
            }
            t = end;
        }
        effects.sort((a, b) -> Long.compare(a[0], b[0]));
        int reads = 1 + random.nextInt(8);
        for (int r = 0; r < reads; r++) {
            long start = random.nextInt((int) t + 220);
            long end = start + 1 + random.nextInt(30);
            long at = start + random.nextInt((int) (end - start) + 1);
            long value = Values.ABSENT;
            for (long[] effect : effects) {
                if (effect[0] <= at) {
                    value = effect[1];
                }
            }
            ops.add(new Op(0, random.nextInt(5) == 0 ? Kind.FINAL_READ : Kind.READ, value, null, start, end, Outcome.OK));
        }
        return ops;
    }
}
