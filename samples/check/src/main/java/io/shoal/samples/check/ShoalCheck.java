package io.shoal.samples.check;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * {@code bin/shoal check}: the consistency checker. Starts node processes on loopback, runs a
 * recorded workload against them through the Java client while it injects faults, reads every key
 * back at the end, and checks every read against what was written (see {@link Checker}).
 * Exit codes: 0 consistent, 1 lost or wrong data (or a lost bucket, or a cluster that did not heal),
 * 2 usage error, 3 the run could not be carried out.
 */
@Command(name = "shoal check", sortOptions = false,
        description = {"Consistency checker: starts a cluster of node processes on loopback, writes and reads it "
                + "through the Java client from several workers while it kills, stops, pauses and adds nodes, then "
                + "reads every key back and checks each read and each final value against what was written.",
                "Progress and the report go to stderr; stdout gets one line at the end: "
                        + "SUMMARY ops=<n> faults=<n> lost=<n> wrong=<n> seconds=<n>."},
        footer = {"", "Exit codes: 0 no lost or wrong data, 1 lost or wrong data (or a bucket lost every copy, or the "
                + "cluster did not heal within --heal-timeout: a line 'shoal check: UNHEALED: ...' says so), 2 usage "
                + "error, 3 the run could not be carried out (a node did not start: its log is named; keys not readable "
                + "at the end)."})
public final class ShoalCheck implements Callable<Integer> {
    /** Set by bin/shoal: the JVM argument file nodes are started with. */
    static final String JVM_OPTIONS_ENV = "SHOAL_CHECK_JVM_OPTIONS";
    private static final String CLIENT_LOG_LEVEL = "org.slf4j.simpleLogger.log.io.shoal.client";
    private static final Pattern SETTING = Pattern.compile("[A-Za-z0-9_.\\-\"]+\\s*=.*");

    @Option(names = "--nodes", paramLabel = "N", defaultValue = "3",
            description = "Nodes to start (1 to 16); one more may come and go (fault 'extra'). Default: ${DEFAULT-VALUE}.")
    int nodes;

