package io.shoal.samples.bench;

import io.shoal.Codecs;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import io.shoal.protocol.ClusterWire;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the whole cluster benchmark at a tiny scale (20,000 entries, windows of a fraction of a
 * second) and checks that it measured everything, printed well-formed RESULT lines, and that the
 * rebalance really moved data without losing any: looked at from outside the benchmark, before its
 * cluster closes. Then the report's formatting on made-up numbers. It checks behaviour, not speed.
 */
class ClusterBenchTest {
    private static final ClusterBench.Scale TINY = new ClusterBench.Scale("test", 16, 20_000, 1, 2_000, 100, 300, 1, 60_000);
    private static final Pattern REBALANCE = Pattern.compile("RESULT cluster\\.rebalance\\.vs\\.raw-tcp (\\d+\\.\\d{3}) "
            + "\\((\\d+\\.\\d) vs (\\d+\\.\\d) MB/s; (\\d+) bytes, (\\d+) entries fed in (\\d+\\.\\d{2}) s\\) "
            + "target>=0\\.3 (met|missed)");
    private static final Pattern OPS = Pattern.compile("RESULT (cluster\\.(get|put)\\.c(1|32)\\.d(1|16)\\.sync\\.vs\\.async) "
            + "(\\d+\\.\\d{3}) \\((\\d+) vs (\\d+) ops/s; p50/p99/p99\\.9 sync (\\d+\\.\\d)/(\\d+\\.\\d)/(\\d+\\.\\d) µs "
            + "async (\\d+\\.\\d)/(\\d+\\.\\d)/(\\d+\\.\\d) µs\\)");

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aTinyRunRebalancesWithoutLossAndPrintsWellFormedResultLines() {
        AtomicBoolean inspected = new AtomicBoolean();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = ClusterBench.run(TINY, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), (cluster, client, entries) -> {
                    List<ShoalNode> nodes = cluster.nodes();
                    assertEquals(3, nodes.size());
                    ShoalNode third = nodes.get(2);
                    assertTrue(third.stats().entries() > 0, "the new node holds entries");
                    assertEquals(3, third.clusterView().orElseThrow().members().size());
                    // every entry still held by backups.count + 1 nodes
                    long held = 0;
                    for (ShoalNode node : nodes) {
                        held += node.stats().entries();
                    }
                    assertTrue(held >= 2L * entries, "copies of " + entries + " entries: " + held);
                    // the table gives the new node its share of primaries
                    ClusterWire.Table table = cluster.fetchTable();
                    long primaries = table.buckets().stream()
                            .filter(b -> b.replicas().get(0).nodeId().equals(third.nodeId())).count();
                    assertTrue(primaries >= table.bucketCount() / 3 - 1, "the new node is primary of " + primaries);
                    // every key, through the smart client and through each node's own map
                    ShoalMap<byte[], byte[]> viaClient = client.map(ClusterBench.MAP, Codecs.bytes(), Codecs.bytes());
                    byte[][] values = MapData.values();
                    for (int i = 0; i < entries; i++) {
                        assertArrayEquals(values[MapData.fillVariant(i)], viaClient.get(MapData.key(i)), "key " + i);
                    }
                    for (ShoalNode node : nodes) {
                        ShoalMap<byte[], byte[]> local = node.map(ClusterBench.MAP, Codecs.bytes(), Codecs.bytes());
                        for (int i = 0; i < entries; i += 97) {
                            assertArrayEquals(values[MapData.fillVariant(i)], local.get(MapData.key(i)),
                                    "key " + i + " through " + node.nodeId());
                        }
                    }
                    inspected.set(true);
                });
        String stdout = out.toString(StandardCharsets.UTF_8);
        String stderr = err.toString(StandardCharsets.UTF_8);

        assertEquals(0, exit, stderr + stdout);
        assertTrue(inspected.get());
        List<String> results = stdout.lines().filter(l -> l.startsWith("RESULT ")).toList();
        assertEquals(1 + ClusterReport.SETTINGS.size(), results.size(), stdout);

