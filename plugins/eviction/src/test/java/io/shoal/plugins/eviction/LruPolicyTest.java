package io.shoal.plugins.eviction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.spi.EvictionPolicy;
import io.shoal.testing.TestEntryMetadata;

import org.junit.jupiter.api.Test;

class LruPolicyTest {
    private static final long NOW_MS = 1_700_000_000_123L;
    private static final long NOW_S = NOW_MS / 1000;
    private final EvictionPolicy lru = LruPolicy.INSTANCE;

    private static TestEntryMetadata accessedAt(long seconds) {
        return TestEntryMetadata.written(NOW_MS - 3_600_000, 1000).lastAccessSeconds(seconds);
    }

    @Test
    void tracksRecencyAndEvicts() {
        assertEquals(EvictionPolicy.AccessTracking.RECENCY, lru.accessTracking());
        assertTrue(lru.evicts());
    }

    @Test
    void scoreIsSecondsSinceLastAccess() {
        assertEquals(0, lru.score(accessedAt(NOW_S), NOW_MS));
        assertEquals(1, lru.score(accessedAt(NOW_S - 1), NOW_MS));
        assertEquals(86_400, lru.score(accessedAt(NOW_S - 86_400), NOW_MS));
        assertEquals(NOW_S, lru.score(accessedAt(0), NOW_MS));
    }

    @Test
    void olderAccessScoresHigher() {
        long previous = Long.MIN_VALUE;
        for (long age = 0; age <= 100_000; age += 997) {
            long score = lru.score(accessedAt(NOW_S - age), NOW_MS);
            assertTrue(score > previous, "age " + age + "s scored " + score + ", not above " + previous);
            previous = score;
        }
    }

    @Test
    void onlyAccessMattersNotWriteTimeSizeOrFrequency() {
        long base = lru.score(accessedAt(NOW_S - 10), NOW_MS);
        assertEquals(base, lru.score(accessedAt(NOW_S - 10).timestampMs(NOW_MS).sizeBytes(7).frequency(255), NOW_MS));
        assertEquals(base, lru.score(accessedAt(NOW_S - 10).expiresAtMs(NOW_MS + 1), NOW_MS));
    }

    @Test
    void accessInTheFutureRanksLastButIsStillEvictable() {
        long future = lru.score(accessedAt(NOW_S + 5), NOW_MS);
        assertTrue(future < lru.score(accessedAt(NOW_S), NOW_MS));
        assertNotEquals(EvictionPolicy.NEVER, lru.score(accessedAt(Long.MAX_VALUE), NOW_MS));
        assertNotEquals(EvictionPolicy.NEVER, lru.score(accessedAt(Long.MAX_VALUE), Long.MIN_VALUE));
        assertEquals(Long.MAX_VALUE, lru.score(accessedAt(Long.MIN_VALUE), NOW_MS));
    }
}
