package io.shoal.samples.bench;

import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the measurements of the cluster benchmark into a table and the {@code RESULT} lines (the
 * format of {@link ResultLines}). Pure formatting and arithmetic, so that it can be tested on
 * made-up numbers.
 *
 * <pre>
 * RESULT cluster.rebalance.vs.raw-tcp &lt;ratio&gt; (&lt;rebalance&gt; vs &lt;raw&gt; MB/s; &lt;bytes&gt; bytes, &lt;entries&gt; entries fed in &lt;s&gt; s) target&gt;=0.3 met|missed
 * RESULT cluster.&lt;get|put&gt;.c&lt;C&gt;.d&lt;D&gt;.sync.vs.async &lt;ratio&gt; (&lt;sync&gt; vs &lt;async&gt; ops/s; p50/p99/p99.9 sync a/b/c µs async a/b/c µs)
 * </pre>
 *
 * The first ratio is the rebalance's throughput over a raw loopback TCP transfer of the same bytes
 * (the target: at least 0.3); the others are the smart client's ops/s against a 3-node
 * cluster with {@code backups.sync = true} over the same with {@code false} (what synchronous
 * backups cost; no target). MB are 10^6 bytes.
 */
final class ClusterReport {
    /** The target: a rebalance moves data at least this share as fast as raw loopback TCP. */
    static final double TARGET = 0.3;
    static final String REBALANCE_RESULT = "cluster.rebalance.vs.raw-tcp";

    /**
     * What the rebalance did.
     *
     * @param entries       entries in the cluster (each held by {@code backups.count + 1} nodes)
     * @param entriesFed    entries of the bucket copies the new table has that the one before the join did not
     * @param copiesFed     how many such bucket copies
     * @param bytesMoved    {@code entriesFed × (key + value bytes)}
     * @param seconds       from the start of the new node to the first probe that found the cluster balanced
     * @param startSeconds  how long the new node's start (which includes its join) took
     * @param newNodeEntries entries the new node holds once balanced
     */
    record Rebalance(long entries, long entriesFed, int copiesFed, long bytesMoved, double seconds, double startSeconds,
                     long newNodeEntries) {
        double megabytesPerSecond() {
            return bytesMoved / seconds / 1e6;
        }
    }

    /** One point of the GET/PUT part: {@code callers} callers, {@code depth} requests in flight each. */
    record Setting(LoadGenerator.Op op, int callers, int depth) {
        String resultName() {
            return "cluster." + op.label() + ".c" + callers + ".d" + depth + ".sync.vs.async";
        }

        @Override
        public String toString() {
            return op.label() + " c" + callers + " d" + depth;
        }
    }

    /** The settings in the order they run and are reported. */
    static final List<Setting> SETTINGS = List.of(
            new Setting(LoadGenerator.Op.GET, 1, 16),
            new Setting(LoadGenerator.Op.GET, 32, 1),
            new Setting(LoadGenerator.Op.PUT, 1, 16),
            new Setting(LoadGenerator.Op.PUT, 32, 1));

    /**
     * A cluster's figures at one setting; per request, {@code cpuMicros}: the CPU µs of every thread of
     * the JVM, {@code clientIoMicros}: of the smart client's I/O threads (NaN where unknown).
     */
    record Score(double opsPerSecond, double p50Micros, double p99Micros, double p999Micros, double cpuMicros,
                 double clientIoMicros) {
        String percentiles() {
            return String.format(Locale.ROOT, "%.1f/%.1f/%.1f", p50Micros, p99Micros, p999Micros);
        }
    }

    private final List<Setting> settings;
    private final Map<Setting, Map<Boolean, LoadGenerator.Measurement>> measurements = new HashMap<>();
    private final List<Rebalance> rebalances = new ArrayList<>();
    private final Map<Boolean, String> clientThreads = new HashMap<>();
    private long rawBytes;
    private double[] rawSeconds = new double[0];

    ClusterReport() {
        this(SETTINGS);
    }

    ClusterReport(List<Setting> settings) {
        this.settings = List.copyOf(settings);
    }

    /** One more round of the rebalance. */
    void rebalance(Rebalance measured) {
        rebalances.add(measured);
    }

