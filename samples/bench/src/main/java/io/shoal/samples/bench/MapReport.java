package io.shoal.samples.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Turns the scores of the map benchmark into a table and the {@code RESULT} lines. Pure formatting
 * and arithmetic, so that it can be tested on made-up numbers.
 *
 * <p>Each {@code RESULT} line reads {@code RESULT <name> <ratio> (<ours> vs <peer> <unit>)}, where
 * the ratio is ours divided by the peer's (higher is better for Shoal), followed by
 * {@code target>=X met} or {@code missed} where the issue sets a target. A target is judged on the
 * exact ratio, not on the three decimals printed. Missing scores (a benchmark that failed) give
 * {@code n/a} and count as neither met nor missed.
 */
final class MapReport {

    /** What was measured, in the order the table lists them. */
    enum Subject {
        SHOAL("ShoalMap", ShoalMapBench.class),
        CHRONICLE("Chronicle Map", ChronicleMapBench.class),
        CHM("ConcurrentHashMap", ConcurrentHashMapBench.class);

        final String label;
        final Class<?> benchmarkClass;

        Subject(String label, Class<?> benchmarkClass) {
            this.label = label;
            this.benchmarkClass = benchmarkClass;
        }

        /** The subject whose benchmark class has this fully qualified name, or null. */
        static Subject ofClassName(String className) {
            for (Subject s : values()) {
                if (s.benchmarkClass.getName().equals(className)) {
                    return s;
                }
            }
            return null;
        }
    }

    /** One benchmark: subject, operation ({@code get} or {@code put}) and thread count. */
    record Case(Subject subject, String op, int threads) implements Comparable<Case> {
        Case {
            Objects.requireNonNull(subject, "subject");
            Objects.requireNonNull(op, "op");
        }

        @Override
        public int compareTo(Case o) {
            int c = subject.compareTo(o.subject);
            if (c == 0) {
                c = op.compareTo(o.op);
            }
            return c != 0 ? c : Integer.compare(threads, o.threads);
        }

        @Override
        public String toString() {
            return subject.label + " " + op + " " + threads + "t";
        }
    }

    /** A measured score; {@code allocBytesPerOp} is NaN unless the GC profiler ran. */
    record Score(double opsPerSecond, double error, double allocBytesPerOp) {
    }

    /** A comparison named in the issue: ours over peer, with its target (NaN: none). */
    record Comparison(String name, Case ours, Case peer, double target) {
    }

    /** Outcome of one comparison. */
    record Outcome(Comparison comparison, Score ours, Score peer) {
        boolean measured() {
            return ours != null && peer != null && peer.opsPerSecond() > 0;
        }

        double ratio() {
            return measured() ? ours.opsPerSecond() / peer.opsPerSecond() : Double.NaN;
        }

        boolean hasTarget() {
            return !Double.isNaN(comparison.target());
        }

        boolean targetMet() {
            return measured() && hasTarget() && ResultLines.met(ratio(), comparison.target());
        }
    }

    static final String UNIT = "ops/s";

    /** The comparisons, in the order their RESULT lines are printed. */
    static final List<Comparison> COMPARISONS = List.of(
            vs("map.get.1t.vs.chronicle", "get", 1, Subject.CHRONICLE, 1, 0.8),
            vs("map.put.1t.vs.chronicle", "put", 1, Subject.CHRONICLE, 1, 0.7),
            vs("map.get.2t.vs.chronicle", "get", 2, Subject.CHRONICLE, 2, 0.8),
            vs("map.put.2t.vs.chronicle", "put", 2, Subject.CHRONICLE, 2, 0.7),
            vs("map.get.1t.vs.chm", "get", 1, Subject.CHM, 1, Double.NaN),
            vs("map.put.1t.vs.chm", "put", 1, Subject.CHM, 1, Double.NaN),
            vs("map.get.2t.vs.1t", "get", 2, Subject.SHOAL, 1, 1.6),
            vs("map.put.2t.vs.1t", "put", 2, Subject.SHOAL, 1, 1.6));

