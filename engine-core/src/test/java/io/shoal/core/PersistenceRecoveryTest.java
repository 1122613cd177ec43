package io.shoal.core;

import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalEntry;
import io.shoal.ShoalException;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import io.shoal.StorageUnavailableException;
import io.shoal.spi.ChangeRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The engine's side of persistence: recovery into the stores, and the state view for snapshots. */
class PersistenceRecoveryTest {

    private static ShoalConfig config(Path dir, int buckets) {
        return ShoalConfig.builder().bucketCount(buckets).set("memory.maxBytes", "64m")
                .set("persistence", "test-memory").set("test.persistence.dir", dir.toString()).build();
    }

    @Test
    void aRestartedNodeHasWhatTheLastOneAcknowledged(@TempDir Path dir) {
        Map<String, Long> versions = new HashMap<>();
        long usedBefore;
        try (ShoalNode node = Shoal.start(config(dir, 16))) {
            ShoalMap<String, String> users = node.map("users", String.class, String.class);
            ShoalMap<Long, byte[]> blobs = node.map("blobs", Long.class, byte[].class);
            for (int i = 0; i < 500; i++) {
                users.put("u" + i, "v" + i);
                blobs.put((long) i, new byte[i]);
            }
            for (int i = 0; i < 500; i += 3) {
                users.put("u" + i, "second " + i);
            }
            for (int i = 0; i < 500; i += 5) {
                users.remove("u" + i);
            }
            users.put("session", "s", Duration.ofHours(1));
            for (int i = 0; i < 500; i++) {
                ShoalEntry<String, String> e = users.getEntry("u" + i);
                if (e != null) {
                    versions.put("u" + i, e.version());
                }
            }
            usedBefore = node.stats().memoryUsedBytes();
        }
        try (ShoalNode node = Shoal.start(config(dir, 16))) {
            ShoalMap<String, String> users = node.map("users", String.class, String.class);
            ShoalMap<Long, byte[]> blobs = node.map("blobs", Long.class, byte[].class);
            for (int i = 0; i < 500; i++) {
                ShoalEntry<String, String> e = users.getEntry("u" + i);
                if (i % 5 == 0) {
                    assertNull(e, "u" + i + " was removed");
                } else {
                    assertEquals(i % 3 == 0 ? "second " + i : "v" + i, e.value());
                    assertEquals(versions.get("u" + i), e.version(), "version of u" + i);
                }
                assertEquals(i, blobs.get((long) i).length);
            }
            assertTrue(users.getEntry("session").expiresAtMs() > System.currentTimeMillis());
            assertEquals(500 - 100 + 1, users.size());
            assertEquals(500, blobs.size());
            assertEquals(usedBefore, node.stats().memoryUsedBytes(), "memory accounting is rebuilt");
            long highest = versions.values().stream().mapToLong(Long::longValue).max().orElseThrow();
            assertTrue(users.put("new", "x") > 0);
            for (int i = 1; i < 500; i++) {
                if (i % 5 != 0) {
                    assertTrue(users.put("u" + i, "third") > versions.get("u" + i), "versions go on rising after recovery");
                }
            }
            assertTrue(highest > 0);
        }
    }

    @Test
    void dataWrittenWithAnotherBucketCountIsRefused(@TempDir Path dir) {
        try (ShoalNode node = Shoal.start(config(dir, 16))) {
            ShoalMap<String, String> map = node.map("m", String.class, String.class);
            for (int i = 0; i < 50; i++) {
                map.put("k" + i, "v");
            }
        }
        ShoalException e = assertThrows(ShoalException.class, () -> Shoal.start(config(dir, 32)));
        assertTrue(e.getMessage().contains("buckets.count"), e.getMessage());
    }

