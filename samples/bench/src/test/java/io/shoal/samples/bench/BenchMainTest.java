package io.shoal.samples.bench;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Command line and report formatting of the benchmark launcher; runs no benchmark. */
class BenchMainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return BenchMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void unknownBenchmarkPrintsUsageAndExits2() {
        assertEquals(2, run("maps"));
        assertTrue(err().contains("unknown benchmark 'maps'"), err());
        assertTrue(err().contains("usage: bin/shoal bench"), err());
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void unknownOptionPrintsUsageAndExits2() {
        assertEquals(2, run("map", "--fast"));
        assertTrue(err().contains("unknown option '--fast'"), err());
        assertTrue(err().contains("usage: bin/shoal bench"), err());
    }

    @Test
    void missingOrExtraNameExits2() {
        assertEquals(2, run());
        assertTrue(err().contains("no benchmark name"), err());
        assertEquals(2, run("--quick"));
        assertEquals(2, run("map", "map"));
    }

    @Test
    void helpGoesToStdoutAndExits0() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("usage: bin/shoal bench"));
        assertEquals("", err());
    }

    @Test
    void parsesNameAndOptionsInAnyOrder() throws Exception {
        assertEquals(new BenchMain.Settings("map", false, false, null, false), BenchMain.parse(new String[] {"map"}));
        assertEquals(new BenchMain.Settings("map", true, false, null, false),
                BenchMain.parse(new String[] {"map", "--quick"}));
        assertEquals(new BenchMain.Settings("map", true, true, null, false),
                BenchMain.parse(new String[] {"--gc", "map", "--quick"}));
        assertEquals(new BenchMain.Settings("persist", true, false, Path.of("/data/bench"), false),
                BenchMain.parse(new String[] {"--dir", "/data/bench", "persist", "--quick"}));
        assertEquals(new BenchMain.Settings("remote", true, false, null, false),
                BenchMain.parse(new String[] {"remote", "--quick"}));
        assertEquals(new BenchMain.Settings("cluster", true, false, null, false),
                BenchMain.parse(new String[] {"--quick", "cluster"}));
        assertThrows(BenchMain.UsageException.class, () -> BenchMain.parse(new String[] {"map", "-q"}));
    }

    @Test
    void usageNamesEveryBenchmark() {
        for (String name : BenchMain.NAMES) {
            assertTrue(BenchMain.USAGE.contains("  " + name + " "), name);
        }
        assertEquals(2, run("remote", "--gc"));
        assertTrue(err().contains("--gc is an option of bench map only"), err());
    }

    @Test
    void optionsOfTheOtherBenchmarkAreRefused() {
        assertEquals(2, run("persist", "--gc"));
        assertTrue(err().contains("--gc is an option of bench map only"), err());
        assertEquals(2, run("map", "--dir", "/tmp"));
        assertTrue(err().contains("--dir is an option of bench persist only"), err());
        assertEquals(2, run("persist", "--dir"));
        assertTrue(err().contains("--dir needs a directory"), err());
        assertEquals(2, run("cluster", "--gc"));
        assertEquals(2, run("cluster", "--dir", "/tmp"));
    }

    @Test
    void forksGetModuleFlagsPropertiesAndHeapButNoAgents() {
        List<String> input = List.of("-Dchronicle.analytics.disable=true", "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED", "-Xmx2g", "-XX:+UseParallelGC",
                "-agentlib:jdwp=transport=dt_socket,server=y,suspend=n", "-javaagent:/tmp/a.jar", "-ea");
        assertEquals(List.of("-Dchronicle.analytics.disable=true", "--add-opens=java.base/java.lang=ALL-UNNAMED",
                        "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED", "-Xmx2g", "-XX:+UseParallelGC"),
                BenchMain.forkJvmArgs(input));
    }

    @Test
    void runOrderPutsEachComparisonSideBySide() {
        List<MapReport.Case> order = BenchMain.runOrder();
        assertEquals(12, order.size());
        assertEquals(new MapReport.Case(MapReport.Subject.SHOAL, "get", 1), order.get(0));
        assertEquals(new MapReport.Case(MapReport.Subject.CHRONICLE, "get", 1), order.get(1));
        assertEquals(new MapReport.Case(MapReport.Subject.CHM, "put", 2), order.get(11));
        assertEquals(12, order.stream().distinct().count());
    }

    // ---- report ----

    private static MapReport.Case shoal(String op, int threads) {
        return new MapReport.Case(MapReport.Subject.SHOAL, op, threads);
    }

    private static MapReport.Case chronicle(String op, int threads) {
        return new MapReport.Case(MapReport.Subject.CHRONICLE, op, threads);
    }

    private static MapReport.Case chm(String op, int threads) {
        return new MapReport.Case(MapReport.Subject.CHM, op, threads);
    }

    private static MapReport.Score score(double opsPerSecond) {
        return new MapReport.Score(opsPerSecond, opsPerSecond / 100, Double.NaN);
    }

    private static MapReport fullReport() {
        MapReport report = new MapReport();
        report.add(shoal("get", 1), score(900_000));
        report.add(shoal("get", 2), score(1_700_000));
        report.add(shoal("put", 1), score(600_000));
        report.add(shoal("put", 2), score(900_000));
        report.add(chronicle("get", 1), score(1_000_000));
        report.add(chronicle("get", 2), score(2_000_000));
        report.add(chronicle("put", 1), score(1_000_000));
        report.add(chronicle("put", 2), score(1_250_000));
        report.add(chm("get", 1), score(9_000_000));
        report.add(chm("get", 2), score(18_000_000));
        report.add(chm("put", 1), score(3_000_000));
        report.add(chm("put", 2), score(4_000_000));
        return report;
    }

    @Test
    void resultLinesHaveRatioFiguresAndTargets() {
        assertEquals(List.of(
                "RESULT map.get.1t.vs.chronicle 0.900 (900000 vs 1000000 ops/s) target>=0.8 met",
                "RESULT map.put.1t.vs.chronicle 0.600 (600000 vs 1000000 ops/s) target>=0.7 missed",
                "RESULT map.get.2t.vs.chronicle 0.850 (1700000 vs 2000000 ops/s) target>=0.8 met",
                "RESULT map.put.2t.vs.chronicle 0.720 (900000 vs 1250000 ops/s) target>=0.7 met",
                "RESULT map.get.1t.vs.chm 0.100 (900000 vs 9000000 ops/s)",
                "RESULT map.put.1t.vs.chm 0.200 (600000 vs 3000000 ops/s)",
                "RESULT map.get.2t.vs.1t 1.889 (1700000 vs 900000 ops/s) target>=1.6 met",
                "RESULT map.put.2t.vs.1t 1.500 (900000 vs 600000 ops/s) target>=1.6 missed"),
                fullReport().resultLines());
        assertEquals("targets met: 4 of 6", fullReport().targetSummary());
        assertTrue(fullReport().missing().isEmpty());
    }

    @Test
    void targetIsJudgedOnTheExactRatio() {
        MapReport report = new MapReport();
        report.add(shoal("get", 1), score(799_999));
        report.add(chronicle("get", 1), score(1_000_000));
        String line = report.resultLines().get(0);
        assertEquals("RESULT map.get.1t.vs.chronicle 0.800 (799999 vs 1000000 ops/s) target>=0.8 missed", line);
        report.add(shoal("get", 1), score(800_000));
        assertTrue(report.resultLines().get(0).endsWith("target>=0.8 met"));
    }

    @Test
    void missingScoresGiveNotAvailableAndAreListed() {
        MapReport report = fullReport();
        MapReport partial = new MapReport();
        for (MapReport.Case c : BenchMain.runOrder()) {
            if (!c.equals(chronicle("put", 2))) {
                partial.add(c, report.score(c));
            }
        }
        List<String> lines = partial.resultLines();
        assertEquals("RESULT map.put.2t.vs.chronicle n/a (no score for Chronicle Map put 2t) target>=0.7 unknown",
                lines.get(3));
        assertEquals(List.of(chronicle("put", 2)), partial.missing());
        assertEquals("targets met: 3 of 6 (1 not measured)", partial.targetSummary());
    }

    @Test
    void tableListsEveryScoreAndTheScaling() {
        List<String> table = fullReport().table();
        assertEquals(1 + 12 + 1, table.size());
        assertTrue(table.get(0).startsWith("subject"));
        assertFalse(table.get(0).contains("alloc"));
        assertTrue(table.get(1).matches("ShoalMap\\s+get\\s+1\\s+900,000\\s+9,000"), table.get(1));
        assertTrue(table.get(13).contains("ShoalMap get 1.89x"), table.get(13));

        MapReport withAlloc = new MapReport();
        withAlloc.add(shoal("get", 1), new MapReport.Score(900_000, 1_000, 120.3));
        assertTrue(withAlloc.table().get(0).endsWith("alloc B/op"));
        assertTrue(withAlloc.table().get(1).endsWith("120.3"), withAlloc.table().get(1));
    }
}
