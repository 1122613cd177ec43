package io.shoal.samples.check;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code check} end to end, as {@code bin/shoal check} runs it (its own JVM), against one node
 * process: with durable persistence it must find nothing through kills and restarts; without
 * persistence a kill loses everything, which it must report.
 */
@Timeout(150)
class CheckProcessTest {
    private static final Pattern SUMMARY = Pattern.compile(
            "SUMMARY ops=(\\d+) faults=(\\d+) lost=(\\d+) wrong=(\\d+) seconds=(\\d+)");
    private static final Pattern PID = Pattern.compile("\\(pid (\\d+)\\)");
    private static final long RUN_DEADLINE_SECONDS = 120;

    @TempDir
    Path dir;
    private Process tool;

    /** Ends the tool and the nodes it started, should the test end before the tool did. */
    @AfterEach
    void endTool() throws InterruptedException {
        if (tool == null || !tool.isAlive()) {
            return;
        }
        List<ProcessHandle> started = new ArrayList<>(tool.descendants().toList());
        started.add(tool.toHandle());
        started.forEach(ProcessHandle::destroy);
        for (ProcessHandle process : started) {
            try {
                process.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                process.destroyForcibly();
            }
        }
    }

    record Result(int exitCode, String out, String err, Matcher summary) {
        long get(int group) {
            return Long.parseLong(summary.group(group));
        }
    }

    @Test
    void durableSingleNodeLosesNothingThroughKillsAndRestarts() throws Exception {
        Path history = dir.resolve("history.jsonl");
        Result run = check("--nodes", "1", "--minutes", "0.3", "--faults", "kill,restart", "--fault-interval", "3s-4s",
                "--persistence", "file", "--seed", "11", "--json-history", history.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.get(1) > 1000, "ops: " + run.out());
        assertTrue(run.get(2) >= 2, "faults: " + run.out());
        assertEquals(0, run.get(3), "lost");
        assertEquals(0, run.get(4), "wrong");
        assertTrue(run.err().contains("final read-back of 1000 keys"), run.err());
        Matcher addresses = Pattern.compile("n1 UP (\\S+)").matcher(run.err());
        Set<String> seen = new HashSet<>();
        while (addresses.find()) {
            seen.add(addresses.group(1));
        }
        assertEquals(1, seen.size(), "n1 restarts on its port: " + seen);
        assertTrue(run.err().contains(": 0 wrong, 0 lost; final read-back: 1000 keys read"), run.err());
        try (Stream<Path> left = Files.list(dir.resolve("work"))) {
            assertEquals(0, left.count(), "the work dir of a clean run is deleted");
        }
        List<String> lines = Files.readAllLines(history);
        assertTrue(lines.stream().filter(l -> l.startsWith("{\"type\":\"fault\"")).count() >= 2, "faults in the history");
        assertEquals(1000, lines.stream().filter(l -> l.startsWith("{\"type\":\"final-read\"")
                && l.endsWith("\"outcome\":\"OK\"}")).count());
        assertTrue(lines.stream().anyMatch(l -> l.matches(
                "\\{\"type\":\"write\",\"key\":\"k\\d+\",\"value\":\"w\\d+-k\\d+-\\d+\",\"start\":[0-9.]+,\"end\":[0-9.]+,"
                        + "\"outcome\":\"OK\"}")), "a write line");
    }

    @Test
    void nodeWithoutPersistenceLosesItsDataToAKillAndTheCheckSaysSo() throws Exception {
        Result run = check("--nodes", "1", "--minutes", "0.15", "--faults", "kill", "--fault-interval", "3s-4s",
                "--persistence", "none", "--keys", "50000", "--seed", "12");
        assertEquals(1, run.exitCode(), run.err());
        assertTrue(run.get(2) >= 1, "faults: " + run.out());
        assertTrue(run.get(3) > 0, "lost: " + run.out());
        assertTrue(run.err().contains("LOST LOST_MISSING "), run.err());
        Matcher kept = Pattern.compile("work dir kept: (\\S+); node logs: (\\S+)").matcher(run.err());
        assertTrue(kept.find(), "a failed run keeps its work dir: " + run.err());
        assertTrue(Files.isRegularFile(Path.of(kept.group(2))), "the node's log");
    }

    private Result check(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + ShoalCheck.launch().jvmOptionsFile(), "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                ShoalCheck.class.getName()));
        command.addAll(List.of(args));
        command.addAll(List.of("--work-dir", dir.resolve("work").toString()));
        Path out = dir.resolve("check.stdout");
        Path err = dir.resolve("check.stderr");
        tool = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        boolean ended = tool.waitFor(RUN_DEADLINE_SECONDS, TimeUnit.SECONDS);
        String stdout = Files.readString(out);
        String stderr = Files.readString(err);
        assertTrue(ended, "check did not end within " + RUN_DEADLINE_SECONDS + " s; stderr:\n" + stderr);
        Matcher summary = SUMMARY.matcher(stdout);
        assertTrue(summary.matches() || stdout.lines().count() == 1 && SUMMARY.matcher(stdout.strip()).matches(),
                "stdout is one SUMMARY line: [" + stdout + "]\nstderr:\n" + stderr);
        summary = SUMMARY.matcher(stdout.strip());
        assertTrue(summary.matches());
        assertEquals(1, stdout.lines().count(), stdout);
        // Every node process it started has ended.
        Matcher pids = PID.matcher(stderr);
        while (pids.find()) {
            long pid = Long.parseLong(pids.group(1));
            assertFalse(ProcessHandle.of(pid).flatMap(p -> p.info().commandLine())
                    .filter(c -> c.contains(dir.toString())).isPresent(), "node process " + pid + " still runs");
        }
        return new Result(tool.exitValue(), stdout, stderr, summary);
    }
}
