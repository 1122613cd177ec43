package io.shoal.core;

import io.shoal.ChangeEvent;
import io.shoal.ChangeListener;
import io.shoal.ChangeType;
import io.shoal.ShoalConfig;
import io.shoal.ShoalEntry;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import io.shoal.Shoal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

class ShoalMapTest {
    private ShoalNode node;

    @BeforeEach
    void start() {
        node = Shoal.start(ShoalConfig.builder().bucketCount(16).set("memory.maxBytes", "256m").build());
    }

    @AfterEach
    void stop() {
        node.close();
    }

    @Test
    void putGetRemoveAndMetadata() {
        ShoalMap<String, String> map = node.map("users", String.class, String.class);
        assertNull(map.get("ada"));
        long v1 = map.put("ada", "Ada");
        assertEquals("Ada", map.get("ada"));
        long v2 = map.put("ada", "Ada Lovelace");
        assertTrue(v2 > v1);
        ShoalEntry<String, String> entry = map.getEntry("ada");
        assertEquals(v2, entry.version());
        assertEquals("Ada Lovelace", entry.value());
        assertEquals(io.shoal.KeyHash.hashUtf8("Ada Lovelace"), entry.valueHash());
        assertEquals(0, entry.expiresAtMs());
        assertEquals(1, map.size());
        assertTrue(map.remove("ada"));
        assertFalse(map.remove("ada"));
        assertNull(map.get("ada"));
        assertEquals(0, map.size());
        long v3 = map.put("ada", "again");
        assertTrue(v3 > v2, "a re-created key gets a higher version than before its removal");
    }

    @Test
    void mapsAreSeparateKeyspaces() {
        ShoalMap<String, String> a = node.map("a", String.class, String.class);
        ShoalMap<String, String> b = node.map("b", String.class, String.class);
        a.put("k", "from a");
        b.put("k", "from b");
        assertEquals("from a", a.get("k"));
        assertEquals("from b", b.get("k"));
        assertEquals(1, a.size());
    }

    @Test
    void checkAndSet() {
        ShoalMap<String, Long> map = node.map("counters", String.class, Long.class);
        map.put("c", 1L);
        ShoalEntry<String, Long> read = map.getEntry("c");
        map.put("c", 5L);
        assertFalse(map.replace("c", read.version(), 2L));
        assertEquals(5L, map.get("c"));
        ShoalEntry<String, Long> fresh = map.getEntry("c");
        assertTrue(map.replace("c", fresh.version(), 6L));
        assertFalse(map.remove("c", fresh.version()));
        assertTrue(map.remove("c", map.getEntry("c").version()));
        assertNull(map.putIfAbsent("c", 1L));
        assertEquals(1L, map.putIfAbsent("c", 2L));
    }

    @Test
    void ttlExpires() {
        ShoalMap<String, String> map = node.map("sessions", String.class, String.class);
        map.put("s", "x", Duration.ofMillis(50));
        assertTrue(map.getEntry("s").expiresAtMs() > 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> map.get("s") == null);
        assertFalse(map.containsKey("s"));
        await().atMost(Duration.ofSeconds(5)).until(() -> node.stats().expirations() == 1 && map.size() == 0);
    }

