package io.shoal.samples.bench;

import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the measurements of the remote benchmark into a table and the {@code RESULT} lines. Pure
 * formatting and arithmetic, so that it can be tested on made-up numbers.
 *
 * <p>Each setting (operation, connections, pipeline depth) is measured against both servers in one
 * or more rounds. A server's ops/s at a setting is the median of its rounds; its percentiles come
 * from the latencies of all its rounds together. Each {@code RESULT} line reads
 * {@code RESULT remote.<op>.c<C>.d<D>.vs.echo <ratio> (<ours> vs <echo> ops/s; p50/p99/p99.9 ours
 * a/b/c µs echo a/b/c µs) target>=0.6 met|missed} (the format of {@link ResultLines}), with the
 * ratio of the node's ops/s to the echo server's.
 */
final class RemoteReport {
    /** The target: the node reaches at least this share of the echo floor's ops/s. */
    static final double TARGET = 0.6;
    static final long HIGHEST_TRACKABLE_NANOS = 60_000_000_000L;

    enum Server {
        /** transport-tcp names its threads {@code shoal-tcp-<n>-io-...}. */
        SHOAL("Shoal node", "shoal-tcp"),
        ECHO("Netty echo", EchoServer.THREAD_NAME);

        final String label;
        /** Names of the server's I/O threads start with this. */
        final String threadPrefix;

        Server(String label, String threadPrefix) {
            this.label = label;
            this.threadPrefix = threadPrefix;
        }
    }

    /** One point of the benchmark. */
    record Setting(LoadGenerator.Op op, int connections, int depth) {
        String resultName() {
            return "remote." + op.label() + ".c" + connections + ".d" + depth + ".vs.echo";
        }

        @Override
        public String toString() {
            return op.label() + " c" + connections + " d" + depth;
        }
    }

    /** The settings in the order they run and are reported: GET then PUT, 1 then 32 connections, depth 1 then 16. */
    static final List<Setting> SETTINGS = List.of(
            new Setting(LoadGenerator.Op.GET, 1, 1),
            new Setting(LoadGenerator.Op.GET, 1, 16),
            new Setting(LoadGenerator.Op.GET, 32, 1),
            new Setting(LoadGenerator.Op.GET, 32, 16),
            new Setting(LoadGenerator.Op.PUT, 1, 1),
            new Setting(LoadGenerator.Op.PUT, 1, 16),
            new Setting(LoadGenerator.Op.PUT, 32, 1),
            new Setting(LoadGenerator.Op.PUT, 32, 16));

    /**
     * A server's figures at one setting; per request in the measured windows, the CPU microseconds
     * its I/O threads and the generator's used, and how often its I/O threads went to sleep
     * (voluntary context switches; NaN where unknown).
     */
    record Score(double opsPerSecond, double p50Micros, double p99Micros, double p999Micros, int rounds,
                 double serverCpuMicros, double generatorCpuMicros, double serverSleeps) {
        String percentiles() {
            return String.format(Locale.ROOT, "%.1f/%.1f/%.1f", p50Micros, p99Micros, p999Micros);
        }
    }

    private final List<Setting> settings;
    private final Map<Setting, Map<Server, List<LoadGenerator.Measurement>>> measurements = new LinkedHashMap<>();

    /** A report of every setting. */
    RemoteReport() {
        this(SETTINGS);
    }

    /** A report of some settings only (a diagnostic run). */
    RemoteReport(List<Setting> settings) {
        this.settings = List.copyOf(settings);
    }

    List<Setting> settings() {
        return settings;
    }

    void add(Setting setting, Server server, LoadGenerator.Measurement measurement) {
        measurements.computeIfAbsent(setting, s -> new EnumMap<>(Server.class))
                .computeIfAbsent(server, s -> new ArrayList<>()).add(measurement);
    }

    /** The server's score at the setting, or null without a measurement. */
    Score score(Setting setting, Server server) {
        List<LoadGenerator.Measurement> rounds = measurements.getOrDefault(setting, Map.of()).get(server);
        if (rounds == null || rounds.isEmpty()) {
            return null;
        }
        Histogram all = new Histogram(HIGHEST_TRACKABLE_NANOS, 3);
        double[] ops = new double[rounds.size()];
        long requests = 0;
        ThreadStats.Counters serverThreads = new ThreadStats.Counters(0, 0, 0);
        ThreadStats.Counters generatorThreads = new ThreadStats.Counters(0, 0, 0);
        for (int i = 0; i < ops.length; i++) {
            LoadGenerator.Measurement m = rounds.get(i);
            ops[i] = m.opsPerSecond();
            all.add(m.latencyNanos());
            requests += m.requests();
            serverThreads = plus(serverThreads, m.threads(server.threadPrefix));
            generatorThreads = plus(generatorThreads, m.threads(LoadGenerator.THREAD_NAME));
        }
        double perRequest = requests > 0 ? 1.0 / requests : Double.NaN;
        return new Score(median(ops), all.getValueAtPercentile(50) / 1e3, all.getValueAtPercentile(99) / 1e3,
                all.getValueAtPercentile(99.9) / 1e3, ops.length,
                serverThreads == null ? Double.NaN : serverThreads.cpuNanos() / 1e3 * perRequest,
                generatorThreads == null ? Double.NaN : generatorThreads.cpuNanos() / 1e3 * perRequest,
                serverThreads == null ? Double.NaN : serverThreads.voluntarySwitches() * perRequest);
    }