    /** The round with the median MB/s (the lower of the two middle ones for an even count); null without one. */
    Rebalance rebalance() {
        if (rebalances.isEmpty()) {
            return null;
        }
        List<Rebalance> sorted = new ArrayList<>(rebalances);
        sorted.sort((a, b) -> Double.compare(a.megabytesPerSecond(), b.megabytesPerSecond()));
        return sorted.get((sorted.size() - 1) / 2);
    }

    /** The thread group of the smart client's I/O threads against one cluster, for the table's {@code client µs}. */
    void clientThreads(boolean backupsSync, String group) {
        clientThreads.put(backupsSync, group);
    }

    /** The raw transfers of {@code bytes} bytes, one time per round. */
    void raw(long bytes, double[] seconds) {
        this.rawBytes = bytes;
        this.rawSeconds = seconds.clone();
    }

    /** The raw transfer's MB/s: the median of its rounds; NaN without one. */
    double rawMegabytesPerSecond() {
        if (rawSeconds.length == 0) {
            return Double.NaN;
        }
        double[] rates = new double[rawSeconds.length];
        for (int i = 0; i < rates.length; i++) {
            rates[i] = rawBytes / rawSeconds[i] / 1e6;
        }
        return RemoteReport.median(rates);
    }

    void add(Setting setting, boolean backupsSync, LoadGenerator.Measurement measurement) {
        measurements.computeIfAbsent(setting, s -> new HashMap<>()).put(backupsSync, measurement);
    }

    Score score(Setting setting, boolean backupsSync) {
        LoadGenerator.Measurement m = measurements.getOrDefault(setting, Map.of()).get(backupsSync);
        if (m == null) {
            return null;
        }
        Histogram h = m.latencyNanos();
        double cpu = Double.NaN;
        double client = Double.NaN;
        if (!m.threads().isEmpty() && m.requests() > 0) {
            long nanos = 0;
            for (ThreadStats.Counters c : m.threads().values()) {
                nanos += c.cpuNanos();
            }
            cpu = nanos / 1e3 / m.requests();
            String group = clientThreads.get(backupsSync);
            ThreadStats.Counters io = group == null ? null : m.threads().get(group);
            client = io == null ? Double.NaN : io.cpuNanos() / 1e3 / m.requests();
        }
        return new Score(m.opsPerSecond(), h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
                h.getValueAtPercentile(99.9) / 1e3, cpu, client);
    }

    private boolean rebalanceMeasured() {
        return rebalance() != null && rebalance().seconds() > 0 && !Double.isNaN(rawMegabytesPerSecond());
    }

    String rebalanceLine() {
        Rebalance rebalance = rebalance();
        if (!rebalanceMeasured()) {
            String why = rebalance == null ? "no rebalance figure" : "no raw TCP figure";
            return ResultLines.line(REBALANCE_RESULT, false, Double.NaN, why, TARGET);
        }
        double ours = rebalance.megabytesPerSecond();
        double raw = rawMegabytesPerSecond();
        String details = String.format(Locale.ROOT, "%.1f vs %.1f MB/s; %d bytes, %d entries fed in %.2f s%s", ours, raw,
                rebalance.bytesMoved(), rebalance.entriesFed(), rebalance.seconds(),
                rebalances.size() > 1 ? "; median of " + rebalances.size() + " rounds" : "");
        return ResultLines.line(REBALANCE_RESULT, true, ours / raw, details, TARGET);
    }

    String resultLine(Setting setting) {
        Score sync = score(setting, true);
        Score async = score(setting, false);
        if (sync == null || async == null || async.opsPerSecond() <= 0) {
            String missing = sync == null && async == null ? "either cluster" : sync == null ? "backups.sync = true"
                    : async == null ? "backups.sync = false" : "backups.sync = false (0 ops/s)";
            return ResultLines.line(setting.resultName(), false, Double.NaN, "no figure for " + missing, Double.NaN);
        }
        String details = String.format(Locale.ROOT, "%.0f vs %.0f ops/s; p50/p99/p99.9 sync %s µs async %s µs",
                sync.opsPerSecond(), async.opsPerSecond(), sync.percentiles(), async.percentiles());
        return ResultLines.line(setting.resultName(), true, sync.opsPerSecond() / async.opsPerSecond(), details,
                Double.NaN);
    }

