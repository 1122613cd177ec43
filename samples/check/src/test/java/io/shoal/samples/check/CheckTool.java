package io.shoal.samples.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code check} run as {@code bin/shoal check} runs it, in its own JVM, for the process tests: its
 * stdout must be the one SUMMARY line, and every node process it started must have ended. The test
 * calls {@link #end()} afterwards (in {@code @AfterEach}), which ends the tool and its nodes should
 * the test have ended before the tool did.
 */
final class CheckTool {
    static final Pattern SUMMARY = Pattern.compile(
            "SUMMARY ops=(\\d+) faults=(\\d+) lost=(\\d+) wrong=(\\d+) seconds=(\\d+)");
    private static final Pattern PID = Pattern.compile("\\(pid (\\d+)\\)");

    record Result(int exitCode, String out, String err, Matcher summary) {
        long get(int group) {
            return Long.parseLong(summary.group(group));
        }

        long ops() {
            return get(1);
        }

        long faults() {
            return get(2);
        }

        long lost() {
            return get(3);
        }

        long wrong() {
            return get(4);
        }
    }

    private final Path dir;
    private final Path workDir;
    private Process tool;

    /** @param dir the test's temporary directory: the output, and the work dir under {@code dir/work} */
    CheckTool(Path dir) {
        this(dir, dir.resolve("work"));
    }

    /**
     * @param workDir where the run's work dir goes ({@code --work-dir}); the tool deletes it after a clean
     *                run and keeps it (node logs) after a failed one
     */
    CheckTool(Path dir, Path workDir) {
        this.dir = dir;
        this.workDir = workDir;
    }

    /** Runs the tool with {@code args} (and {@code --work-dir}); fails the test past the deadline. */
    Result run(long deadlineSeconds, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + ShoalCheck.launch().jvmOptionsFile(), "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                ShoalCheck.class.getName()));
        command.addAll(List.of(args));
        command.addAll(List.of("--work-dir", workDir.toString()));
        Path out = dir.resolve("check.stdout");
        Path err = dir.resolve("check.stderr");
        tool = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        boolean ended = tool.waitFor(deadlineSeconds, TimeUnit.SECONDS);
        String stdout = Files.readString(out);
        String stderr = Files.readString(err);
        assertTrue(ended, "check did not end within " + deadlineSeconds + " s; stderr:\n" + stderr);
        Matcher summary = SUMMARY.matcher(stdout.strip());
        assertTrue(summary.matches(), "stdout is one SUMMARY line: [" + stdout + "]\nstderr:\n" + stderr);
        assertEquals(1, stdout.lines().count(), stdout);
        // Every node process it started has ended.
        Matcher pids = PID.matcher(stderr);
        while (pids.find()) {
            long pid = Long.parseLong(pids.group(1));
            assertFalse(ProcessHandle.of(pid).flatMap(p -> p.info().commandLine())
                    .filter(c -> c.contains(workDir.toString())).isPresent(), "node process " + pid + " still runs");
        }
        return new Result(tool.exitValue(), stdout, stderr, summary);
    }

    /** Ends the tool and the nodes it started, if it still runs. */
    void end() throws InterruptedException {
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
}