    @Test
    void listenersSeeEventsInOrder() {
        ShoalMap<String, String> map = node.map("events", String.class, String.class);
        List<ChangeEvent<String, String>> seen = new CopyOnWriteArrayList<>();
        map.addKeyListener("k", new ChangeListener<>() {
            @Override
            public void onChange(ChangeEvent<String, String> event) {
                seen.add(event);
            }
        });
        for (int i = 0; i < 100; i++) {
            map.put("k", "v" + i);
        }
        map.put("other", "x");
        map.remove("k");
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 101);
        assertEquals(ChangeType.CREATED, seen.get(0).type());
        assertEquals(ChangeType.UPDATED, seen.get(1).type());
        assertEquals(ChangeType.REMOVED, seen.get(100).type());
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i).sequence() > seen.get(i - 1).sequence());
        }
        assertEquals("v99", seen.get(99).value());
    }

    @Test
    void growsBeyondInitialSizing() {
        ShoalMap<Long, byte[]> map = node.map("big", Long.class, byte[].class);
        byte[] value = new byte[300];
        for (long i = 0; i < 200_000; i++) {
            map.put(i, value);
        }
        assertEquals(200_000, map.size());
        assertTrue(node.stats().storeResizes() > 0);
        for (long i = 0; i < 200_000; i += 997) {
            assertArrayEquals(value, map.get(i));
        }
        byte[] large = new byte[1 << 20];
        large[12345] = 7;
        map.put(-1L, large);
        assertArrayEquals(large, map.get(-1L));
    }

    @Test
    void overwriteAtTheLimitNeedsNoExtraRoom() {
        try (ShoalNode small = Shoal.start(ShoalConfig.builder().bucketCount(16).maxMemoryBytes(1 << 20).build())) {
            ShoalMap<Integer, byte[]> map = small.map("full", Integer.class, byte[].class);
            byte[] value = new byte[1000];
            int stored = 0;
            try {
                while (stored < 10_000) {
                    map.put(stored, value);
                    stored++;
                }
                fail("the limit was never reached");
            } catch (io.shoal.MemoryLimitExceededException expected) {
                assertTrue(expected.getMessage().contains("1048576"), expected.getMessage());
            }
            assertTrue(stored > 500, "stored " + stored);
            for (int i = 0; i < stored; i++) {
                map.put(i, value); // same size: fits
            }
            assertEquals(stored, map.size());
            map.remove(0);
            map.put(stored, value);
            assertArrayEquals(value, map.get(stored));
        }
    }

    @Test
    void slowListenerIsToldOfDroppedEventsAndWritersNeverBlock() {
        try (ShoalNode small = Shoal.start(ShoalConfig.builder().bucketCount(16).set("events.queueCapacity", 16).build())) {
            ShoalMap<Integer, Integer> map = small.map("busy", Integer.class, Integer.class);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.atomic.AtomicLong dropped = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicLong received = new java.util.concurrent.atomic.AtomicLong();
            map.addListener(new ChangeListener<>() {
                @Override
                public void onChange(ChangeEvent<Integer, Integer> event) {
                    received.incrementAndGet();
                    try {
                        release.await(); // hold the event thread until the writer is done
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }

                @Override
                public void onEventsDropped(long count) {
                    dropped.addAndGet(count);
                }
            });
            for (int i = 0; i < 1_000; i++) {
                map.put(i, i); // must not block although the listener is stuck
            }
            release.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> received.get() + dropped.get() == 1_000);
            assertTrue(dropped.get() > 0);
            assertEquals(dropped.get(), small.stats().eventsDropped());
        }
    }

    @Test
    void aWriteOverAnExpiredEntryReportsTheExpiryFirst() {
        try (ShoalNode quiet = Shoal.start(ShoalConfig.builder().bucketCount(4).set("expiry.sweepIntervalMs", 3_600_000).build())) {
            ShoalMap<String, String> map = quiet.map("m", String.class, String.class);
            List<ChangeEvent<String, String>> seen = new CopyOnWriteArrayList<>();
            map.addListener(new ChangeListener<>() {
                @Override
                public void onChange(ChangeEvent<String, String> event) {
                    seen.add(event);
                }
            });
            map.put("k", "old", Duration.ofMillis(1));
            await().atMost(Duration.ofSeconds(5)).until(() -> map.get("k") == null);
            long version = map.put("k", "new");
            await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 3);
            assertEquals(List.of(ChangeType.CREATED, ChangeType.EXPIRED, ChangeType.CREATED),
                    seen.stream().map(ChangeEvent::type).toList());
            assertEquals(version - 1, seen.get(1).sequence());
            assertEquals(version, seen.get(2).sequence());
            assertEquals(1, quiet.stats().expirations());
        }
    }
}