    List<String> resultLines() {
        List<String> lines = new ArrayList<>();
        lines.add(rebalanceLine());
        for (Setting setting : settings) {
            lines.add(resultLine(setting));
        }
        return lines;
    }

    String targetSummary() {
        if (!rebalanceMeasured()) {
            return ResultLines.targetSummary(1, 0, 1);
        }
        return ResultLines.targetSummary(1,
                ResultLines.met(rebalance().megabytesPerSecond() / rawMegabytesPerSecond(), TARGET) ? 1 : 0, 0);
    }

    /** What has no figure, in words (empty: everything was measured). */
    List<String> missing() {
        List<String> missing = new ArrayList<>();
        if (rebalances.isEmpty()) {
            missing.add("rebalance");
        }
        if (rawSeconds.length == 0) {
            missing.add("raw TCP transfer");
        }
        for (Setting setting : settings) {
            for (boolean sync : new boolean[] {true, false}) {
                if (score(setting, sync) == null) {
                    missing.add(setting + " backups.sync=" + sync);
                }
            }
        }
        return missing;
    }

    /** The rebalance's figures, then one row per GET/PUT setting and cluster. */
    List<String> table() {
        List<String> lines = new ArrayList<>();
        Rebalance median = rebalance();
        if (median != null) {
            lines.add(String.format(Locale.ROOT, "rebalance: a third node joins two holding %,d entries (%d-byte keys, "
                            + "%d-byte values)%s", median.entries(), MapData.KEY_BYTES, MapData.VALUE_BYTES,
                    rebalances.size() > 1 ? "; " + rebalances.size() + " rounds, the median one first" : ""));
            List<Rebalance> rounds = new ArrayList<>(rebalances);
            rounds.remove(median);
            rounds.add(0, median);
            for (Rebalance r : rounds) {
                lines.add(String.format(Locale.ROOT, "  balanced after %.2f s (the new node's start and join: %.2f s); "
                                + "fed %d bucket copies, %,d entries, %,d bytes: %.1f MB/s; the new node holds %,d "
                                + "entries", r.seconds(), r.startSeconds(), r.copiesFed(), r.entriesFed(), r.bytesMoved(),
                        r.megabytesPerSecond(), r.newNodeEntries()));
            }
        } else {
            lines.add("rebalance: no figure (see the errors above)");
        }
        if (rawSeconds.length > 0) {
            double[] rates = new double[rawSeconds.length];
            for (int i = 0; i < rates.length; i++) {
                rates[i] = rawBytes / rawSeconds[i] / 1e6;
            }
            Arrays.sort(rates);
            lines.add(String.format(Locale.ROOT, "raw loopback TCP, %,d bytes in %d KiB chunks: %.1f MB/s (median of %d;"
                            + " %.1f to %.1f)", rawBytes, RawTransfer.CHUNK_BYTES / 1024, rawMegabytesPerSecond(),
                    rates.length, rates[0], rates[rates.length - 1]));
        }
        lines.add("");
        lines.add(String.format(Locale.ROOT, "%-3s %7s %5s  %-12s %12s %9s %9s %9s %8s %9s  %s", "op", "callers",
                "depth", "backups.sync", "ops/s", "p50 µs", "p99 µs", "p99.9 µs", "CPU µs", "client µs", "sync/async"));
        for (Setting setting : settings) {
            Score sync = score(setting, true);
            Score async = score(setting, false);
            for (boolean backupsSync : new boolean[] {true, false}) {
                Score s = backupsSync ? sync : async;
                if (s == null) {
                    continue;
                }
                String ratio = backupsSync && async != null && async.opsPerSecond() > 0
                        ? String.format(Locale.ROOT, "%.3f", s.opsPerSecond() / async.opsPerSecond()) : "";
                lines.add(String.format(Locale.ROOT, "%-3s %7d %5d  %-12s %,12.0f %9.1f %9.1f %9.1f %8.2f %9.2f  %s",
                        setting.op().label(), setting.callers(), setting.depth(), backupsSync, s.opsPerSecond(),
                        s.p50Micros(), s.p99Micros(), s.p999Micros(), s.cpuMicros(), s.clientIoMicros(), ratio)
                        .stripTrailing());
            }
        }
        return lines;
    }
}