    @Option(names = "--minutes", paramLabel = "M", defaultValue = "2",
            description = "How long the workload and the faults run, in minutes (0.5 = 30 s). Default: ${DEFAULT-VALUE}.")
    double minutes;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "4",
            description = "Worker threads, each with its own client and its own keys. Default: ${DEFAULT-VALUE}.")
    int workers;

    @Option(names = "--keys", paramLabel = "N", defaultValue = "1000",
            description = "Keys in map \"check\", shared out among the workers. Default: ${DEFAULT-VALUE}.")
    int keys;

    @Option(names = "--backups", paramLabel = "B", defaultValue = "1",
            description = "backups.count of the nodes (backups.sync = true); at most B nodes are down or paused at "
                    + "once (one at a time, two with kill_two; none with 0). Default: ${DEFAULT-VALUE}.")
    int backups;

    @Option(names = "--faults", paramLabel = "KIND", split = ",", defaultValue = "kill,kill_two,restart,pause,extra",
            description = "Faults to choose from: kill (SIGKILL, restart 1-3 s later), kill_two (SIGKILL a node, "
                    + "another 2-5 s later, restart both 1-3 s after; needs --backups 2 or more), restart (SIGTERM, "
                    + "start again), pause (SIGSTOP 2-5 s, SIGCONT), extra (start node N+1, or stop it), none. "
                    + "Default: ${DEFAULT-VALUE}.")
    List<FaultKind> faults;

    @Option(names = "--fault-interval", paramLabel = "MIN-MAX", defaultValue = "8s-12s",
            converter = Converters.IntervalConverter.class,
            description = "Time from one fault's start to the next's, at random in this range (8s-12s, 5s, 1m-2m). "
                    + "Default: ${DEFAULT-VALUE}.")
    Converters.Interval faultInterval;

    @Option(names = "--seed", paramLabel = "N",
            description = "Seed of the random choices (faults, targets, keys); printed at the start. Default: random.")
    Long seed;

    @Option(names = "--persistence", paramLabel = "file|none", defaultValue = "file",
            description = "The nodes' persistence: file (persist-file.fsync = always) or none. Default: ${DEFAULT-VALUE}.")
    String persistence;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "A setting added to every node's config, in HOCON (repeatable), e.g. "
                    + "--set persist-file.fsync=interval --set buckets.count=64.")
    List<String> settings = new ArrayList<>();

    @Option(names = "--request-timeout", paramLabel = "DURATION", defaultValue = "2s",
            converter = Converters.PositiveDuration.class,
            description = "The workers' client request timeout; a write that times out has an unknown outcome. "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration requestTimeout;

    @Option(names = "--start-timeout", paramLabel = "DURATION", defaultValue = "60s",
            converter = Converters.PositiveDuration.class,
            description = "How long a node may take to serve and answer PING after its start. Default: ${DEFAULT-VALUE}.")
    Duration startTimeout;

    @Option(names = "--heal-timeout", paramLabel = "DURATION", defaultValue = "60s",
            converter = Converters.PositiveDuration.class,
            description = "Before each fault and before the final read-back, the run waits until every node up reports "
                    + "a healthy cluster (all members, one view and table, no bucket short of copies, nothing feeding, "
                    + "leases held); not healed within this time is a finding (exit code 1). Default: ${DEFAULT-VALUE}.")
    Duration healTimeout;

    @Option(names = "--json-history", paramLabel = "FILE",
            description = "Also write every operation and fault to FILE, one JSON object per line.")
    Path jsonHistory;

    @Option(names = "--work-dir", paramLabel = "DIR",
            description = "Where to create the run's work directory (node configs, data, logs). Default: the "
                    + "system's temporary directory.")
    Path workDir;

    @Option(names = "--keep", description = "Keep the work directory after a successful run (it is always kept "
            + "after a failed one).")
    boolean keep;

    @Option(names = "--progress-interval", hidden = true, defaultValue = "10s",
            converter = Converters.PositiveDuration.class)
    Duration progressInterval;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Spec
    CommandSpec spec;

    private final boolean ownsProcess;

    ShoalCheck(boolean ownsProcess) {
        this.ownsProcess = ownsProcess;
    }

    public static void main(String[] args) {
        // The workers' clients warn at every reconnect, which faults make routine; the run reports the
        // errors it got itself. -Dorg.slf4j.simpleLogger.log.io.shoal.client=warn brings them back.
        if (System.getProperty(CLIENT_LOG_LEVEL) == null) {
            System.setProperty(CLIENT_LOG_LEVEL, "error");
        }
        CommandLine commandLine = commandLine(true);
        commandLine.setOut(utf8(new FileOutputStream(FileDescriptor.out)));
        commandLine.setErr(utf8(new FileOutputStream(FileDescriptor.err)));
        int exitCode = commandLine.execute(args);
        commandLine.getOut().flush();
        commandLine.getErr().flush();
        System.exit(exitCode);
    }

    /** The command line with the checker's error handling; {@code ownsProcess}: add a shutdown hook (not in tests). */
    static CommandLine commandLine(boolean ownsProcess) {
        CommandLine commandLine = new CommandLine(new ShoalCheck(ownsProcess));
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setExecutionExceptionHandler(ShoalCheck::failed);
        return commandLine;
    }

    private static PrintWriter utf8(FileOutputStream stream) {
        return new PrintWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), true);
    }

    @Override
    public Integer call() throws Exception {
        CheckRun.Options options = options();
        Cluster.Launch launch = launch();
        PrintWriter err = spec.commandLine().getErr();
        if (launch == null) {
            err.println("shoal check: cannot find bin/jvm.options (the flags nodes need); run through bin/shoal check, "
                    + "or set " + JVM_OPTIONS_ENV + " to its path");
            return CheckRun.EXIT_NOT_CARRIED_OUT;
        }
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        return new CheckRun(options, launch, Base64.getUrlEncoder().withoutPadding().encodeToString(secret),
                spec.commandLine().getOut(), err, ownsProcess).execute();
    }

    private CheckRun.Options options() {
        require(nodes >= 1 && nodes <= 16, "--nodes " + nodes + " is out of range; allowed: 1 to 16");
        require(minutes > 0 && minutes <= 7 * 24 * 60 && !Double.isNaN(minutes),
                "--minutes " + minutes + " is out of range; allowed: more than 0, at most a week");
        require(workers >= 1 && workers <= 256, "--workers " + workers + " is out of range; allowed: 1 to 256");
        require(keys >= workers && keys <= 10_000_000, "--keys " + keys + " is out of range; allowed: --workers ("
                + workers + ") to 10000000");
        require(backups >= 0 && backups <= 15, "--backups " + backups + " is out of range; allowed: 0 to 15");
        require(persistence.equals("file") || persistence.equals("none"),
                "--persistence " + persistence + " is not known; allowed: file, none");
        Set<FaultKind> kinds = EnumSet.noneOf(FaultKind.class);
        kinds.addAll(faults);
        require(!kinds.contains(FaultKind.NONE) || kinds.size() == 1, "--faults none cannot be combined with others");
        List<String> lines = new ArrayList<>();
        for (String setting : settings) {
            require(SETTING.matcher(setting).matches() && !setting.contains("\n"),
                    "--set " + setting + " is not KEY=VALUE (HOCON), e.g. persist-file.fsync=interval");
            lines.add(setting);
        }
        Duration duration = Duration.ofMillis(Math.round(minutes * 60_000));
        require(!duration.isZero(), "--minutes " + minutes + " is too short");
        return new CheckRun.Options(nodes, duration, workers, keys, backups, kinds, faultInterval.min(),
                faultInterval.max(), seed != null ? seed : new SecureRandom().nextLong(), persistence, lines, keep,
                jsonHistory, workDir, requestTimeout, startTimeout, healTimeout, progressInterval);
    }

    private void require(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), message);
        }
    }

    /**
     * How nodes are launched: this JVM's java, bin/jvm.options ({@value #JVM_OPTIONS_ENV}, else found
     * above the working directory or this code), {@code $SHOAL_JAVA_OPTS} as {@code bin/shoal node} passes
     * it, and this JVM's class path, which holds shoal-cli and everything a node's config may select.
     * Null if bin/jvm.options cannot be found.
     */
    static Cluster.Launch launch() {
        Path options = jvmOptions();
        if (options == null) {
            return null;
        }
        List<String> jvmArgs = new ArrayList<>();
        String extra = System.getenv("SHOAL_JAVA_OPTS");
        if (extra != null && !extra.isBlank()) {
            jvmArgs.addAll(List.of(extra.trim().split("\\s+")));
        }
        return new Cluster.Launch(Path.of(System.getProperty("java.home"), "bin", "java"), options, jvmArgs,
                System.getProperty("java.class.path"));
    }

    private static Path jvmOptions() {
        String set = System.getenv(JVM_OPTIONS_ENV);
        if (set != null && !set.isBlank()) {
            Path path = Path.of(set);
            return Files.isRegularFile(path) ? path.toAbsolutePath() : null;
        }
        List<Path> starts = new ArrayList<>();
        starts.add(Path.of("").toAbsolutePath());
        try {
            starts.add(Path.of(ShoalCheck.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
        } catch (URISyntaxException | RuntimeException e) {
            // no code source: the working directory only
        }
        for (Path start : starts) {
            for (Path at = start; at != null; at = at.getParent()) {
                Path candidate = at.resolve("bin/jvm.options");
                if (Files.isRegularFile(candidate)) {
                    return candidate;
                }
            }
        }
        return null;
    }

    private static int failed(Exception e, CommandLine commandLine, ParseResult parsed) {
        PrintWriter err = commandLine.getErr();
        err.println("shoal check: failed: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        e.printStackTrace(err);
        err.flush();
        return CheckRun.EXIT_NOT_CARRIED_OUT;
    }
}
