package io.shoal.samples.check;

import io.shoal.client.ClientConfig;
import io.shoal.client.RetryPolicy;
import io.shoal.client.ShoalClient;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * One run of {@code check}, start to end: the nodes up, the workload and the fault schedule for the
 * run's duration, faults stopped and every node up again, the workload stopped, the cluster healed,
 * the final read-back, the check, the report on stderr and the {@code SUMMARY} line on stdout. Every node
 * process is ended on the way out, whatever happens; the work directory is deleted unless the run
 * failed or {@code --keep} (its path is printed then).
 */
final class CheckRun {
    static final int EXIT_OK = 0;
    static final int EXIT_INCONSISTENT = 1;
    static final int EXIT_NOT_CARRIED_OUT = 3;
    private static final Duration FINAL_READ_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    /** The options of a run, checked by the command. */
    record Options(int nodes, Duration duration, int workers, int keys, int backups, Set<FaultKind> faults,
                   Duration faultIntervalMin, Duration faultIntervalMax, long seed, String persistence,
                   List<String> extraSettings, boolean keep, Path jsonHistory, Path workDirParent,
                   Duration requestTimeout, Duration startTimeout, Duration healTimeout, Duration progressInterval) {
    }

    private final Options options;
    private final Cluster.Launch launch;
    private final String secret;
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean ownsProcess;
    private final RunClock clock = new RunClock();

    CheckRun(Options options, Cluster.Launch launch, String secret, PrintWriter out, PrintWriter err,
             boolean ownsProcess) {
        this.options = options;
        this.launch = launch;
        this.secret = secret;
        this.out = out;
        this.err = err;
        this.ownsProcess = ownsProcess;
    }

