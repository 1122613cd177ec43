package io.shoal.samples.cli;

import io.shoal.ChangeEvent;
import io.shoal.ChangeListener;
import io.shoal.ShoalMap;
import io.shoal.Subscription;
import io.shoal.client.ClientConfig;
import io.shoal.client.ShoalClient;
import io.shoal.samples.cli.ShoalCliTest.Run;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.stream.Stream;

import static io.shoal.samples.cli.ShoalCliTest.run;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code shoal node} as a real child process, as {@code bin/shoal node} runs it ({@code java
 * @bin/jvm.options ... ShoalCli node}): ready line on stdout, served to the CLI and a Java client in
 * this JVM, stopped by SIGTERM ({@link Process#destroy()}) with exit code 0, the final line, GOODBYE
 * to the connected client and the shutdown snapshot.
 */
@Timeout(120)
class StandaloneNodeProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private Process child;

    @AfterEach
    void killChild() throws InterruptedException {
        if (child != null && child.isAlive()) {
            child.destroy();
            if (!child.waitFor(20, TimeUnit.SECONDS)) {
                child.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void sigtermStopsTheNodeCleanlyWithExitCodeZero() throws Exception {
        Path conf = RemoteCommandsTest.config(dir, "node.id = \"child-1\"");
        // To files, not pipes: Process.destroy() closes the pipes along with sending SIGTERM, and the
        // final line comes after that.
        Path stdoutFile = dir.resolve("node.stdout");
        Path stderr = dir.resolve("node.stderr");
        child = new ProcessBuilder(List.of(javaExecutable(), "@" + jvmOptions(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), ShoalCli.class.getName(),
                "node", "--config", conf.toString(), "--port", "0"))
                .redirectOutput(stdoutFile.toFile())
                .redirectError(stderr.toFile())
                .start();
        Supplier<List<String>> stdout = () -> read(stdoutFile).lines().toList();

        await("the child's ready line").atMost(WAIT)
                .until(() -> read(stdoutFile).contains("\n") || !child.isAlive());
        Matcher ready = NodeRun.READY.matcher(stdout.get().get(0));
        assertTrue(ready.matches(), () -> "ready line " + stdout.get() + ", stderr: " + read(stderr));
        assertEquals("child-1", ready.group(1));
        String address = ready.group(2);

        Run put = run("put", "greeting", "hello from the CLI", "--nodes", address);
        assertEquals(0, put.exitCode(), put.toString());
        Run get = run("get", "greeting", "--nodes", address);
        assertEquals("hello from the CLI\n", get.out(), get.toString());

        List<String> events = new CopyOnWriteArrayList<>();
        try (ShoalClient client = ShoalClient.connect(ClientConfig.builder().nodes(address)
                .requestTimeout(Duration.ofSeconds(5)).build())) {
            ShoalMap<String, String> map = client.map("default", String.class, String.class);
            assertEquals("hello from the CLI", map.get("greeting"));
            Subscription subscription = map.addListener(new ChangeListener<>() {
                @Override
                public void onChange(ChangeEvent<String, String> event) {
                    events.add(event.type() + " " + event.key());
                }
            });
            try {
                assertEquals(0, run("put", "second", "by the CLI", "--nodes", address).exitCode());
                await("the event").atMost(WAIT).until(() -> events.contains("CREATED second"));
                assertEquals(0, run("stats", "--nodes", address).exitCode());

                child.destroy(); // SIGTERM
                assertTrue(child.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "the child did not exit");
                assertEquals(0, child.exitValue(), () -> "stdout " + stdout.get() + ", stderr: " + read(stderr));
                List<String> lines = stdout.get();
                assertEquals(2, lines.size(), () -> "stdout " + lines + ", stderr: " + read(stderr));
                assertTrue(lines.get(1).matches("shoal node child-1 stopped cleanly \\(SIGTERM\\) after \\d+\\.\\d s"),
                        lines::toString);
                // The node said GOODBYE and closed: the client let go of it (and keeps trying to reconnect).
                await("the client to let go of the stopped node").atMost(WAIT)
                        .until(() -> client.connectedNode().isEmpty());
            } finally {
                subscription.close();
            }
        }

        try (Stream<Path> files = Files.list(dir.resolve("data/log"))) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().matches("snapshot-\\d+\\.snap")),
                    "the shutdown snapshot");
        }
        String logs = read(stderr);
        assertFalse(logs.contains("Exception"), "a clean stop logs no exception: " + logs);
    }

    private static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** bin/jvm.options of the project, found upwards from the module's directory. */
    private static Path jvmOptions() {
        for (Path at = Path.of("").toAbsolutePath(); at != null; at = at.getParent()) {
            Path options = at.resolve("bin/jvm.options");
            if (Files.isRegularFile(options)) {
                return options;
            }
        }
        throw new AssertionError("no bin/jvm.options above " + Path.of("").toAbsolutePath());
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }
}
