package io.shoal.samples.bench;

import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Runs a benchmark and prints a table and one {@code RESULT} line per comparison on stdout;
 * progress goes to stderr. Started by {@code bin/shoal bench <name> [--quick]}. {@code map} runs
 * through JMH (JMH's progress and the forks' output go to stderr); {@code persist} runs
 * {@link PersistBench}, {@code remote} {@link RemoteBench} and {@code cluster} {@link ClusterBench}
 * in this JVM.
 *
 * <p>Each JMH benchmark runs in one forked JVM. The forks get this JVM's {@code --add-*},
 * {@code -D}, {@code -X} and {@code -XX:} options (which {@code bin/shoal} took from
 * {@code bin/jvm.options} and {@code SHOAL_JAVA_OPTS}), and nothing else: no agents or debugger
 * options.
 *
 * <p>The exit code is 0 when every benchmark produced a score, whether or not the targets were
 * met (a benchmark reports, it does not judge); 1 when a benchmark failed; 2 for a bad command
 * line.
 */
public final class BenchMain {
    static final String USAGE = String.join(System.lineSeparator(),
            "usage: bin/shoal bench <name> [options]",
            "",
            "names:",
            "  map      ShoalMap get/put on 1M entries (16-byte keys, 100-byte values), 1 and 2 threads,",
            "           against raw Chronicle Map and ConcurrentHashMap",
            "  persist  the file log: append under fsync=interval against raw FileChannel writes, group commit",
            "           under fsync=always against the disk's fsync rate, node recovery against a raw read and",
            "           raw Chronicle Map inserts; all in one directory of one disk",
            "  remote   GET/PUT of 100-byte values over loopback TCP against a node (transport = tcp), 1 and 32",
            "           connections, 1 and 16 requests in flight each, against a minimal Netty echo server",
            "  cluster  three nodes in this JVM: the time a third node takes to get its share of 1M entries, against",
            "           raw loopback TCP moving the same bytes; GET/PUT through the smart client with backups.sync",
            "           true against false",
            "",
            "options:",
            "  --quick    less work: map about 2.5 minutes on 2 cores instead of 12, persist about 1 minute",
            "             instead of 3.5, remote about 1.5 minutes instead of 8, cluster about 1.5 minutes instead of 3",
            "  --gc       map only: also measure allocation per operation (JMH's GC profiler); a diagnostic run",
            "  --dir DIR  persist only: where to write (a new directory under DIR, deleted at the end);",
            "             default: java.io.tmpdir. The figures are those of DIR's disk",
            "  --help     show this message");

    private BenchMain() {
    }

    static final List<String> NAMES = List.of("map", "persist", "remote", "cluster");

    /** What the command line asks for; {@code dir} is null unless given. */
    record Settings(String name, boolean quick, boolean gcProfiler, Path dir, boolean help) {
    }

    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command line and returns the exit code instead of exiting. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Settings settings;
        try {
            settings = parse(args);
        } catch (UsageException e) {
            err.println("bench: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        if (settings.help()) {
            out.println(USAGE);
            return 0;
        }
        if (settings.name().equals("persist")) {
            return runPersist(settings, out, err);
        }
        if (settings.name().equals("remote")) {
            return RemoteBench.run(settings.quick() ? RemoteBench.Scale.QUICK : RemoteBench.Scale.FULL, out, err);
        }
        if (settings.name().equals("cluster")) {
            return ClusterBench.run(settings.quick() ? ClusterBench.Scale.QUICK : ClusterBench.Scale.FULL, out, err);
        }
        return runMap(settings, out, err);
    }

