package io.shoal.samples.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the samples of the persist benchmark into a table and the {@code RESULT} lines. Pure
 * formatting and arithmetic, so that it can be tested on made-up numbers.
 *
 * <p>Every subject is measured in several rounds; its score is the median of its rounds. Each
 * {@code RESULT} line reads {@code RESULT <name> <ratio> (<ours> vs <peer> <unit>)} (or
 * {@code (<ours> <unit> vs <peer> <unit>)} when the units differ), where the ratio is ours
 * divided by the peer's (higher is better for Shoal), followed by {@code target>=X met} or
 * {@code missed} where the issue sets a target, judged on the exact ratio. A comparison with
 * several peers is made against the slowest of them, named after a semicolon. A subject without
 * samples (a step that failed) gives {@code n/a} and counts as neither met nor missed.
 */
final class PersistReport {

    /** What was measured, in the order the table lists them. */
    enum Subject {
        LOG_APPEND("persist-file append, fsync=interval", "bytes/s"),
        RAW_WRITE("raw FileChannel write, force every " + LogFiles.FSYNC_INTERVAL_MS + " ms", "bytes/s"),
        NODE_PUT("ShoalMap.put, fsync=always, 16 threads", "puts/s"),
        DISK_FSYNC("disk: 1 thread, 1-frame write + force", "fsyncs/s"),
        NODE_RECOVERY("node start replaying the log", "records/s"),
        RAW_READ("raw sequential read of the segments", "records/s"),
        CHRONICLE_INSERT("raw Chronicle Map inserts", "records/s"),
        EMPTY_NODE_START("node start on an empty log", "ms");

        final String label;
        final String unit;

        Subject(String label, String unit) {
            this.label = label;
            this.unit = unit;
        }
    }

    /** A comparison named in the issue: ours over the slowest of the peers, with its target (NaN: none). */
    record Comparison(String name, Subject ours, List<Subject> peers, double target) {
        boolean hasTarget() {
            return !Double.isNaN(target);
        }
    }

    /** The comparisons, in the order their RESULT lines are printed. */
    static final List<Comparison> COMPARISONS = List.of(
            new Comparison("persist.append.interval.vs.raw", Subject.LOG_APPEND, List.of(Subject.RAW_WRITE), 0.7),
            new Comparison("persist.put.always.16t.per.fsync", Subject.NODE_PUT, List.of(Subject.DISK_FSYNC), 8),
            new Comparison("persist.recovery.vs.slower", Subject.NODE_RECOVERY,
                    List.of(Subject.RAW_READ, Subject.CHRONICLE_INSERT), 0.7),
            new Comparison("persist.recovery.vs.raw-read", Subject.NODE_RECOVERY, List.of(Subject.RAW_READ),
                    Double.NaN),
            new Comparison("persist.recovery.vs.chronicle", Subject.NODE_RECOVERY, List.of(Subject.CHRONICLE_INSERT),
                    Double.NaN));

    private final int frameBytes;
    private final Map<Subject, List<Double>> samples = new EnumMap<>(Subject.class);

    /** {@code frameBytes}: log bytes per record, to show byte rates as records per second too. */
    PersistReport(int frameBytes) {
        this.frameBytes = frameBytes;
    }

    /** Adds one round's figure for {@code subject}. */
    void add(Subject subject, double value) {
        samples.computeIfAbsent(subject, s -> new ArrayList<>()).add(value);
    }

    /** The median of the subject's rounds, or NaN without any. */
    double score(Subject subject) {
        List<Double> values = samples.get(subject);
        if (values == null || values.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /** Subjects of the comparisons that have no samples. */
    List<Subject> missing() {
        List<Subject> missing = new ArrayList<>();
        for (Comparison c : COMPARISONS) {
            List<Subject> involved = new ArrayList<>(c.peers());
            involved.add(0, c.ours());
            for (Subject s : involved) {
                if (Double.isNaN(score(s)) && !missing.contains(s)) {
                    missing.add(s);
                }
            }
        }
        return missing;
    }

    /** A comparison's figures: {@code peer} is null when a subject has no samples. */
    record Outcome(Comparison comparison, double ours, Subject peer, double peerScore) {
        boolean measured() {
            return peer != null && !Double.isNaN(ours) && peerScore > 0;
        }

        double ratio() {
            return measured() ? ours / peerScore : Double.NaN;
        }

        boolean targetMet() {
            return measured() && comparison.hasTarget() && ResultLines.met(ratio(), comparison.target());
        }
    }

    /** Ours against the slowest of the comparison's peers. */
    Outcome outcome(Comparison c) {
        Subject slowest = null;
        for (Subject peer : c.peers()) {
            if (Double.isNaN(score(peer))) {
                slowest = null;
                break;
            }
            if (slowest == null || score(peer) < score(slowest)) {
                slowest = peer;
            }
        }
        return new Outcome(c, score(c.ours()), slowest, slowest == null ? Double.NaN : score(slowest));
    }

    String resultLine(Outcome o) {
        Comparison c = o.comparison();
        String details;
        if (o.measured()) {
            Subject peer = o.peer();
            details = c.ours().unit.equals(peer.unit)
                    ? String.format(Locale.ROOT, "%.0f vs %.0f %s", o.ours(), o.peerScore(), peer.unit)
                    : String.format(Locale.ROOT, "%.0f %s vs %.0f %s", o.ours(), c.ours().unit, o.peerScore(),
                            peer.unit);
            if (c.peers().size() > 1) {
                details += "; slower: " + peer.label;
            }
        } else {
            details = whyNotMeasured(o);
        }
        return ResultLines.line(c.name(), o.measured(), o.ratio(), details, c.target());
    }

    List<String> resultLines() {
        List<String> lines = new ArrayList<>();
        for (Comparison c : COMPARISONS) {
            lines.add(resultLine(outcome(c)));
        }
        return lines;
    }

    /** For example {@code targets met: 2 of 3}. */
    String targetSummary() {
        int withTarget = 0;
        int met = 0;
        int unknown = 0;
        for (Comparison c : COMPARISONS) {
            if (c.hasTarget()) {
                Outcome o = outcome(c);
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

    /** One row per measured subject: median, lowest and highest round, unit; byte rates also in records/s. */
    List<String> table() {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "%-42s %15s %15s %15s  %s", "subject", "median", "min", "max", "unit"));
        for (Map.Entry<Subject, List<Double>> e : samples.entrySet()) {
            Subject s = e.getKey();
            double[] values = e.getValue().stream().mapToDouble(Double::doubleValue).toArray();
            String row = String.format(Locale.ROOT, "%-42s %,15.0f %,15.0f %,15.0f  %s (%d rounds)", s.label, score(s),
                    Arrays.stream(values).min().orElseThrow(), Arrays.stream(values).max().orElseThrow(), s.unit,
                    values.length);
            if (s.unit.equals("bytes/s")) {
                row += String.format(Locale.ROOT, ", median %,.0f records/s", score(s) / frameBytes);
            }
            lines.add(row);
        }
        return lines;
    }

    private String whyNotMeasured(Outcome o) {
        Comparison c = o.comparison();
        if (Double.isNaN(o.ours())) {
            return "no score for " + c.ours().label;
        }
        if (o.peer() == null) {
            return "no score for " + String.join(" or ", c.peers().stream().filter(p -> Double.isNaN(score(p)))
                    .map(p -> p.label).toList());
        }
        return o.peer().label + " scored 0";
    }
}