    private final Map<Case, Score> scores = new TreeMap<>();

    void add(Case c, Score score) {
        scores.put(c, score);
    }

    Score score(Case c) {
        return scores.get(c);
    }

    List<Outcome> outcomes() {
        List<Outcome> outcomes = new ArrayList<>();
        for (Comparison c : COMPARISONS) {
            outcomes.add(new Outcome(c, scores.get(c.ours()), scores.get(c.peer())));
        }
        return outcomes;
    }

    /** Cases of the comparisons that have no score. */
    List<Case> missing() {
        List<Case> missing = new ArrayList<>();
        for (Comparison c : COMPARISONS) {
            for (Case k : List.of(c.ours(), c.peer())) {
                if (!scores.containsKey(k) && !missing.contains(k)) {
                    missing.add(k);
                }
            }
        }
        return missing;
    }

    static String resultLine(Outcome o) {
        Comparison c = o.comparison();
        String details = o.measured()
                ? String.format(Locale.ROOT, "%.0f vs %.0f %s", o.ours().opsPerSecond(), o.peer().opsPerSecond(), UNIT)
                : "no score for " + (o.ours() == null ? c.ours() : c.peer());
        return ResultLines.line(c.name(), o.measured(), o.ratio(), details, c.target());
    }

    List<String> resultLines() {
        List<String> lines = new ArrayList<>();
        for (Outcome o : outcomes()) {
            lines.add(resultLine(o));
        }
        return lines;
    }

    /** The table of every score, then how each subject scales from one thread to two. */
    List<String> table() {
        boolean alloc = scores.values().stream().anyMatch(s -> !Double.isNaN(s.allocBytesPerOp()));
        List<String> lines = new ArrayList<>();
        String header = String.format(Locale.ROOT, "%-18s %-4s %7s %14s %12s", "subject", "op", "threads", UNIT,
                "± 99.9%");
        lines.add(alloc ? header + String.format(Locale.ROOT, " %9s", "alloc B/op") : header);
        for (Map.Entry<Case, Score> e : scores.entrySet()) {
            Case c = e.getKey();
            Score s = e.getValue();
            String row = String.format(Locale.ROOT, "%-18s %-4s %7d %,14.0f %,12.0f", c.subject().label, c.op(),
                    c.threads(), s.opsPerSecond(), s.error());
            lines.add(alloc ? row + String.format(Locale.ROOT, " %10.1f", s.allocBytesPerOp()) : row);
        }
        List<String> scaling = new ArrayList<>();
        for (Subject subject : Subject.values()) {
            for (String op : List.of("get", "put")) {
                Score one = scores.get(new Case(subject, op, 1));
                Score two = scores.get(new Case(subject, op, 2));
                if (one != null && two != null && one.opsPerSecond() > 0) {
                    scaling.add(String.format(Locale.ROOT, "%s %s %.2fx", subject.label, op,
                            two.opsPerSecond() / one.opsPerSecond()));
                }
            }
        }
        if (!scaling.isEmpty()) {
            lines.add("2 threads / 1 thread: " + String.join(", ", scaling));
        }
        return lines;
    }

    /** For example {@code targets met: 5 of 6}. */
    String targetSummary() {
        int withTarget = 0;
        int met = 0;
        int unknown = 0;
        for (Outcome o : outcomes()) {
            if (o.hasTarget()) {
                withTarget++;
                if (!o.measured()) {
                    unknown++;
                } else if (o.targetMet()) {
                    met++;
                }
            }
        }
        return ResultLines.targetSummary(withTarget, met, unknown);
    }

    private static Comparison vs(String name, String op, int threads, Subject peer, int peerThreads, double target) {
        return new Comparison(name, new Case(Subject.SHOAL, op, threads), new Case(peer, op, peerThreads), target);
    }
}
