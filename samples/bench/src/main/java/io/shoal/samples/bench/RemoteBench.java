package io.shoal.samples.bench;

import com.typesafe.config.ConfigFactory;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalNode;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * {@code bin/shoal bench remote [--quick]}: GET and PUT of 100-byte values over loopback TCP
 * against a node ({@code transport = tcp}), each setting measured against a minimal Netty
 * {@link EchoServer} too, in the same run, with the same {@link LoadGenerator}: the floor this
 * machine allows. Settings: 1 and 32 connections, 1 and 16 requests in flight per connection.
 *
 * <p>Everything runs in this JVM: the node (started through {@link Shoal#start}, as an application
 * embeds it, defaults but {@code transport = tcp}, an ephemeral port and stores sized for the
 * data set ({@link MapData#entriesPerBucket}, as the other benchmarks do): no persistence, 256
 * buckets, transport-tcp's default I/O threads), the echo server (as many I/O threads) and the
 * generator (its own event-loop threads). One process means one launcher and one JIT and GC for
 * all three, and the generator costs the same CPU against both servers; a second process would
 * not take the generator off the machine's two cores either. Only one server is loaded at a time;
 * the other's threads sleep in {@code select}.
 *
 * <p>The node's map is filled over the protocol first (every key once, so every GET finds a
 * 100-byte value); the PUTs overwrite those keys. Each round runs every setting, the two servers
 * back to back (the node first in odd rounds, the echo server first in even ones). Progress,
 * including what each thread group did per request in each window ({@link ThreadStats}), goes to stderr; the table
 * and the RESULT lines to stdout.
 */
final class RemoteBench {

    /** How long each point runs. */
    record Scale(String name, int keys, long warmupMs, long measureMs, int rounds) {
        static final Scale QUICK = new Scale("quick", 100_000, 2_000, 3_000, 1);
        static final Scale FULL = new Scale("full", 100_000, 5_000, 5_000, 3);
    }

    /**
     * The generator's event-loop threads: connections are spread over them. Two, like the
     * servers; {@code -Dshoal.bench.remote.clientThreads=N} for experiments.
     */
    static final int CLIENT_THREADS = Integer.getInteger("shoal.bench.remote.clientThreads", 2);
    /**
     * Diagnostics (profiling one setting): {@code -Dshoal.bench.remote.only=REGEX} runs only the
     * settings whose RESULT name it finds (e.g. {@code put.c1.d16}), {@code ...servers=shoal} or
     * {@code echo} only that server, {@code ...warmupMs} and {@code ...measureMs} override the scale.
     */
    private static final String ONLY = System.getProperty("shoal.bench.remote.only", "");
    private static final String SERVERS = System.getProperty("shoal.bench.remote.servers", "shoal,echo");
    private static final int FILL_DEPTH = 64;

    private RemoteBench() {
    }

    /** Runs the benchmark; 0 when every figure was measured, whatever the targets, 1 otherwise. */
    static int run(Scale scale, PrintStream out, PrintStream err) {
        long started = System.nanoTime();
        double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        int serverThreads = ConfigFactory.defaultReference().getInt("transport-tcp.ioThreads");
        scale = new Scale(scale.name(), scale.keys(), Long.getLong("shoal.bench.remote.warmupMs", scale.warmupMs()),
                Long.getLong("shoal.bench.remote.measureMs", scale.measureMs()), scale.rounds());
        RemoteFrames frames = new RemoteFrames();
        Pattern only = Pattern.compile(ONLY);
        List<RemoteReport.Setting> settings = RemoteReport.SETTINGS.stream()
                .filter(s -> only.matcher(s.resultName()).find()).toList();
        List<RemoteReport.Server> servers = Arrays.stream(RemoteReport.Server.values())
                .filter(s -> SERVERS.contains(s.name().toLowerCase(Locale.ROOT))).toList();
        RemoteReport report = new RemoteReport(settings);
        int points = settings.size() * servers.size() * scale.rounds();
        err.printf(Locale.ROOT, "bench: remote, %s scale: %d settings x %d servers x %d round(s), %d ms warm-up + %d ms"
                        + " measured each; server I/O threads %d, generator threads %d; %,d keys%n", scale.name(),
                settings.size(), servers.size(), scale.rounds(), scale.warmupMs(), scale.measureMs(), serverThreads, CLIENT_THREADS,
                scale.keys());
        if (loadBefore >= 1.0) {
            err.printf(Locale.ROOT, "bench: warning: load average %.1f on %d cores before the run: other processes "
                    + "compete for the CPU, so the figures will be noisy%n", loadBefore,
                    Runtime.getRuntime().availableProcessors());
        }
        StoreCost.Result storeCost = null;
        try (ShoalNode node = Shoal.start(ShoalConfig.builder()
                .set("transport", "tcp")
                .set("server.host", "127.0.0.1")
                .set("server.port", 0)
                .set("store.entriesPerBucket", MapData.entriesPerBucket(scale.keys(), ShoalMapBench.BUCKETS))
                .set("store.averageKeyBytes", MapData.KEY_BYTES)
                .set("store.averageValueBytes", MapData.VALUE_BYTES)
                .build());
             EchoServer echo = new EchoServer(frames, serverThreads);
             LoadGenerator generator = new LoadGenerator(frames, CLIENT_THREADS, scale.keys())) {
            InetSocketAddress nodeAddress = parse(node.serverAddress().orElseThrow(
                    () -> new IllegalStateException("the node has no server address with transport = tcp")));
            err.printf("bench: node at %s, echo server at 127.0.0.1:%d%n", node.serverAddress().get(),
                    echo.address().getPort());
            LoadGenerator.Measurement fill = generator.fill(nodeAddress, true, FILL_DEPTH);
            err.printf(Locale.ROOT, "bench: filled map '%s' with %,d entries over the protocol in %.1f s (%,.0f PUTs/s)%n",
                    RemoteFrames.MAP, fill.requests(), fill.seconds(), fill.opsPerSecond());
            int point = 0;
            for (int round = 1; round <= scale.rounds(); round++) {
                for (RemoteReport.Setting setting : settings) {
                    List<RemoteReport.Server> order = new ArrayList<>(servers);
                    if (round % 2 == 0) {
                        Collections.reverse(order);
                    }
                    for (RemoteReport.Server server : order) {
                        point++;
                        boolean shoal = server == RemoteReport.Server.SHOAL;
                        measurePoint(generator, report, setting, server, shoal ? nodeAddress : echo.address(), shoal,
                                scale, point, points, round, err);
                    }
                }
            }
            storeCost = measureStoreCost(node, scale, err);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("bench: interrupted");
        } catch (RuntimeException e) {
            err.println("bench: remote failed: " + e);
            e.printStackTrace(err);
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        out.println();
        out.printf(Locale.ROOT, "remote benchmark, %s scale: GET/PUT of %d-byte values, %d-byte keys over %,d keys, "
                        + "loopback TCP; %d cores; %d s; load average %.1f before, %.1f after%n", scale.name(),
                MapData.VALUE_BYTES, MapData.KEY_BYTES, scale.keys(), Runtime.getRuntime().availableProcessors(),
                seconds, loadBefore, loadAfter);
        report.table().forEach(out::println);
        out.println("per request: srv CPU, gen CPU: CPU µs of the server's I/O threads, of the load generator's threads;"
                + " srv slp: voluntary context switches (sleeps) of the server's I/O threads");
        if (storeCost != null) {
            out.printf(Locale.ROOT, "the store alone (in-process ShoalMap on one thread, same keys and values): get %.2f µs"
                    + " CPU, put %.2f µs CPU per operation%n", storeCost.getNanos() / 1e3, storeCost.putNanos() / 1e3);
        }
        out.println();
        report.resultLines().forEach(out::println);
        out.println(report.targetSummary());
        List<String> missing = report.missing();
        if (!missing.isEmpty()) {
            err.println("bench: no figure for " + missing + "; see the errors above");
            return 1;
        }
        return 0;
    }

    private static void measurePoint(LoadGenerator generator, RemoteReport report, RemoteReport.Setting setting,
                                     RemoteReport.Server server, InetSocketAddress address, boolean handshake,
                                     Scale scale, int point, int points, int round, PrintStream err)
            throws InterruptedException {
        String what = String.format(Locale.ROOT, "[%d/%d] %s %s%s", point, points, setting, server.label,
                scale.rounds() > 1 ? " (round " + round + ")" : "");
        try {
            LoadGenerator.Measurement m = generator.measure(address, handshake, setting.op(), setting.connections(),
                    setting.depth(), scale.warmupMs(), scale.measureMs());
            report.add(setting, server, m);
            err.printf(Locale.ROOT, "bench: %s: %,.0f ops/s, p50/p99/p99.9 %.1f/%.1f/%.1f µs, GC %d ms; per request, "
                            + "CPU µs/µs waiting for a core/voluntary switches: %s%n", what, m.opsPerSecond(),
                    m.latencyNanos().getValueAtPercentile(50) / 1e3, m.latencyNanos().getValueAtPercentile(99) / 1e3,
                    m.latencyNanos().getValueAtPercentile(99.9) / 1e3, m.gcMillis(),
                    ThreadStats.perRequest(m.threads(), m.requests()));
        } catch (IllegalStateException e) {
            err.println("bench: " + what + " failed: " + e.getMessage());
        }
    }

    private static StoreCost.Result measureStoreCost(ShoalNode node, Scale scale, PrintStream err) {
        long millis = Math.min(1_000, scale.measureMs());
        err.printf("bench: the store alone: in-process ShoalMap get then put on one thread, %d ms each ...%n", millis);
        try {
            StoreCost.Result cost = StoreCost.measure(node, scale.keys(), millis);
            err.printf(Locale.ROOT, "bench: the store alone: get %.2f µs CPU, put %.2f µs CPU per operation%n",
                    cost.getNanos() / 1e3, cost.putNanos() / 1e3);
            return cost;
        } catch (RuntimeException e) {
            err.println("bench: the store alone: failed: " + e);
            return null;
        }
    }

    /** {@code host:port} or {@code [v6]:port}. */
    static InetSocketAddress parse(String address) {
        int colon = address.lastIndexOf(':');
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new InetSocketAddress(host, Integer.parseInt(address.substring(colon + 1)));
    }
}