    int execute() throws IOException, InterruptedException {
        Path parent = options.workDirParent() != null ? options.workDirParent()
                : Path.of(System.getProperty("java.io.tmpdir"));
        Files.createDirectories(parent);
        Path workDir = Files.createTempDirectory(parent, "shoal-check-");
        SplittableRandom random = new SplittableRandom(options.seed());
        err.printf(Locale.ROOT, "shoal check: %d node(s), backups %d, persistence %s, %d workers on %d keys, faults %s "
                        + "every %s-%s, for %.1f min; seed %d; work dir %s%n",
                options.nodes(), options.backups(), options.persistence(), options.workers(), options.keys(),
                faultNames(), Converters.text(options.faultIntervalMin()), Converters.text(options.faultIntervalMax()),
                options.duration().toMillis() / 60e3, options.seed(), workDir);
        err.flush();
        Cluster cluster = new Cluster(workDir, options.nodes(), launch,
                new Cluster.NodeSettings(options.backups(), options.persistence(), secret, options.extraSettings()),
                options.startTimeout(), STOP_TIMEOUT, clock, err);
        AtomicBoolean finished = new AtomicBoolean();
        Thread hook = new Thread(() -> {
            if (!finished.get()) {
                cluster.close();
                err.println("shoal check: interrupted; every node process ended; logs and data kept in " + workDir);
                err.flush();
            }
        }, "shoal-check-shutdown");
        if (ownsProcess) {
            Runtime.getRuntime().addShutdownHook(hook);
        }
        boolean keepWorkDir = options.keep();
        try {
            int exitCode = run(cluster, random);
            keepWorkDir |= exitCode != EXIT_OK;
            return exitCode;
        } catch (RuntimeException | IOException | InterruptedException e) {
            keepWorkDir = true;
            throw e;
        } finally {
            cluster.close();
            finished.set(true);
            if (ownsProcess) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // the JVM is shutting down; the hook sees finished
                }
            }
            if (keepWorkDir) {
                List<String> logs = new ArrayList<>();
                List<NodeProcess> nodes = new ArrayList<>(cluster.coreNodes());
                nodes.add(cluster.extraNode());
                for (NodeProcess node : nodes) {
                    if (node.starts > 0) {
                        logs.add(node.logFile.toString());
                    }
                }
                err.println("shoal check: work dir kept: " + workDir + "; node logs: " + String.join(" ", logs));
            } else {
                deleteRecursively(workDir);
            }
            err.flush();
        }
    }

    private int run(Cluster cluster, SplittableRandom random) throws IOException, InterruptedException {
        long started = clock.nanoTime();
        try {
            cluster.startAll();
        } catch (NodeStartException e) {
            err.println("shoal check: cannot run: " + e.getMessage());
            summary(0, 0, 0, 0, started);
            return EXIT_NOT_CARRIED_OUT;
        }
        err.println("shoal check: nodes up after " + seconds(clock.nanoTime() - started) + ": " + cluster.states());
        err.flush();
        try (ClusterHealth health = new ClusterHealth(cluster::members, secret, clock)) {
            return run(cluster, health, random, started);
        }
    }

    private int run(Cluster cluster, ClusterHealth health, SplittableRandom random, long started)
            throws IOException, InterruptedException {
        Workload workload = new Workload(options.workers(), options.keys(), this::connect, cluster::addresses,
                cluster::addressEpoch, random.split(), clock);
        CountDownLatch faultsEnded = new CountDownLatch(1);
        FaultInjector injector = new FaultInjector(cluster, options.faults(), options.backups(),
                options.faultIntervalMin(), options.faultIntervalMax(), random.split(), clock, err, health,
                options.healTimeout());
        if (injector.usable().isEmpty() && !options.faults().contains(FaultKind.NONE)) {
            err.println("shoal check: no faults will be applied: with --backups " + options.backups() + " the nodes "
                    + "promise to survive " + options.backups() + " node(s) down at once, which rules out those asked "
                    + "for (kill_two takes 2, the others but 'extra' 1)");
        }
        Thread faultThread = new Thread(() -> {
            injector.run();
            if (injector.failure() != null || injector.unhealed() != null) {
                faultsEnded.countDown();
            }
        }, "shoal-check-faults");
        faultThread.setDaemon(true);
        ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "shoal-check-progress");
            thread.setDaemon(true);
            return thread;
        });
        List<Op> ops;
        String failure;
        long workloadStart = clock.nanoTime();
        try {
            workload.start();
            faultThread.start();
            long[] last = {workloadStart, 0};
            long periodMs = options.progressInterval().toMillis();
            progress.scheduleAtFixedRate(() -> {
                long now = clock.nanoTime();
                long total = workload.operations();
                String waiting = health.waiting();
                err.printf(Locale.ROOT, "shoal check: %s, %d ops (%.0f/s), %d faults; %s%s%n", seconds(now - workloadStart),
                        total, (total - last[1]) / ((now - last[0]) / 1e9), injector.faults(),
                        waiting == null ? "" : waiting + "; ", cluster.states());
                err.flush();
                last[0] = now;
                last[1] = total;
            }, periodMs, periodMs, TimeUnit.MILLISECONDS);

            faultsEnded.await(options.duration().toNanos(), TimeUnit.NANOSECONDS);
            injector.stop();
            faultThread.join(options.startTimeout().plus(STOP_TIMEOUT).plusSeconds(30).toMillis());
            failure = injector.failure();
            if (failure == null && faultThread.isAlive()) {
                failure = "the fault thread did not end (a node neither came up nor failed)";
            }
        } finally {
            injector.stop();
            ops = workload.stop(options.requestTimeout().multipliedBy(3).plusSeconds(30).toMillis());
            progress.shutdownNow();
        }
        long workloadOps = ops.size();
        err.printf(Locale.ROOT, "shoal check: workload stopped after %s: %d ops, %d faults%n",
                seconds(clock.nanoTime() - workloadStart), workloadOps, injector.faults());
        workload.errors().forEach((kind, count) -> err.println("  " + kind + ": " + count));

        if (failure == null) {
            failure = bringBackDownNodes(cluster);
        }
        String unhealed = injector.unhealed();
        if (failure == null && unhealed == null) {
            unhealed = awaitFinalHealth(health, injector);
        }
        List<Op> all = new ArrayList<>(ops);
        if (failure == null) {
            err.println("shoal check: final read-back of " + options.keys() + " keys (" + cluster.states() + ")");
            err.flush();
            all.addAll(FinalReadBack.run(this::connect, cluster.addresses(), options.keys(),
                    clock.nanoTime() + FINAL_READ_TIMEOUT.toNanos(), clock));
        } else {
            err.println("shoal check: the run could not be carried out: " + failure);
            err.println("shoal check: no final read-back; checking the reads made so far");
        }
        CheckResult result = Checker.check(all, options.keys());
        Report.print(err, result, clock, health.bucketCount(), options.backups());
        if (options.jsonHistory() != null) {
            HistoryFile.write(options.jsonHistory(), all, injector.applied(), clock);
            err.println("shoal check: history written to " + options.jsonHistory());
        }
        if (failure == null && result.keysWithoutFinalRead() > 0) {
            failure = result.keysWithoutFinalRead() + " keys could not be read back within "
                    + FINAL_READ_TIMEOUT.toSeconds() + " s";
            err.println("shoal check: the run could not be completed: " + failure);
        }
        boolean bucketLostFinding = Report.isFinding(result, options.backups());
        if (bucketLostFinding) {
            err.println("shoal check: BUCKET LOST: " + result.bucketLostCalls() + " calls of the workload failed with "
                    + "BucketLostException although at most " + options.backups() + " node(s) were away at once");
        }
        List<String> notes = cluster.notes();
        if (!notes.isEmpty()) {
            err.println("shoal check: notes (not counted as lost or wrong):");
            notes.forEach(note -> err.println("  " + note));
        }
        if (unhealed != null) {
            err.println("shoal check: UNHEALED: " + unhealed);
        }
        err.flush();
        summary(workloadOps, injector.faults(), result.lost(), result.wrong(), started);
        if (result.lost() > 0 || result.wrong() > 0 || bucketLostFinding || unhealed != null) {
            return EXIT_INCONSISTENT;
        }
        return failure == null ? EXIT_OK : EXIT_NOT_CARRIED_OUT;
    }

    /**
     * Before the final read-back: waits for the cluster to heal from the last fault, at most the heal
     * timeout. Null if it did, else the finding.
     */
    private String awaitFinalHealth(ClusterHealth health, FaultInjector injector) throws InterruptedException {
        List<FaultInjector.Applied> applied = injector.applied();
        String after = applied.isEmpty() ? "the nodes started" : "fault " + applied.size();
        err.println("shoal check: waiting for the cluster to heal before the final read-back");
        err.flush();
        ClusterHealth.Outcome outcome = health.await(after, clock.nanoTime() + options.healTimeout().toNanos(),
                new CountDownLatch(1));
        if (outcome.healed()) {
            injector.healedAfterTheEnd(clock.nanoTime());
            err.println("shoal check: cluster healthy after " + seconds(outcome.waitedNanos()) + " (" + outcome.last().detail()
                    + ")");
            err.flush();
            return null;
        }
        String what = applied.isEmpty() ? "after the nodes started"
                : "after fault " + applied.size() + " (" + applied.get(applied.size() - 1).what() + "), the last one";
        String unhealed = "the cluster did not heal within " + FaultInjector.text(options.healTimeout()) + " " + what
                + ", before the final read-back: " + outcome.last().summary() + " [" + outcome.last().detail() + "]";
        err.println("shoal check: " + unhealed);
        err.flush();
        return unhealed;
    }

    /** After the faults: every core node must be up for the final read-back (it should be). Null, or why not. */
    private String bringBackDownNodes(Cluster cluster) throws InterruptedException {
        for (NodeProcess node : cluster.members()) {
            if (node.state != NodeProcess.State.UP || !node.isAlive()) {
                if (node.state == NodeProcess.State.UP) {
                    Process process = node.process;
                    cluster.note(node + " exited on its own (code " + (process == null ? "?" : process.exitValue())
                            + "); its log: " + node.logFile);
                }
                err.println("shoal check: " + node.describe() + " is not up after the faults; starting it");
                try {
                    if (node.isAlive()) {
                        cluster.kill(node);
                    }
                    cluster.start(node);
                } catch (NodeStartException e) {
                    return e.getMessage();
                }
            }
        }
        return null;
    }

    private void summary(long ops, int faults, long lost, long wrong, long started) {
        out.printf(Locale.ROOT, "SUMMARY ops=%d faults=%d lost=%d wrong=%d seconds=%d%n", ops, faults, lost, wrong,
                Math.round((clock.nanoTime() - started) / 1e9));
        out.flush();
    }

    /** A client of the workload or the final read-back, for these addresses (tried in order). */
    private ShoalClient connect(List<String> addresses) {
        Duration connectTimeout = options.requestTimeout().compareTo(Duration.ofSeconds(2)) < 0
                ? options.requestTimeout() : Duration.ofSeconds(2);
        ClientConfig.Builder config = ClientConfig.builder()
                .nodes(addresses)
                .connectTimeout(connectTimeout)
                .requestTimeout(options.requestTimeout())
                .retryPolicy(RetryPolicy.RETRY_READS)
                .reconnectBackoff(Duration.ofMillis(50), Duration.ofSeconds(1))
                .keepAlive(Duration.ofSeconds(1), Duration.ofSeconds(4))
                .clientName("shoal-check");
        if (!secret.isEmpty()) {
            config.secret(secret);
        }
        return ShoalClient.connect(config.build());
    }

    private String faultNames() {
        return options.faults().stream().sorted().map(f -> f.name().toLowerCase(Locale.ROOT))
                .reduce((a, b) -> a + "," + b).orElse("none");
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    private void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            err.println("shoal check: could not delete the work dir " + dir + ": " + e);
        }
    }
}
