package io.shoal.persist.file.kill;

import io.shoal.Shoal;
import io.shoal.ShoalEntry;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.awaitility.core.ConditionTimeoutException;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Kill tests with real processes: a child JVM ({@link KillChild}) writes under
 * {@code persist-file.fsync = always} and is SIGKILLed at a random moment, many times over on the
 * same directory. After each kill this JVM opens a node on the directory and checks, for every key,
 * that the recovered state is the last acknowledged write of the key or, if a later write of the
 * key was attempted but not acknowledged, that attempt (it may or may not have landed); that no
 * value appears that was never written; that versions are those acknowledged and keep growing
 * across restarts. The recovered state is the baseline of the next cycle.
 *
 * <p>Cycles: {@value #DEFAULT_CYCLES} by default; {@code -Dshoal.kill.cycles=N} for long runs.
 * Most cycles kill after a random number (1 to {@value #MAX_ACKS_BEFORE_KILL}) of acknowledged
 * writes; a few kill at a random moment of start-up (while the log may be being recovered) or
 * right after it.
 */
@Tag("kill")
class KillRecoveryTest {
    static final int DEFAULT_CYCLES = 50;
    static final int MAX_ACKS_BEFORE_KILL = 300;
    static final int THREADS = 4;
    static final int KEYS_PER_THREAD = 32;
    static final Duration CHILD_DEADLINE = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private volatile Process child;

    @AfterEach
    void noChildOutlivesTheTest() throws InterruptedException {
        Process p = child;
        if (p != null && p.isAlive()) {
            p.toHandle().destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        child = null;
    }

    @Test
    void acknowledgedWritesSurviveSigkill() {
        int cycles = Integer.getInteger("shoal.kill.cycles", DEFAULT_CYCLES);
        assertTrue(cycles >= 1, "shoal.kill.cycles must be positive");
        Duration budget = Duration.ofSeconds(120 + 8L * cycles);
        assertTimeoutPreemptively(budget, () -> run(cycles), "kill test exceeded its budget of " + budget);
    }

    /** The recovered (or acknowledged) state of one key. */
    private record State(String value, long version) {
        static final State ABSENT = new State(null, 0);

        boolean present() {
            return value != null;
        }
    }

    /** A write of one key as printed by the child. */
    private record Write(String op, String value, long version) {
        boolean isPut() {
            return op.equals("put");
        }

        @Override
        public String toString() {
            return op + (isPut() ? " " + abbreviate(value) : "") + (version > 0 ? " v" + version : "");
        }
    }

    /** What the child printed in one cycle. */
    private static final class ChildOutput {
        final List<String> lines = new ArrayList<>();
        final AtomicInteger acks = new AtomicInteger();
        final AtomicBoolean started = new AtomicBoolean();
        final AtomicBoolean recovered = new AtomicBoolean();
        final AtomicBoolean killedByUs = new AtomicBoolean();
        final AtomicBoolean endOfStream = new AtomicBoolean();
        volatile Throwable readFailure;

        synchronized void add(String line) {
            lines.add(line);
        }

        synchronized List<String> snapshot() {
            return new ArrayList<>(lines);
        }
    }

    private void run(int cycles) throws Exception {
        long startNanos = System.nanoTime();
        long seed = Long.getLong("shoal.kill.seed", System.nanoTime());
        Random random = new Random(seed);
        Path dataDir = tmp.resolve("data");
        Path stderr = tmp.resolve("child-stderr.log");
        Path jvmOptions = findJvmOptions();
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = privateClassPath(tmp.resolve("classpath"));

        // Model: per key the recovered baseline, and the highest version ever seen.
        Map<String, State> baseline = new HashMap<>();
        Map<String, Long> maxVersion = new HashMap<>();
        List<String> keys = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            for (int i = 0; i < KEYS_PER_THREAD; i++) {
                keys.add(KillChild.key(t, i));
            }
        }
        long totalAcks = 0;
        long maxRecovered = 0;
        int killsInStartup = 0;

        for (int cycle = 1; cycle <= cycles; cycle++) {
            String runId = "r" + cycle;
            int mode = random.nextInt(20);
            // 0: kill at a random moment of start-up (maybe during recovery, maybe after some writes);
            // 1: right after recovery;
            // otherwise after a random number of acknowledged writes.
            int target = mode <= 1 ? 0 : 1 + random.nextInt(MAX_ACKS_BEFORE_KILL);
            long startupKillDelayMs = random.nextInt(2000);
            String context = "cycle " + cycle + "/" + cycles + " (seed " + seed + ", mode " + mode + ", target "
                    + (mode == 0 ? startupKillDelayMs + " ms after START)" : target + " acks)");

            ProcessBuilder builder = new ProcessBuilder(javaBin, "@" + jvmOptions, "-Xmx256m", "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1", "-cp", classPath, KillChild.class.getName(),
                    dataDir.toString(), runId, String.valueOf(THREADS), String.valueOf(KEYS_PER_THREAD),
                    String.valueOf(random.nextLong()))
                    .redirectError(ProcessBuilder.Redirect.to(stderr.toFile()));
            ChildOutput output = new ChildOutput();
            Process p = builder.start();
            child = p;
            try {
                Thread reader = new Thread(() -> read(p, output, mode, target, startupKillDelayMs), "kill-child-reader-" + cycle);
                reader.setDaemon(true);
                reader.start();
                try {
                    await("child killed, " + context).atMost(CHILD_DEADLINE)
                            .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10))
                            .until(() -> {
                                if (!p.isAlive() && !output.killedByUs.get()) {
                                    fail("child exited by itself with " + p.exitValue() + " before it was killed, "
                                            + context + "\n" + tail(output.snapshot(), stderr));
                                }
                                return output.killedByUs.get();
                            });
                } catch (ConditionTimeoutException e) {
                    String dump = threadDump(p);
                    throw new AssertionError("child neither reached its kill point nor exited within " + CHILD_DEADLINE
                            + " (" + output.acks.get() + " acks), " + context + "\n" + tail(output.snapshot(), stderr)
                            + "child threads:\n" + dump, e);
                } finally {
                    // Through the handle: Process.destroyForcibly() would also close our end of the
                    // child's stdout and lose the lines still in the pipe.
                    p.toHandle().destroyForcibly();
                    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child did not die after SIGKILL");
                }
                await("child output read to the end").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(10)).until(output.endOfStream::get);
                if (output.readFailure != null) {
                    throw new AssertionError("reading the child's output failed", output.readFailure);
                }
            } finally {
                p.getOutputStream().close();
                child = null;
            }

            List<String> lines = output.snapshot();
            if (!output.recovered.get()) {
                killsInStartup++;
            }
            for (String line : lines) {
                if (line.startsWith("FAIL")) {
                    fail("child write failed: " + line + ", " + context + "\n" + tail(lines, stderr));
                }
                if (line.startsWith("RECOVERED ")) {
                    long recovered = Long.parseLong(line.substring("RECOVERED ".length()).trim());
                    long expected = baseline.values().stream().filter(State::present).count();
                    assertEquals(expected, recovered, "the child recovered another number of entries than this JVM "
                            + "recovered after the previous kill, " + context);
                }
            }

            // Replay the child's lines: per key the last acknowledged write and the in-flight one.
            Map<String, Write> acked = new HashMap<>();
            Map<String, Write> inFlight = new HashMap<>();
            Map<String, List<String>> history = new HashMap<>();
            int acks = 0;
            for (String line : lines) {
                String[] f = line.split(" ");
                if (f.length < 4 || !(f[0].equals("TRY") || f[0].equals("ACK"))) {
                    continue;
                }
                String op = f[1];
                String key = f[2];
                String value = f[3].equals("-") ? null : f[3];
                history.computeIfAbsent(key, k -> new ArrayList<>()).add(abbreviateLine(line));
                assertTrue(op.equals("put") || op.equals("remove"), "unknown op in " + line);
                assertTrue(keys.contains(key), "unknown key in " + line);
                if (f[0].equals("TRY")) {
                    assertEquals(4, f.length, "malformed line " + line);
                    Write previous = inFlight.put(key, new Write(op, value, 0));
                    assertEquals(null, previous, "two writes of " + key + " in flight at once: " + line);
                } else {
                    assertEquals(5, f.length, "malformed line " + line);
                    Write attempted = inFlight.remove(key);
                    assertTrue(attempted != null && attempted.op.equals(op) && Objects.equals(attempted.value, value),
                            "ACK without its TRY: " + line);
                    long version = f[4].equals("-") ? 0 : Long.parseLong(f[4]);
                    if (op.equals("put")) {
                        long max = maxVersion.getOrDefault(key, 0L);
                        assertTrue(version > max, "put of " + key + " acknowledged with version " + version
                                + ", not above the highest earlier version " + max + " of the key, " + context
                                + "\n" + history.get(key));
                        maxVersion.put(key, version);
                    }
                    acked.put(key, new Write(op, value, version));
                    acks++;
                }
            }
            totalAcks += acks;

            // Verify in this JVM, after the child is dead.
            long present = 0;
            try (ShoalNode node = Shoal.start(KillChild.config(dataDir))) {
                ShoalMap<String, String> map = node.map(KillChild.MAP, String.class, String.class);
                for (String key : keys) {
                    State base = baseline.getOrDefault(key, State.ABSENT);
                    Write last = acked.get(key);
                    State expected = last == null ? base
                            : last.isPut() ? new State(last.value, last.version) : State.ABSENT;
                    Write pending = inFlight.get(key);
                    ShoalEntry<String, String> got = map.getEntry(key);
                    String why = key + ", " + context + ": expected " + describe(expected)
                            + (pending == null ? "" : " or the unacknowledged " + pending)
                            + ", recovered " + (got == null ? "nothing" : abbreviate(got.value()) + " v" + got.version())
                            + "\n  baseline " + describe(base) + "\n  this cycle " + history.getOrDefault(key, List.of());
                    State recovered;
                    if (got == null) {
                        if (expected.present() && (pending == null || pending.isPut())) {
                            fail(preserve(dataDir, lines, stderr, cycle, "acknowledged value lost: " + why));
                        }
                        recovered = State.ABSENT;
                    } else {
                        present++;
                        if (expected.present() && got.value().equals(expected.value)) {
                            if (got.version() != expected.version) {
                                fail(preserve(dataDir, lines, stderr, cycle, "recovered with another version: " + why));
                            }
                        } else if (pending != null && pending.isPut() && got.value().equals(pending.value)) {
                            if (got.version() <= maxVersion.getOrDefault(key, 0L)) {
                                fail(preserve(dataDir, lines, stderr, cycle,
                                        "unacknowledged write recovered with a version not above the acknowledged ones: "
                                                + why));
                            }
                        } else {
                            fail(preserve(dataDir, lines, stderr, cycle,
                                    "recovered a value that is not the last acknowledged one nor the one in flight: " + why));
                        }
                        recovered = new State(got.value(), got.version());
                        maxVersion.merge(key, got.version(), Math::max);
                    }
                    baseline.put(key, recovered);
                }
                long size = map.size();
                if (size != present) {
                    TreeSet<String> stray = map.asMap().keySet().stream().filter(k -> !keys.contains(k))
                            .collect(Collectors.toCollection(TreeSet::new));
                    fail(preserve(dataDir, lines, stderr, cycle, "map holds " + size + " entries, " + present
                            + " known keys are present; keys never written: " + stray + ", " + context));
                }
            }
            maxRecovered = Math.max(maxRecovered, present);
        }

        double seconds = (System.nanoTime() - startNanos) / 1e9;
        System.out.printf("KillRecoveryTest: %d cycles (%d killed before the node was up), %d acknowledged writes, "
                        + "max %d recovered records, %.1f s, seed %d%n",
                cycles, killsInStartup, totalAcks, maxRecovered, seconds, seed);
    }

    /**
     * Reads the child's stdout to its end and SIGKILLs the child when the kill point is reached:
     * {@code startupKillDelayMs} after its {@code START} line (mode 0, a random moment of start-up
     * and recovery), at its {@code RECOVERED} line (mode 1) or at its {@code target}-th ACK line.
     */
    private static void read(Process p, ChildOutput output, int mode, int target, long startupKillDelayMs) {
        Runnable kill = () -> {
            if (output.killedByUs.compareAndSet(false, true)) {
                p.toHandle().destroyForcibly(); // SIGKILL; unlike Process.destroyForcibly() keeps the pipe to read
            }
        };
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                output.add(line);
                if (line.startsWith("START ")) {
                    output.started.set(true);
                    if (mode == 0) {
                        CompletableFuture.delayedExecutor(startupKillDelayMs, TimeUnit.MILLISECONDS).execute(kill);
                    }
                } else if (line.startsWith("RECOVERED ")) {
                    output.recovered.set(true);
                    if (mode == 1) {
                        kill.run();
                    }
                } else if (line.startsWith("ACK ") && output.acks.incrementAndGet() == target) {
                    kill.run();
                }
            }
        } catch (IOException | RuntimeException e) {
            output.readFailure = e;
        } finally {
            output.endOfStream.set(true);
        }
    }

    /**
     * This JVM's class path, with its directories (the modules' {@code target/classes}) copied under
     * {@code into}: the children load the classes this test started with even if the module is
     * rebuilt while the test runs. Jars are used where they are.
     */
    private static String privateClassPath(Path into) throws IOException {
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path source = Path.of(entry);
            if (!Files.isDirectory(source)) {
                entries.add(entry);
                continue;
            }
            Path copy = into.resolve(String.valueOf(n++));
            try (Stream<Path> files = Files.walk(source)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    Path target = copy.resolve(source.relativize(file).toString());
                    if (Files.isDirectory(file)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(file, target);
                    }
                }
            }
            entries.add(copy.toString());
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    /** The child's threads, by {@code jcmd <pid> Thread.print}, to tell a hang from a slow machine. */
    private static String threadDump(Process p) {
        if (!p.isAlive()) {
            return "(exited)";
        }
        try {
            Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
            Process dump = new ProcessBuilder(jcmd.toString(), String.valueOf(p.pid()), "Thread.print")
                    .redirectErrorStream(true).start();
            try {
                dump.getOutputStream().close();
                String text = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                return dump.waitFor(20, TimeUnit.SECONDS) ? text : text + "\n(jcmd did not end)";
            } finally {
                dump.destroyForcibly();
            }
        } catch (IOException e) {
            return "(no thread dump: " + e + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)";
        }
    }

    /** {@code bin/jvm.options} of the project: {@code ../bin} from the module, or further up. */
    private static Path findJvmOptions() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("bin").resolve("jvm.options");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError("bin/jvm.options not found above " + Path.of("").toAbsolutePath());
    }

    private static String describe(State state) {
        return state.present() ? abbreviate(state.value) + " v" + state.version : "absent";
    }

    private static String abbreviate(String value) {
        if (value == null) {
            return "-";
        }
        int padding = value.lastIndexOf(':');
        return padding < 0 ? value : value.substring(0, padding) + ":<" + (value.length() - padding - 1) + " chars>";
    }

    private static String abbreviateLine(String line) {
        return Stream.of(line.split(" ")).map(KillRecoveryTest::abbreviate).collect(Collectors.joining(" "));
    }

    private static String tail(List<String> lines, Path stderr) {
        StringBuilder b = new StringBuilder("last stdout lines:\n");
        lines.subList(Math.max(0, lines.size() - 10), lines.size()).forEach(l -> b.append("  ").append(abbreviateLine(l)).append('\n'));
        b.append("stderr:\n");
        try {
            List<String> err = Files.readAllLines(stderr);
            err.subList(Math.max(0, err.size() - 40), err.size()).forEach(l -> b.append("  ").append(l).append('\n'));
        } catch (IOException e) {
            b.append("  (unreadable: ").append(e).append(")\n");
        }
        return b.toString();
    }

    /**
     * Keeps the evidence of a failure, the log directory and the child's output, under
     * {@code target/kill-recovery-failures/} (outside the temp dir, which JUnit deletes), and
     * returns the message with its location.
     */
    private static String preserve(Path dataDir, List<String> lines, Path stderr, int cycle, String message) {
        Path to = Path.of("target", "kill-recovery-failures", System.currentTimeMillis() + "-cycle-" + cycle)
                .toAbsolutePath();
        try {
            Files.createDirectories(to);
            try (Stream<Path> files = Files.walk(dataDir)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    Path target = to.resolve("data").resolve(dataDir.relativize(file).toString());
                    if (Files.isDirectory(file)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(file, target);
                    }
                }
            }
            Files.write(to.resolve("child-stdout.log"), lines);
            if (Files.exists(stderr)) {
                Files.copy(stderr, to.resolve("child-stderr.log"));
            }
            return message + "\n(evidence kept in " + to + ")";
        } catch (IOException | UncheckedIOException e) {
            return message + "\n(could not keep the evidence: " + e + ")";
        }
    }
}