    /** Null (unknown) if either is. */
    private static ThreadStats.Counters plus(ThreadStats.Counters a, ThreadStats.Counters b) {
        return a == null || b == null ? null : a.plus(b);
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    String resultLine(Setting setting) {
        Score ours = score(setting, Server.SHOAL);
        Score echo = score(setting, Server.ECHO);
        boolean measured = ours != null && echo != null && echo.opsPerSecond() > 0;
        if (!measured) {
            String missing = ours == null && echo == null ? "either server" : ours == null ? Server.SHOAL.label
                    : echo == null ? Server.ECHO.label : Server.ECHO.label + " (0 ops/s)";
            return ResultLines.line(setting.resultName(), false, Double.NaN, "no figure for " + missing, TARGET);
        }
        String details = String.format(Locale.ROOT, "%.0f vs %.0f ops/s; p50/p99/p99.9 ours %s µs echo %s µs",
                ours.opsPerSecond(), echo.opsPerSecond(), ours.percentiles(), echo.percentiles());
        return ResultLines.line(setting.resultName(), true, ours.opsPerSecond() / echo.opsPerSecond(), details,
                TARGET);
    }

    List<String> resultLines() {
        List<String> lines = new ArrayList<>();
        for (Setting setting : settings) {
            lines.add(resultLine(setting));
        }
        return lines;
    }

    String targetSummary() {
        int met = 0;
        int unknown = 0;
        for (Setting setting : settings) {
            Score ours = score(setting, Server.SHOAL);
            Score echo = score(setting, Server.ECHO);
            if (ours == null || echo == null || echo.opsPerSecond() <= 0) {
                unknown++;
            } else if (ResultLines.met(ours.opsPerSecond() / echo.opsPerSecond(), TARGET)) {
                met++;
            }
        }
        return ResultLines.targetSummary(settings.size(), met, unknown);
    }

    /** Settings and servers without a measurement, as {@code "get c1 d1 Shoal node"}. */
    List<String> missing() {
        List<String> missing = new ArrayList<>();
        for (Setting setting : settings) {
            for (Server server : Server.values()) {
                if (score(setting, server) == null) {
                    missing.add(setting + " " + server.label);
                }
            }
        }
        return missing;
    }

    /**
     * One row per setting and server: ops/s, latency percentiles, rounds; per request the CPU µs of
     * the server's I/O threads ({@code srv CPU}) and of the generator's threads ({@code gen CPU}) and
     * how often the server's I/O threads went to sleep ({@code srv slp}); the node's ratio to the
     * echo server.
     */
    List<String> table() {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "%-3s %5s %5s  %-10s %12s %9s %9s %9s %6s %8s %8s %8s  %s", "op",
                "conns", "depth", "server", "ops/s", "p50 µs", "p99 µs", "p99.9 µs", "rounds", "srv CPU", "gen CPU",
                "srv slp", "ours/echo"));
        for (Setting setting : settings) {
            Score ours = score(setting, Server.SHOAL);
            Score echo = score(setting, Server.ECHO);
            for (Server server : Server.values()) {
                Score s = server == Server.SHOAL ? ours : echo;
                if (s == null) {
                    continue;
                }
                String ratio = server == Server.SHOAL && echo != null && echo.opsPerSecond() > 0
                        ? String.format(Locale.ROOT, "%.3f", s.opsPerSecond() / echo.opsPerSecond()) : "";
                lines.add(String.format(Locale.ROOT,
                        "%-3s %5d %5d  %-10s %,12.0f %9.1f %9.1f %9.1f %6d %8.2f %8.2f %8.2f  %s",
                        setting.op().label(), setting.connections(), setting.depth(), server.label, s.opsPerSecond(),
                        s.p50Micros(), s.p99Micros(), s.p999Micros(), s.rounds(), s.serverCpuMicros(),
                        s.generatorCpuMicros(), s.serverSleeps(), ratio).stripTrailing());
            }
        }
        return lines;
    }
}