        Matcher r = REBALANCE.matcher(results.get(0));
        assertTrue(r.matches(), results.get(0));
        double ours = Double.parseDouble(r.group(2));
        double raw = Double.parseDouble(r.group(3));
        long bytes = Long.parseLong(r.group(4));
        long fed = Long.parseLong(r.group(5));
        assertTrue(fed > 0 && fed <= 2L * TINY.entries(), results.get(0));
        assertEquals(fed * (MapData.KEY_BYTES + MapData.VALUE_BYTES), bytes, results.get(0));
        // about 2/3 of the copies move to the new node
        assertTrue(fed > TINY.entries() / 2 && fed < TINY.entries(), results.get(0));
        // The seconds are printed to 0.01 s: the rate they give is that far off the printed one at most.
        double seconds = Double.parseDouble(r.group(6));
        assertTrue(ours >= bytes / (seconds + 0.005) / 1e6 - 0.05 && ours <= bytes / Math.max(0.001, seconds - 0.005) / 1e6
                + 0.05, results.get(0));
        assertEquals(ours / raw, Double.parseDouble(r.group(1)), 0.0006 + ours / raw * 0.01, results.get(0));
        assertEquals(Double.parseDouble(r.group(1)) >= 0.3 ? "met" : "missed", r.group(7), results.get(0));

