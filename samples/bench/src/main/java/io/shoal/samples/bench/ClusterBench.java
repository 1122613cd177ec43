package io.shoal.samples.bench;

import io.shoal.Codecs;
import io.shoal.KeyHash;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import io.shoal.client.ShoalClient;
import io.shoal.protocol.ClusterWire;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/shoal bench cluster [--quick]}: three in-process nodes over loopback TCP.
 *
 * <ol>
 *   <li><b>Rebalance.</b> Two nodes hold {@link Scale#entries()} entries (16-byte keys, 100-byte
 *   values, {@code backups.count = 1}, so each holds every bucket); a third node starts and joins,
 *   and the time runs from its start until {@link BenchCluster#awaitBalanced} finds the cluster
 *   balanced. The bytes moved are the entries of the bucket copies the balanced table has and the
 *   table before the join had not, times 116 bytes (key + value); every one of them was fed to a
 *   node that lacked it. Afterwards a sample of the keys is read back through the smart client and
 *   checked: a rebalance that loses or changes data fails the run rather than reporting a figure.
 *   Then the same number of bytes goes over loopback TCP from one thread to another
 *   ({@link RawTransfer}), the floor the rebalance is compared with.</li>
 *   <li><b>GET and PUT through the smart client</b> ({@link SmartLoad}) against two 3-node
 *   clusters, one with {@code backups.sync = true}, one with {@code false}, both up at the same time
 *   and filled with the same {@link Scale#opsKeys()} keys; each setting is measured on one and then
 *   the other.</li>
 * </ol>
 *
 * <p>Everything shares this JVM and the machine's cores: the nodes, the client, the probe and the
 * raw transfer. Nodes are started as {@link BenchCluster} says: defaults but {@code transport = tcp}
 * on 127.0.0.1 with an ephemeral port, stores sized for the data set ({@link MapData#entriesPerBucket}),
 * {@code cluster.leaveTimeoutMs = 0} (nothing is measured after the nodes close) and
 * {@code backups.sync}. Progress goes to stderr; the table and the RESULT lines to stdout.
 */
final class ClusterBench {

    /**
     * How much: buckets (the default 256; fewer only for tests), entries for the rebalance and how
     * many times it is measured (each round on a new cluster, filled anew), keys for the GET/PUT
     * part, the windows of each GET/PUT point, rounds of the raw transfer, and how long one
     * rebalance may take before the run gives up.
     */
    record Scale(String name, int buckets, int entries, int rebalanceRounds, int opsKeys, long warmupMs,
                 long measureMs, int rawRounds, long rebalanceTimeoutMs) {
        static final Scale QUICK = new Scale("quick", ShoalMapBench.BUCKETS, 1_000_000, 3, 100_000, 2_000, 3_000, 5,
                60_000);
        static final Scale FULL = new Scale("full", ShoalMapBench.BUCKETS, 1_000_000, 5, 100_000, 5_000, 10_000, 5,
                300_000);
    }

    static final String MAP = RemoteFrames.MAP;
    /** {@code backups.count}: the default. */
    static final int BACKUPS = 1;
    static final int NODES = 3;
    /**
     * Diagnostics (not needed for a normal run): {@code -Dshoal.bench.cluster.nodeSettings=key=value,...}
     * adds settings to every node (e.g. {@code cluster.maxConcurrentFeedsPerNode=8}), and
     * {@code -Dshoal.bench.cluster.getsAndPuts=false} measures the rebalance only.
     */
    static final String NODE_SETTINGS = System.getProperty("shoal.bench.cluster.nodeSettings", "");
    private static final boolean GETS_AND_PUTS = Boolean.parseBoolean(
            System.getProperty("shoal.bench.cluster.getsAndPuts", "true"));
    private static final int FILL_DEPTH = 256;
    private static final int VERIFY_SAMPLE = 20_000;
    private static final long POLL_MS = 20;
    private static final long FORM_TIMEOUT_MS = 60_000;

    /** A look at the cluster after the rebalance, before it closes (tests). */
    interface Inspector {
        void afterRebalance(BenchCluster cluster, ShoalClient client, int entries) throws Exception;
    }

    private ClusterBench() {
    }

    static int run(Scale scale, PrintStream out, PrintStream err) {
        return run(scale, out, err, null);
    }

    /** Runs the benchmark; 0 when every figure was measured, whatever the target, 1 otherwise. */
    static int run(Scale scale, PrintStream out, PrintStream err, Inspector inspector) {
        long started = System.nanoTime();
        double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        err.printf(Locale.ROOT, "bench: cluster, %s scale: rebalance of %,d entries onto a third node, then GET/PUT "
                        + "through the smart client over %,d keys, %d ms warm-up + %d ms measured per point%n",
                scale.name(), scale.entries(), scale.opsKeys(), scale.warmupMs(), scale.measureMs());
        if (loadBefore >= 1.0) {
            err.printf(Locale.ROOT, "bench: warning: load average %.1f on %d cores before the run: other processes "
                    + "compete for the CPU, so the figures will be noisy%n", loadBefore,
                    Runtime.getRuntime().availableProcessors());
        }
        ClusterReport report = new ClusterReport(GETS_AND_PUTS ? ClusterReport.SETTINGS : List.of());
        if (!NODE_SETTINGS.isEmpty()) {
            err.println("bench: every node also gets " + BenchCluster.parseSettings(NODE_SETTINGS));
        }
        boolean failed = false;
        for (int round = 1; round <= scale.rebalanceRounds(); round++) {
            String what = scale.rebalanceRounds() > 1 ? "rebalance, round " + round + " of " + scale.rebalanceRounds()
                    : "rebalance";
            try {
                rebalance(scale, what, report, err, round == scale.rebalanceRounds() ? inspector : null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                err.println("bench: interrupted");
                return 1;
            } catch (Exception e) {
                err.println("bench: " + what + " failed: " + why(e));
                failed = true;
                break; // a rebalance that does not converge would not in the next round either
            }
        }
        long rawBytes = report.rebalance() != null ? report.rebalance().bytesMoved()
                : expectedBytesFed(scale.entries());
        try {
            raw(rawBytes, scale.rawRounds(), report, err);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("bench: interrupted");
            return 1;
        } catch (IOException | RuntimeException e) {
            err.println("bench: raw TCP transfer failed: " + e);
        }
        try {
            if (GETS_AND_PUTS) {
                getsAndPuts(scale, report, err);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("bench: interrupted");
            return 1;
        } catch (Exception e) {
            err.println("bench: GET/PUT failed: " + why(e));
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        out.println();
        out.printf(Locale.ROOT, "cluster benchmark, %s scale: %d in-process nodes over loopback TCP (backups.count %d), "
                        + "%d-byte keys, %d-byte values; %d cores shared by the nodes and the load; %d s; load average "
                        + "%.1f before, %.1f after%n", scale.name(), NODES, BACKUPS, MapData.KEY_BYTES,
                MapData.VALUE_BYTES, Runtime.getRuntime().availableProcessors(), seconds, loadBefore, loadAfter);
        report.table().forEach(out::println);
        out.println("callers x depth: callers threads making synchronous calls (depth 1), or callers x depth chains of "
                + "async calls; CPU µs: every thread of the JVM (3 nodes and the client) per request");
        out.println();
        report.resultLines().forEach(out::println);
        out.println(report.targetSummary());
        List<String> missing = report.missing();
        if (!missing.isEmpty() || failed) {
            err.println("bench: no figure for " + missing + "; see the errors above");
            return 1;
        }
        return 0;
    }

    /** The benchmark's own failures by their message, anything else with its type too. */
    private static String why(Exception e) {
        return e instanceof IllegalStateException && e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /** The bytes a third node gets when it joins two with {@code entries} entries and one backup: 2/3 of the copies. */
    static long expectedBytesFed(long entries) {
        return entries * (BACKUPS + 1) / NODES * (MapData.KEY_BYTES + MapData.VALUE_BYTES);
    }

    private static void rebalance(Scale scale, String what, ClusterReport report, PrintStream err,
                                  Inspector inspector) throws Exception {
        int entries = scale.entries();
        try (BenchCluster cluster = new BenchCluster("bench-rebalance", BenchCluster.settings(scale.buckets(), entries, true))) {
            long t = System.nanoTime();
            cluster.start();
            cluster.start();
            cluster.awaitBalanced(BACKUPS, FORM_TIMEOUT_MS, POLL_MS, what + ": two nodes forming a cluster", err);
            err.printf(Locale.ROOT, "bench: %s: 2 nodes up and balanced in %.1f s at %s%n", what,
                    (System.nanoTime() - t) / 1e9, cluster.addresses());
            ShoalClient client = cluster.smartClient("shoal-bench");
            ShoalMap<byte[], byte[]> map = client.map(MAP, Codecs.bytes(), Codecs.bytes());
            LoadGenerator.Measurement fill = SmartLoad.fill(map, entries, FILL_DEPTH, fillTimeoutMs(entries));
            err.printf(Locale.ROOT, "bench: %s: filled map '%s' with %,d entries through the smart client in %.1f s"
                    + " (%,.0f PUTs/s, %d in flight, backups.sync = true)%n", what, MAP, entries, fill.seconds(),
                    fill.opsPerSecond(), FILL_DEPTH);
            BenchCluster.Balanced before = cluster.awaitBalanced(BACKUPS, FORM_TIMEOUT_MS, POLL_MS,
                    what + ": after the fill", err);
            ClusterWire.Table tableBefore = before.status().table();
            long[] perBucket = entriesPerBucket(entries, tableBefore.bucketCount());
            err.printf(Locale.ROOT, "bench: %s: before the join, table %d: %s%n", what, tableBefore.toVersion(),
                    before.status().detail(cluster.nodeIds()));
            System.gc(); // the fill's garbage collected now rather than during the rebalance

            long joinStarted = System.nanoTime();
            ShoalNode third = cluster.start();
            long joined = System.nanoTime();
            err.printf(Locale.ROOT, "bench: %s: node %s started and joined in %.2f s; waiting for balance "
                    + "(at most %d s)%n", what, third.nodeId(), (joined - joinStarted) / 1e9, scale.rebalanceTimeoutMs() / 1000);
            BenchCluster.Balanced after = cluster.awaitBalanced(BACKUPS, scale.rebalanceTimeoutMs(), POLL_MS, what,
                    err);
            double seconds = (after.atNanos() - joinStarted) / 1e9;
            ClusterWire.Table tableAfter = after.status().table();
            Set<String> copiesBefore = copies(tableBefore);
            long entriesFed = 0;
            int copiesFed = 0;
            for (ClusterWire.BucketOwners owners : tableAfter.buckets()) {
                for (ClusterWire.Replica r : owners.replicas()) {
                    if (!copiesBefore.contains(owners.bucket() + "@" + r.nodeId())) {
                        copiesFed++;
                        entriesFed += perBucket[owners.bucket()];
                    }
                }
            }
            long newNodeEntries = third.stats().entries();
            err.printf(Locale.ROOT, "bench: %s: balanced after %.2f s at table %d: %s%n", what, seconds,
                    tableAfter.toVersion(), after.status().detail(cluster.nodeIds()));
            err.printf(Locale.ROOT, "bench: %s: %d bucket copies fed (%,d entries); the new node holds %,d "
                    + "entries%n", what, copiesFed, entriesFed, newNodeEntries);

            int step = Math.max(1, entries / VERIFY_SAMPLE);
            long t1 = System.nanoTime();
            int checked = SmartLoad.verify(map, entries, step, FILL_DEPTH, FORM_TIMEOUT_MS);
            err.printf(Locale.ROOT, "bench: %s: read back every %skey through the smart client: %,d values "
                    + "as written (%.1f s)%n", what, step == 1 ? "" : step + ordinal(step) + " ", checked,
                    (System.nanoTime() - t1) / 1e9);
            if (newNodeEntries == 0 || entriesFed == 0) {
                throw new IllegalStateException("the rebalance moved nothing: the new node holds " + newNodeEntries
                        + " entries, " + copiesFed + " bucket copies were fed");
            }
            report.rebalance(new ClusterReport.Rebalance(entries, entriesFed, copiesFed,
                    entriesFed * (MapData.KEY_BYTES + MapData.VALUE_BYTES), seconds, (joined - joinStarted) / 1e9,
                    newNodeEntries));
            if (inspector != null) {
                inspector.afterRebalance(cluster, client, entries);
            }
        }
    }

    private static String ordinal(int n) {
        int mod100 = n % 100;
        if (mod100 >= 11 && mod100 <= 13) {
            return "th";
        }
        return switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        };
    }

    private static long fillTimeoutMs(int entries) {
        return Math.max(60_000, entries / 2); // at least 2,000 PUTs/s
    }

    /** How many of the keys {@code [0, entries)} fall into each bucket. */
    static long[] entriesPerBucket(int entries, int bucketCount) {
        long[] counts = new long[bucketCount];
        for (int i = 0; i < entries; i++) {
            counts[KeyHash.bucketOf(KeyHash.hash(MapData.key(i)), bucketCount)]++;
        }
        return counts;
    }

    /** Every copy of {@code table} as {@code bucket@nodeId}. */
    private static Set<String> copies(ClusterWire.Table table) {
        Set<String> copies = new HashSet<>();
        for (ClusterWire.BucketOwners owners : table.buckets()) {
            for (ClusterWire.Replica r : owners.replicas()) {
                copies.add(owners.bucket() + "@" + r.nodeId());
            }
        }
        return copies;
    }

    private static void raw(long bytes, int rounds, ClusterReport report, PrintStream err)
            throws IOException, InterruptedException {
        RawTransfer.transfer(bytes); // warm-up
        double[] seconds = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            seconds[i] = RawTransfer.transfer(bytes);
            err.printf(Locale.ROOT, "bench: raw loopback TCP, round %d of %d: %,d bytes in %.3f s, %.1f MB/s%n", i + 1,
                    rounds, bytes, seconds[i], bytes / seconds[i] / 1e6);
        }
        report.raw(bytes, seconds);
    }

    private static void getsAndPuts(Scale scale, ClusterReport report, PrintStream err) throws Exception {
        try (BenchCluster sync = new BenchCluster("bench-sync", BenchCluster.settings(scale.buckets(), scale.opsKeys(), true));
             BenchCluster async = new BenchCluster("bench-async", BenchCluster.settings(scale.buckets(), scale.opsKeys(), false))) {
            Map<Boolean, ShoalMap<byte[], byte[]>> maps = new java.util.HashMap<>();
            for (BenchCluster cluster : List.of(sync, async)) {
                boolean backupsSync = cluster == sync;
                long t = System.nanoTime();
                for (int n = 0; n < NODES; n++) {
                    cluster.start();
                }
                cluster.awaitBalanced(BACKUPS, FORM_TIMEOUT_MS, POLL_MS, "three nodes forming a cluster", err);
                Set<String> groupsBefore = ThreadStats.snapshot().keySet();
                ShoalMap<byte[], byte[]> map = cluster.smartClient("shoal-bench").map(MAP, Codecs.bytes(), Codecs.bytes());
                // the client's transport is the one that started with its connection: its I/O threads, for the table
                List<String> clientGroups = ThreadStats.snapshot().keySet().stream()
                        .filter(g -> g.startsWith("shoal-tcp") && !groupsBefore.contains(g)).toList();
                LoadGenerator.Measurement fill = SmartLoad.fill(map, scale.opsKeys(), FILL_DEPTH,
                        fillTimeoutMs(scale.opsKeys()));
                if (clientGroups.size() == 1) {
                    report.clientThreads(backupsSync, clientGroups.get(0));
                }
                err.printf(Locale.ROOT, "bench: %d nodes with backups.sync = %s up in %.1f s; filled with %,d entries in "
                                + "%.1f s (%,.0f PUTs/s); the smart client's I/O threads: %s%n", NODES, backupsSync,
                        (System.nanoTime() - t) / 1e9, scale.opsKeys(), fill.seconds(), fill.opsPerSecond(),
                        clientGroups.size() == 1 ? clientGroups.get(0) : "unknown " + clientGroups);
                maps.put(backupsSync, map);
            }
            byte[][] keys = new byte[scale.opsKeys()][];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = MapData.key(i);
            }
            int points = ClusterReport.SETTINGS.size() * 2;
            int point = 0;
            for (int s = 0; s < ClusterReport.SETTINGS.size(); s++) {
                ClusterReport.Setting setting = ClusterReport.SETTINGS.get(s);
                boolean[] order = s % 2 == 0 ? new boolean[] {true, false} : new boolean[] {false, true};
                for (boolean backupsSync : order) {
                    point++;
                    String what = String.format(Locale.ROOT, "[%d/%d] %s backups.sync = %s", point, points, setting,
                            backupsSync);
                    try {
                        LoadGenerator.Measurement m = SmartLoad.measure(maps.get(backupsSync), keys, setting.op(),
                                setting.callers(), setting.depth(), scale.warmupMs(), scale.measureMs());
                        report.add(setting, backupsSync, m);
                        err.printf(Locale.ROOT, "bench: %s: %,.0f ops/s, p50/p99/p99.9 %.1f/%.1f/%.1f µs, GC %d ms; "
                                        + "per request, CPU µs/µs waiting for a core/voluntary switches: %s%n", what,
                                m.opsPerSecond(), m.latencyNanos().getValueAtPercentile(50) / 1e3,
                                m.latencyNanos().getValueAtPercentile(99) / 1e3,
                                m.latencyNanos().getValueAtPercentile(99.9) / 1e3, m.gcMillis(),
                                ThreadStats.perRequest(m.threads(), m.requests()));
                    } catch (IllegalStateException e) {
                        err.println("bench: " + what + " failed: " + why(e));
                    }
                }
            }
        }
    }
}