    @Test
    void theStateViewCopiesEachBucketWithItsSequence(@TempDir Path dir) {
        try (ShoalNode node = Shoal.start(config(dir, 4))) {
            ShoalMap<String, String> map = node.map("m", String.class, String.class);
            for (int i = 0; i < 200; i++) {
                map.put("k" + i, "v" + i);
            }
            map.remove("k7");
            var state = TestPersistenceProvider.lastState;
            assertEquals(4, state.bucketCount());
            List<ChangeRecord> copied = new ArrayList<>();
            long sequences = 0;
            for (int b = 0; b < 4; b++) {
                long sequence = state.copyBucket(b, copied::add);
                for (ChangeRecord r : copied) {
                    if (r.bucket() == b) {
                        assertTrue(r.sequence() <= sequence);
                    }
                }
                sequences += sequence;
            }
            assertEquals(201, sequences, "200 puts and one removal, over all buckets");
            assertEquals(199, copied.size());
            for (ChangeRecord r : copied) {
                String key = new String(r.key());
                assertEquals(map.getEntry(key).version(), r.sequence());
                assertEquals(map.get(key), new String(r.value()));
            }
        }
    }

    @Test
    void aVersionedRemoveWithMinusOneNeverRemovesUnconditionally(@TempDir Path dir) {
        try (ShoalNode node = Shoal.start(config(dir, 4))) {
            ShoalMap<String, String> map = node.map("m", String.class, String.class);
            map.put("k", "v");
            assertFalse(map.remove("k", -1));
            assertFalse(map.removeAsync("k", -1).join());
            assertEquals("v", map.get("k"));
        }
    }

    @Test
    void asyncWritesCompleteWhenDurable(@TempDir Path dir) {
        try (ShoalNode node = Shoal.start(config(dir, 4))) {
            ShoalMap<String, String> map = node.map("m", String.class, String.class);
            long version = map.putAsync("k", "v").join();
            assertEquals(version, map.getEntry("k").version());
            assertTrue(map.removeAsync("k").join());
        }
        try (ShoalNode node = Shoal.start(config(dir, 4))) {
            assertNull(node.map("m", String.class, String.class).get("k"), "the removal was stored");
        }
    }

    @Test
    void whilePersistenceRefusesChangesWritesFailWithoutEffectAndReadsAreServed(@TempDir Path dir) {
        try (ShoalNode node = Shoal.start(config(dir, 4))) {
            ShoalMap<String, String> map = node.map("m", String.class, String.class);
            long version = map.put("k", "v1");
            TestPersistenceProvider.unavailableBecause = "No space left on device (test)";
            try {
                for (org.junit.jupiter.api.function.Executable write : List.<org.junit.jupiter.api.function.Executable>of(
                        () -> map.put("k", "v2"), () -> map.put("new", "x"), () -> map.putIfAbsent("new", "x"),
                        () -> map.replace("k", version, "v3"), () -> map.remove("k"), () -> map.remove("k", version),
                        () -> map.asMap().put("k", "v4"), () -> map.putAsync("k", "v5").join())) {
                    Throwable thrown = assertThrows(Throwable.class, write);
                    StorageUnavailableException refused = assertInstanceOf(StorageUnavailableException.class,
                            thrown instanceof java.util.concurrent.CompletionException ? thrown.getCause() : thrown);
                    assertFalse(refused.changeApplied());
                    assertTrue(refused.getMessage().contains("No space left on device (test)"), refused.getMessage());
                }
                assertEquals("v1", map.get("k"));
                assertEquals(version, map.getEntry("k").version());
                assertEquals(1, map.size());
                assertFalse(map.containsKey("new"));
            } finally {
                TestPersistenceProvider.unavailableBecause = null;
            }
            assertTrue(map.put("k", "v6") > version, "writes are accepted again");
        }
        try (ShoalNode node = Shoal.start(config(dir, 4))) {
            ShoalMap<String, String> map = node.map("m", String.class, String.class);
            assertEquals("v6", map.get("k"));
            assertEquals(1, map.size());
        }
    }
}