        for (int i = 1; i < results.size(); i++) {
            Matcher m = OPS.matcher(results.get(i));
            assertTrue(m.matches(), results.get(i));
            assertEquals(ClusterReport.SETTINGS.get(i - 1).resultName(), m.group(1));
            double sync = Double.parseDouble(m.group(6));
            double async = Double.parseDouble(m.group(7));
            assertTrue(sync > 0 && async > 0, results.get(i));
            assertEquals(sync / async, Double.parseDouble(m.group(5)), 0.0006 + sync / async * 1e-5, results.get(i));
            for (int p = 8; p <= 11; p += 3) {
                assertTrue(Double.parseDouble(m.group(p)) <= Double.parseDouble(m.group(p + 1))
                        && Double.parseDouble(m.group(p + 1)) <= Double.parseDouble(m.group(p + 2)), results.get(i));
            }
        }
        assertTrue(stdout.lines().anyMatch(l -> l.matches("targets met: [01] of 1")), stdout);
        assertTrue(stderr.contains("read back every key through the smart client: 20,000 values as written"), stderr);
        assertTrue(stderr.contains("bench: [8/8] put c32 d1"), stderr);
    }

    // ---- report ----

    private static LoadGenerator.Measurement measurement(double opsPerSecond, long... latenciesMicros) {
        Histogram histogram = new Histogram(RemoteReport.HIGHEST_TRACKABLE_NANOS, 3);
        for (long micros : latenciesMicros) {
            histogram.recordValue(micros * 1_000);
        }
        long requests = (long) opsPerSecond * 2;
        return new LoadGenerator.Measurement(requests, 2.0, histogram, Map.of(
                "shoal-tcp-1-io", new ThreadStats.Counters(requests * 2_000, 0, 0),
                "bench-caller", new ThreadStats.Counters(requests * 1_000, 0, 0)), 0);
    }

    private static final ClusterReport.Setting GET_C1_D16 = ClusterReport.SETTINGS.get(0);
    private static final ClusterReport.Setting PUT_C32_D1 = ClusterReport.SETTINGS.get(3);

    @Test
    void resultLinesCarryTheRebalanceAgainstRawTcpAndSyncAgainstAsync() {
        ClusterReport report = new ClusterReport(List.of(GET_C1_D16, PUT_C32_D1));
        // 116 MB in 10.01 s = 11.59 MB/s against a median of 38.67 MB/s raw: printed 0.300, but just below 0.3
        report.rebalance(new ClusterReport.Rebalance(1_500_000, 1_000_000, 171, 116_000_000, 10.01, 0.1, 1_000_000));
        report.raw(116_000_000, new double[] {3.0, 2.9, 3.1});
        report.clientThreads(true, "shoal-tcp-1-io");
        report.add(GET_C1_D16, true, measurement(50_000, 10, 20, 30));
        report.add(GET_C1_D16, false, measurement(100_000, 5, 6, 7));
        report.add(PUT_C32_D1, true, measurement(20_000, 100));
        assertEquals(List.of(
                "RESULT cluster.rebalance.vs.raw-tcp 0.300 (11.6 vs 38.7 MB/s; 116000000 bytes, 1000000 entries fed "
                        + "in 10.01 s) target>=0.3 missed",
                "RESULT cluster.get.c1.d16.sync.vs.async 0.500 (50000 vs 100000 ops/s; p50/p99/p99.9 sync "
                        + "20.0/30.0/30.0 µs async 6.0/7.0/7.0 µs)",
                "RESULT cluster.put.c32.d1.sync.vs.async n/a (no figure for backups.sync = false)"),
                report.resultLines());
        assertEquals("targets met: 0 of 1", report.targetSummary());
        assertEquals(List.of("put c32 d1 backups.sync=false"), report.missing());
        List<String> table = report.table();
        assertTrue(table.stream().anyMatch(l -> l.matches("get\\s+1\\s+16\\s+true\\s+50,000\\s+20\\.0\\s+30\\.0\\s+30\\.0"
                + "\\s+3\\.00\\s+2\\.00\\s+0\\.500")), String.join("\n", table));
        assertTrue(table.stream().anyMatch(l -> l.contains("fed 171 bucket copies, 1,000,000 entries, 116,000,000 bytes: "
                + "11.6 MB/s")), String.join("\n", table));
        assertTrue(table.stream().anyMatch(l -> l.contains("38.7 MB/s (median of 3; 37.4 to 40.0)")),
                String.join("\n", table));

        report.raw(116_000_000, new double[] {1.0});
        assertTrue(report.rebalanceLine().endsWith("target>=0.3 missed"), report.rebalanceLine());
        report.raw(116_000_000, new double[] {3.866});
        assertTrue(report.rebalanceLine().endsWith("target>=0.3 met"), report.rebalanceLine());
    }

    @Test
    void severalRebalanceRoundsReportTheMedianOne() {
        ClusterReport report = new ClusterReport(List.of());
        report.rebalance(new ClusterReport.Rebalance(3_000, 2_000, 170, 232_000, 4.0, 0.1, 2_000));
        report.rebalance(new ClusterReport.Rebalance(3_000, 2_000, 170, 232_000, 1.0, 0.1, 2_000));
        report.rebalance(new ClusterReport.Rebalance(3_000, 2_000, 170, 232_000, 2.0, 0.1, 2_000));
        report.raw(232_000, new double[] {0.001});
        assertEquals(2.0, report.rebalance().seconds());
        assertEquals("RESULT cluster.rebalance.vs.raw-tcp 0.001 (0.1 vs 232.0 MB/s; 232000 bytes, 2000 entries fed in "
                + "2.00 s; median of 3 rounds) target>=0.3 missed", report.rebalanceLine());
        assertTrue(report.table().get(1).contains("balanced after 2.00 s"), String.join("\n", report.table()));
    }

    @Test
    void withoutARebalanceTheLineSaysNotAvailable() {
        ClusterReport report = new ClusterReport(List.of());
        report.raw(1_000, new double[] {0.001});
        assertEquals("RESULT cluster.rebalance.vs.raw-tcp n/a (no rebalance figure) target>=0.3 unknown",
                report.rebalanceLine());
        assertEquals("targets met: 0 of 1 (1 not measured)", report.targetSummary());
        assertEquals(List.of("rebalance"), report.missing());
    }

    @Test
    void aTableIsBalancedWhenEveryBucketHasItsCopiesAndEveryNodeItsShare() {
        List<String> ids = List.of("a", "b", "c");
        List<ClusterWire.BucketOwners> even = new ArrayList<>();
        List<ClusterWire.BucketOwners> skewed = new ArrayList<>();
        for (int b = 0; b < 16; b++) {
            even.add(owners(b, ids.get(b % 3), ids.get((b + 1) % 3)));
            skewed.add(owners(b, ids.get(b % 2), ids.get((b + 1) % 2))); // c holds nothing
        }
        assertEquals(List.of(), BenchCluster.unbalanced(new ClusterWire.Table(0, 5, 16, 1, even), ids, 1));
        List<String> problems = BenchCluster.unbalanced(new ClusterWire.Table(0, 5, 16, 1, skewed), ids, 1);
        assertTrue(problems.contains("c is primary of 0 buckets of 16"), problems.toString());
        assertTrue(problems.contains("c holds 0 copies of 32"), problems.toString());

        List<ClusterWire.BucketOwners> feeding = new ArrayList<>(even);
        feeding.set(3, new ClusterWire.BucketOwners(3, List.of(new ClusterWire.Replica("a", ClusterWire.UP_TO_DATE),
                new ClusterWire.Replica("b", ClusterWire.FEEDING))));
        assertEquals(List.of("1 buckets without 2 up-to-date copies in table 5"),
                BenchCluster.unbalanced(new ClusterWire.Table(0, 5, 16, 1, feeding), ids, 1));
    }

    private static ClusterWire.BucketOwners owners(int bucket, String... nodeIds) {
        return new ClusterWire.BucketOwners(bucket, Arrays.stream(nodeIds)
                .map(id -> new ClusterWire.Replica(id, ClusterWire.UP_TO_DATE)).toList());
    }

    @Test
    void bucketCountsAddUpAndMatchTheKeyHash() {
        long[] counts = ClusterBench.entriesPerBucket(10_000, 256);
        assertEquals(10_000, Arrays.stream(counts).sum());
        assertTrue(Arrays.stream(counts).allMatch(c -> c > 10), Arrays.toString(counts));
        assertEquals(ClusterBench.expectedBytesFed(3_000), 2_000 * 116);
    }
}
