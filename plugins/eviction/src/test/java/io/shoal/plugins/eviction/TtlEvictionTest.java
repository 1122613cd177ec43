package io.shoal.plugins.eviction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.MemoryLimitExceededException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code eviction = ttl} in a real node: only entries with a time to live are evicted, the soonest
 * expiry first; when none is left to find, writes fail with {@link MemoryLimitExceededException}
 * and change nothing.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TtlEvictionTest {
    private static final int KEY_LENGTH = 11;

    private static String key(String prefix, int i) {
        return String.format("%s-%07d", prefix, i);
    }

    /** Writes permanent keys from {@code from} until one is refused; returns its index (bounded by {@code max}). */
    private static int writePermanentUntilRefused(EvictingNode n, List<String> permanent, int max) {
        for (int i = permanent.size(); i < max; i++) {
            String key = key("per", i);
            long evictionsBefore = n.evictions();
            try {
                n.put(key);
                permanent.add(key);
            } catch (MemoryLimitExceededException e) {
                assertFalse(n.map.containsKey(key), "a refused write stored its key");
                assertTrue(e.usedBytes() <= e.maxBytes(), e.getMessage());
                assertEquals(EvictingNode.footprint(KEY_LENGTH), e.requestedBytes(), e.getMessage());
                assertNotNull(e.getMessage());
                assertTrue(n.evictions() >= evictionsBefore);
                return i;
            }
        }
        return -1;
    }

    @Test
    void onlyEntriesWithTtlAreEvictedSoonestFirstThenWritesFail() {
        try (EvictingNode n = new EvictingNode("ttl", "4m", Map.of())) {
            long capacity = n.capacity(KEY_LENGTH);
            List<String> permanent = new ArrayList<>();
            for (int i = 0; i < capacity / 4; i++) {
                permanent.add(key("per", i));
                n.put(permanent.get(i));
            }
            // TTL keys expire in an order opposite to the write order, so "soonest expiry first" and
            // "oldest write first" (or random) disagree: the key written last expires first.
            int ttlCount = (int) (2 * capacity);
            List<String> ttl = new ArrayList<>();
            for (int i = 0; i < ttlCount; i++) {
                ttl.add(key("ttl", i));
                n.put(ttl.get(i), Duration.ofHours(1).plusSeconds(ttlCount - i));
            }
            assertEquals(permanent.size(), n.present(permanent), "a key without a TTL was evicted");
            assertTrue(n.evictions() > 0);
            // Survival by expiry: the latest-expiring fifth (written first) against the soonest fifth.
            int fifth = ttlCount / 5;
            double latestExpiry = (double) n.present(ttl.subList(0, fifth)) / fifth;
            double soonestExpiry = (double) n.present(ttl.subList(ttlCount - fifth, ttlCount)) / fifth;
            System.out.printf("ttl: %d evictions; latest-expiring fifth %.0f%% present, soonest-expiring fifth %.0f%%%n",
                    n.evictions(), 100 * latestExpiry, 100 * soonestExpiry);
            assertTrue(latestExpiry >= 0.75, "latest-expiring fifth: " + latestExpiry);
            assertTrue(soonestExpiry <= latestExpiry - 0.25, "soonest-expiring fifth: " + soonestExpiry);

            // Now only keys without a TTL are written: they take the TTL keys' room until the engine
            // finds none to evict, and then the write fails.
            int refusedAt = writePermanentUntilRefused(n, permanent, (int) (3 * capacity));
            int ttlLeft = n.present(ttl);
            System.out.printf("ttl: permanent write %d refused with %d of %d TTL keys left%n", refusedAt, ttlLeft, ttlCount);
            assertTrue(refusedAt > 0, "writes without TTL past the limit were never refused");
            assertEquals(permanent.size(), n.present(permanent), "a key without a TTL was evicted");
            n.checkMemory();
            n.awaitEvictedEvents();
            for (String key : n.evicted) {
                assertTrue(key.startsWith("ttl-"), "evicted a key without TTL: " + key);
            }

            // With every TTL key gone (removed here), nothing at all may be evicted: writes fail.
            for (String key : ttl) {
                n.map.remove(key);
            }
            long evictions = n.evictions();
            int refusedAgainAt = writePermanentUntilRefused(n, permanent, (int) (3 * capacity));
            assertTrue(refusedAgainAt > 0, "writes past the limit with no TTL key left were never refused");
            assertEquals(evictions, n.evictions(), "evicted with no TTL key left");
            assertEquals(permanent.size(), n.present(permanent));
            assertTrue(n.node.stats().memoryUsedBytes() + EvictingNode.footprint(KEY_LENGTH) > n.maxBytes);
            // The node still serves reads and writes that fit.
            assertTrue(n.map.remove(permanent.get(0)));
            n.put(permanent.get(0));
        }
    }

    @Test
    void aNodeFullOfKeysWithoutTtlRefusesWritesAndEvictsNothing() {
        try (EvictingNode n = new EvictingNode("ttl", "2m", Map.of())) {
            List<String> permanent = new ArrayList<>();
            int refusedAt = writePermanentUntilRefused(n, permanent, (int) (2 * n.capacity(KEY_LENGTH)));
            assertEquals(n.capacity(KEY_LENGTH), refusedAt, "refused before the node was full");
            assertEquals(0, n.evictions());
            assertEquals(permanent.size(), n.present(permanent));
            // A write with a TTL is refused too: there is no room and nothing may go.
            MemoryLimitExceededException e = org.junit.jupiter.api.Assertions.assertThrows(
                    MemoryLimitExceededException.class, () -> n.put(key("ttl", 0), Duration.ofMinutes(5)));
            assertTrue(e.getMessage().contains("memory.maxBytes"), e.getMessage());
            assertFalse(n.map.containsKey(key("ttl", 0)));
        }
    }
}