    static Settings parse(String[] args) throws UsageException {
        String name = null;
        boolean quick = false;
        boolean gc = false;
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--quick" -> quick = true;
                case "--gc" -> gc = true;
                case "--dir" -> {
                    if (i + 1 == args.length) {
                        throw new UsageException("--dir needs a directory");
                    }
                    dir = directory(args[++i]);
                }
                case "-h", "--help" -> {
                    return new Settings(name, quick, gc, dir, true);
                }
                default -> {
                    if (arg.startsWith("-")) {
                        throw new UsageException("unknown option '" + arg + "'");
                    }
                    if (name != null) {
                        throw new UsageException("one benchmark name only, got '" + name + "' and '" + arg + "'");
                    }
                    if (!NAMES.contains(arg)) {
                        throw new UsageException("unknown benchmark '" + arg + "'; names: " + String.join(", ", NAMES));
                    }
                    name = arg;
                }
            }
        }
        if (name == null) {
            throw new UsageException("no benchmark name given; names: " + String.join(", ", NAMES));
        }
        if (gc && !name.equals("map")) {
            throw new UsageException("--gc is an option of bench map only");
        }
        if (dir != null && !name.equals("persist")) {
            throw new UsageException("--dir is an option of bench persist only");
        }
        return new Settings(name, quick, gc, dir, false);
    }

    private static Path directory(String text) throws UsageException {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw new UsageException("--dir '" + text + "' is not a valid path: " + e.getMessage());
        }
    }

    /** This JVM's options that the forks need: module access, properties, heap and VM tuning. */
    static List<String> forkJvmArgs(List<String> inputArguments) {
        List<String> forwarded = new ArrayList<>();
        for (int i = 0; i < inputArguments.size(); i++) {
            String arg = inputArguments.get(i);
            if (arg.startsWith("--add-")) {
                forwarded.add(arg);
                if (!arg.contains("=") && i + 1 < inputArguments.size()) {
                    forwarded.add(inputArguments.get(++i)); // "--add-opens VALUE" in two words
                }
            } else if (arg.startsWith("-D") || arg.startsWith("-XX:") || arg.startsWith("-Xmx")
                    || arg.startsWith("-Xms") || arg.startsWith("-Xss")) {
                forwarded.add(arg);
            }
        }
        return forwarded;
    }

    /** Warmup and measurement per benchmark: 12 benchmarks, each in its own fork. */
    static ChainedOptionsBuilder timing(ChainedOptionsBuilder options, boolean quick) {
        if (quick) {
            return options.warmupIterations(2).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(4).measurementTime(TimeValue.seconds(1));
        }
        return options.warmupIterations(5).warmupTime(TimeValue.seconds(5))
                .measurementIterations(5).measurementTime(TimeValue.seconds(5));
    }

    /**
     * The benchmarks in the order they run: for each thread count and operation, ShoalMap then its
     * peers, so that the figures compared with each other are measured minutes apart at most.
     */
    static List<MapReport.Case> runOrder() {
        List<MapReport.Case> order = new ArrayList<>();
        for (int threads : new int[] {1, 2}) {
            for (String op : List.of("get", "put")) {
                for (MapReport.Subject subject : MapReport.Subject.values()) {
                    order.add(new MapReport.Case(subject, op, threads));
                }
            }
        }
        return order;
    }

    private static int runPersist(Settings settings, PrintStream out, PrintStream err) {
        Path parent = settings.dir() != null ? settings.dir() : Path.of(System.getProperty("java.io.tmpdir"));
        try {
            return PersistBench.run(settings.quick() ? PersistBench.Scale.QUICK : PersistBench.Scale.FULL, parent, out,
                    err);
        } catch (IOException e) {
            err.println("bench: cannot use " + parent + ": " + e);
            return 1;
        }
    }

    private static int runMap(Settings settings, PrintStream out, PrintStream err) {
        long started = System.nanoTime();
        double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        List<String> jvmArgs = forkJvmArgs(ManagementFactory.getRuntimeMXBean().getInputArguments());
        err.println("bench: map" + (settings.quick() ? " --quick" : "") + (settings.gcProfiler() ? " --gc" : "")
                + "; forks get " + jvmArgs);
        if (loadBefore >= 1.0) {
            err.printf(Locale.ROOT, "bench: warning: load average %.1f on %d cores before the run: other processes "
                    + "compete for the CPU, so the figures will be noisy (the 2-thread ones most)%n", loadBefore,
                    Runtime.getRuntime().availableProcessors());
        }
        MapReport report = new MapReport();
        List<MapReport.Case> order = runOrder();
        for (int n = 0; n < order.size(); n++) {
            MapReport.Case c = order.get(n);
            ChainedOptionsBuilder options = new OptionsBuilder()
                    .include("^" + Pattern.quote(c.subject().benchmarkClass.getName() + "." + c.op()) + "$")
                    .forks(1)
                    .threads(c.threads())
                    // A full GC before each iteration: raw Chronicle Map's get runs ~40 % slower once
                    // its per-thread context has been promoted by a young GC (see the README); with
                    // this it is measured in its fast state, every time, which is the harder peer.
                    .shouldDoGC(true)
                    .mode(Mode.Throughput)
                    .timeUnit(TimeUnit.SECONDS)
                    // Replaces what JMH would inherit (every option of this JVM, agents included).
                    .jvmArgs(jvmArgs.toArray(String[]::new));
            timing(options, settings.quick());
            if (settings.gcProfiler()) {
                options.addProfiler(GCProfiler.class);
            }
            err.printf("bench: [%d/%d] %s ...%n", n + 1, order.size(), c);
            long benchStarted = System.nanoTime();
            try {
                collect(new Runner(options.build(), OutputFormatFactory.createFormatInstance(err, VerboseMode.NORMAL))
                        .run(), report);
            } catch (RunnerException e) {
                err.println("bench: " + c + " failed: " + e.getMessage());
            }
            MapReport.Score score = report.score(c);
            err.printf("bench: [%d/%d] %s: %s in %d s%n", n + 1, order.size(), c,
                    score == null ? "FAILED" : String.format(Locale.ROOT, "%,.0f ops/s", score.opsPerSecond()),
                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - benchStarted));
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        out.println();
        out.printf(Locale.ROOT, "map benchmark%s: %,d entries, %d-byte keys, %d-byte values; %d cores; "
                        + "%d s; load average %.1f before, %.1f after%n", settings.quick() ? " (--quick)" : "",
                MapData.ENTRIES, MapData.KEY_BYTES, MapData.VALUE_BYTES, Runtime.getRuntime().availableProcessors(),
                seconds, loadBefore, loadAfter);
        report.table().forEach(out::println);
        out.println();
        report.resultLines().forEach(out::println);
        out.println(report.targetSummary());
        List<MapReport.Case> missing = report.missing();
        if (!missing.isEmpty()) {
            err.println("bench: no score for " + missing + "; see the JMH output above");
            return 1;
        }
        return 0;
    }

    @SuppressWarnings("rawtypes") // JMH's getSecondaryResults() returns Map<String, Result>
    private static void collect(Iterable<RunResult> results, MapReport report) {
        for (RunResult run : results) {
            String benchmark = run.getParams().getBenchmark();
            int dot = benchmark.lastIndexOf('.');
            MapReport.Subject subject = MapReport.Subject.ofClassName(benchmark.substring(0, dot));
            if (subject == null) {
                continue;
            }
            Result<?> primary = run.getPrimaryResult();
            double alloc = Double.NaN;
            Map<String, Result> secondary = run.getSecondaryResults();
            for (String label : secondary.keySet()) {
                if (label.endsWith("gc.alloc.rate.norm")) { // "·gc.alloc.rate.norm" before JMH 1.36
                    alloc = secondary.get(label).getScore();
                }
            }
            report.add(new MapReport.Case(subject, benchmark.substring(dot + 1), run.getParams().getThreads()),
                    new MapReport.Score(primary.getScore(), primary.getScoreError(), alloc));
        }
    }
}
