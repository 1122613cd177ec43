package io.shoal.persist.file;

import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import io.shoal.StorageUnavailableException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * A real disk full: the log lives on a small tmpfs mounted for the test (needs root; skipped with a
 * message otherwise). The node refuses writes while the disk is full, keeps serving reads, accepts
 * writes again by itself once space returns, and a restart finds exactly what memory held.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DiskFullTest {
    private static final int TMPFS_BYTES = 4 << 20;
    private static final int VALUE_BYTES = 1024;
    private static final int MAX_PUTS = 20_000;

    @TempDir
    Path mountPoint;
    private boolean mounted;

    @BeforeEach
    void mountTmpfs() throws Exception {
        String problem = run("mount", "-t", "tmpfs", "-o", "size=" + TMPFS_BYTES, "tmpfs", mountPoint.toString());
        if (problem != null) {
            abort("disk-full test skipped: cannot mount a " + TMPFS_BYTES + "-byte tmpfs at " + mountPoint
                    + " (it needs root): " + problem);
        }
        mounted = true;
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted) {
            String problem = run("umount", mountPoint.toString());
            assertNull(problem, "umount " + mountPoint);
        }
    }

    @Test
    void writesAreRefusedWhileTheDiskIsFullAndAcceptedAgainWhenSpaceReturns() throws Exception {
        Path logDir = mountPoint.resolve("log");
        Path filler = mountPoint.resolve("filler");
        Files.write(filler, new byte[TMPFS_BYTES - (1 << 20)]);
        ShoalConfig config = ShoalConfig.builder().bucketCount(16).set("memory.maxBytes", "256m")
                .set("persistence", "file")
                .set("persist-file.dir", logDir.toString())
                .set("persist-file.fsync", "always")
                .set("persist-file.segmentSizeBytes", "256k")
                .set("persist-file.snapshotIntervalMs", "0")
                .build();
        Map<String, String> inMemory = new LinkedHashMap<>();
        List<String> refused = new ArrayList<>();
        String value = "v".repeat(VALUE_BYTES);
        try (ShoalNode node = Shoal.start(config)) {
            ShoalMap<String, String> map = node.map("m", String.class, String.class);
            StorageUnavailableException refusal = null;
            for (int i = 0; i < MAX_PUTS && refusal == null; i++) {
                String key = "k" + i;
                try {
                    map.put(key, value);
                    inMemory.put(key, value);
                } catch (StorageUnavailableException e) {
                    if (e.changeApplied()) {
                        inMemory.put(key, value); // held back, stored once space returns
                    } else {
                        refused.add(key);
                        refusal = e;
                    }
                }
            }
            assertTrue(refusal != null, "the disk never filled up after " + MAX_PUTS + " puts");
            assertTrue(refusal.getMessage().contains("No space left on device"), refusal.getMessage());
            StorageUnavailableException again = assertThrows(StorageUnavailableException.class, () -> map.remove("k0"));
            assertFalse(again.changeApplied());
            assertEquals(value, map.get("k0"), "reads are served while the disk is full");
            assertEquals(inMemory.size(), map.size());

            Files.delete(filler);
            await().atMost(Duration.ofSeconds(30)).ignoreException(StorageUnavailableException.class)
                    .until(() -> map.put("after", "space returned") > 0);
            inMemory.put("after", "space returned");
            map.remove("k1");
            inMemory.remove("k1");
        }
        try (ShoalNode node = Shoal.start(config)) {
            ShoalMap<String, String> map = node.map("m", String.class, String.class);
            assertEquals(inMemory.size(), map.size(), "the restarted node has exactly what memory held");
            for (Map.Entry<String, String> entry : inMemory.entrySet()) {
                assertEquals(entry.getValue(), map.get(entry.getKey()), entry.getKey());
            }
            for (String key : refused) {
                assertNull(map.get(key), key + " was refused and must not appear");
            }
        }
    }

    /** Runs a command; null if it exited 0, else what it printed. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return e.toString();
        }
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return String.join(" ", command) + " did not finish within 30 s";
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        return process.exitValue() == 0 ? null : "exit " + process.exitValue() + ": " + output;
    }
}
