package io.shoal.persist.file;

import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalEntry;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code persistence = file} inside a real node: what a node acknowledged is there after a restart. */
class FileNodeRestartTest {

    private static ShoalConfig config(Path dir, String fsync) {
        return ShoalConfig.builder().bucketCount(16).set("memory.maxBytes", "64m")
                .set("persistence", "file")
                .set("persist-file.dir", dir.toString())
                .set("persist-file.fsync", fsync)
                .build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"always", "interval", "never"})
    void aRestartedNodeHasEveryAcknowledgedWrite(String fsync, @TempDir Path dir) throws Exception {
        Map<String, ShoalEntry<String, String>> expected = new HashMap<>();
        try (ShoalNode node = Shoal.start(config(dir, fsync))) {
            ShoalMap<String, String> map = node.map("orders", String.class, String.class);
            ExecutorService writers = Executors.newFixedThreadPool(4);
            try {
                CompletableFuture<?>[] done = new CompletableFuture<?>[4];
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    done[t] = CompletableFuture.runAsync(() -> {
                        for (int i = 0; i < 500; i++) {
                            map.put("t" + thread + "-" + i, "v" + i);
                            if (i % 7 == 0) {
                                map.remove("t" + thread + "-" + (i / 2));
                            }
                        }
                    }, writers);
                }
                CompletableFuture.allOf(done).get(60, TimeUnit.SECONDS);
            } finally {
                writers.shutdownNow();
            }
            map.put("ttl", "later", Duration.ofHours(1));
            for (int t = 0; t < 4; t++) {
                for (int i = 0; i < 500; i++) {
                    String key = "t" + t + "-" + i;
                    ShoalEntry<String, String> entry = map.getEntry(key);
                    if (entry != null) {
                        expected.put(key, entry);
                    }
                }
            }
        }
        try (ShoalNode node = Shoal.start(config(dir, fsync))) {
            ShoalMap<String, String> map = node.map("orders", String.class, String.class);
            for (int t = 0; t < 4; t++) {
                for (int i = 0; i < 500; i++) {
                    String key = "t" + t + "-" + i;
                    ShoalEntry<String, String> want = expected.get(key);
                    ShoalEntry<String, String> got = map.getEntry(key);
                    if (want == null) {
                        assertNull(got, key + " was removed");
                    } else {
                        assertEquals(want.value(), got.value(), key);
                        assertEquals(want.version(), got.version(), key);
                        assertEquals(want.timestampMs(), got.timestampMs(), key);
                    }
                }
            }
            assertTrue(map.getEntry("ttl").expiresAtMs() > System.currentTimeMillis());
            assertEquals(expected.size() + 1, map.size());
        }
    }

    @Test
    void recoveryAfterRecoveryIsTheSame(@TempDir Path dir) {
        try (ShoalNode node = Shoal.start(config(dir, "always"))) {
            ShoalMap<Long, Long> map = node.map("counters", Long.class, Long.class);
            for (long i = 0; i < 200; i++) {
                map.put(i % 20, i);
            }
        }
        for (int restart = 0; restart < 2; restart++) {
            try (ShoalNode node = Shoal.start(config(dir, "always"))) {
                ShoalMap<Long, Long> map = node.map("counters", Long.class, Long.class);
                assertEquals(20, map.size());
                for (long k = 0; k < 20; k++) {
                    assertEquals(180 + k, map.get(k));
                }
            }
        }
    }

    @Test
    void theLogLivesUnderTheNodesDataDirectoryByDefault(@TempDir Path dataDir) throws Exception {
        ShoalConfig config = ShoalConfig.builder().bucketCount(4).set("persistence", "file")
                .set("node.dataDir", dataDir.toString()).build();
        try (ShoalNode node = Shoal.start(config)) {
            node.map("m", String.class, String.class).put("k", "v");
        }
        try (var files = java.nio.file.Files.list(dataDir.resolve("log"))) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().endsWith(".seg")
                    || f.getFileName().toString().endsWith(".snap")), "log files under node.dataDir/log");
        }
        try (ShoalNode node = Shoal.start(config)) {
            assertEquals("v", node.map("m", String.class, String.class).get("k"));
        }
    }
}
