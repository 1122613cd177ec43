package io.shoal.samples.bench;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the whole remote benchmark at a tiny scale (a node over TCP, the echo server and the load
 * generator, every setting, a few seconds) and checks that it measured everything and printed
 * well-formed RESULT lines; then the report's formatting on made-up numbers. It checks behaviour,
 * not the ratios.
 */
class RemoteBenchTest {
    private static final RemoteBench.Scale TINY = new RemoteBench.Scale("test", 2_000, 100, 200, 1);
    private static final Pattern RESULT = Pattern.compile("RESULT (remote\\.(get|put)\\.c(1|32)\\.d(1|16)\\.vs\\.echo) "
            + "(\\d+\\.\\d{3}) \\((\\d+) vs (\\d+) ops/s; p50/p99/p99\\.9 ours (\\d+\\.\\d)/(\\d+\\.\\d)/(\\d+\\.\\d) µs "
            + "echo (\\d+\\.\\d)/(\\d+\\.\\d)/(\\d+\\.\\d) µs\\) target>=0\\.6 (met|missed)");

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aTinyRunMeasuresEverySettingAndPrintsWellFormedResultLines() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = RemoteBench.run(TINY, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String stdout = out.toString(StandardCharsets.UTF_8);
        String stderr = err.toString(StandardCharsets.UTF_8);

        assertEquals(0, exit, stderr);
        List<String> results = stdout.lines().filter(l -> l.startsWith("RESULT ")).toList();
        assertEquals(RemoteReport.SETTINGS.size(), results.size(), stdout);
        for (int i = 0; i < results.size(); i++) {
            Matcher m = RESULT.matcher(results.get(i));
            assertTrue(m.matches(), results.get(i));
            assertEquals(RemoteReport.SETTINGS.get(i).resultName(), m.group(1));
            double ours = Double.parseDouble(m.group(6));
            double echo = Double.parseDouble(m.group(7));
            assertTrue(ours > 0 && echo > 0, results.get(i));
            assertEquals(ours / echo, Double.parseDouble(m.group(5)), 0.0006 + ours / echo * 1e-5, results.get(i));
            assertEquals(ours / echo >= 0.6 ? "met" : "missed", m.group(14), results.get(i));
            for (int p = 8; p <= 13; p += 3) { // p50 <= p99 <= p99.9, for ours then echo
                assertTrue(Double.parseDouble(m.group(p)) <= Double.parseDouble(m.group(p + 1))
                        && Double.parseDouble(m.group(p + 1)) <= Double.parseDouble(m.group(p + 2)), results.get(i));
            }
        }
        assertTrue(stdout.lines().anyMatch(l -> l.matches("targets met: \\d of 8")), stdout);
        assertTrue(stdout.contains("the store alone"), stdout);
        assertTrue(stderr.contains("bench: [16/16] put c32 d16"), stderr);
        assertTrue(stderr.contains("filled map 'bench' with 2,000 entries"), stderr);
    }

    // ---- report ----

    private static LoadGenerator.Measurement measurement(double opsPerSecond, long... latenciesMicros) {
        Histogram histogram = new Histogram(RemoteReport.HIGHEST_TRACKABLE_NANOS, 3);
        for (long micros : latenciesMicros) {
            histogram.recordValue(micros * 1_000);
        }
        long requests = (long) opsPerSecond * 2;
        return new LoadGenerator.Measurement(requests, 2.0, histogram, Map.of(
                "shoal-tcp-1-io", new ThreadStats.Counters(requests * 2_000, 0, requests / 10),
                "bench-echo", new ThreadStats.Counters(requests * 500, 0, requests / 2),
                LoadGenerator.THREAD_NAME, new ThreadStats.Counters(requests * 1_000, 0, requests)), 0);
    }

    private static final RemoteReport.Setting GET_C1_D1 = RemoteReport.SETTINGS.get(0);
    private static final RemoteReport.Setting PUT_C32_D16 = RemoteReport.SETTINGS.get(7);

    @Test
    void resultLinesCarryRatioOpsAndPercentilesOfBothServers() {
        RemoteReport report = new RemoteReport(List.of(GET_C1_D1, PUT_C32_D16));
        report.add(GET_C1_D1, RemoteReport.Server.SHOAL, measurement(60_000, 10, 20, 30));
        report.add(GET_C1_D1, RemoteReport.Server.ECHO, measurement(100_000, 5, 6, 7));
        report.add(PUT_C32_D16, RemoteReport.Server.SHOAL, measurement(59_999, 100));
        report.add(PUT_C32_D16, RemoteReport.Server.ECHO, measurement(100_000, 50));
        assertEquals(List.of(
                "RESULT remote.get.c1.d1.vs.echo 0.600 (60000 vs 100000 ops/s; p50/p99/p99.9 ours 20.0/30.0/30.0 µs "
                        + "echo 6.0/7.0/7.0 µs) target>=0.6 met",
                "RESULT remote.put.c32.d16.vs.echo 0.600 (59999 vs 100000 ops/s; p50/p99/p99.9 ours "
                        + "100.0/100.0/100.0 µs echo 50.0/50.0/50.0 µs) target>=0.6 missed"),
                report.resultLines());
        assertEquals("targets met: 1 of 2", report.targetSummary());
        assertTrue(report.missing().isEmpty());

        List<String> table = report.table();
        assertEquals(5, table.size(), String.join("\n", table));
        assertTrue(table.get(1).matches("get\\s+1\\s+1\\s+Shoal node\\s+60,000\\s+20\\.0\\s+30\\.0\\s+30\\.0\\s+1"
                + "\\s+2\\.00\\s+1\\.00\\s+0\\.10\\s+0\\.600"), table.get(1));
        assertTrue(table.get(2).matches("get\\s+1\\s+1\\s+Netty echo\\s+100,000\\s+6\\.0\\s+7\\.0\\s+7\\.0\\s+1"
                + "\\s+0\\.50\\s+1\\.00\\s+0\\.50"), table.get(2));
    }

    @Test
    void opsAreTheMedianOfTheRoundsAndPercentilesComeFromAllOfThem() {
        RemoteReport report = new RemoteReport(List.of(GET_C1_D1));
        report.add(GET_C1_D1, RemoteReport.Server.ECHO, measurement(100, 10));
        report.add(GET_C1_D1, RemoteReport.Server.ECHO, measurement(300, 30));
        report.add(GET_C1_D1, RemoteReport.Server.ECHO, measurement(200, 20));
        RemoteReport.Score score = report.score(GET_C1_D1, RemoteReport.Server.ECHO);
        assertEquals(200, score.opsPerSecond());
        assertEquals(20.0, score.p50Micros(), 0.05);
        assertEquals(30.0, score.p999Micros(), 0.05);
        assertEquals(3, score.rounds());
    }

    @Test
    void aMissingServerGivesNotAvailable() {
        RemoteReport report = new RemoteReport(List.of(GET_C1_D1));
        report.add(GET_C1_D1, RemoteReport.Server.ECHO, measurement(100_000, 5));
        assertEquals(List.of("RESULT remote.get.c1.d1.vs.echo n/a (no figure for Shoal node) target>=0.6 unknown"),
                report.resultLines());
        assertEquals("targets met: 0 of 1 (1 not measured)", report.targetSummary());
        assertEquals(List.of("get c1 d1 Shoal node"), report.missing());
    }
}
