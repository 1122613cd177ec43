package io.shoal.plugins.eviction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.spi.EvictionPolicy;
import io.shoal.testing.TestEntryMetadata;

import org.junit.jupiter.api.Test;

class TtlPolicyTest {
    private static final long NOW_MS = 1_700_000_000_123L;
    private final EvictionPolicy ttl = TtlPolicy.INSTANCE;

    private static TestEntryMetadata expiringAt(long expiresAtMs) {
        return TestEntryMetadata.written(NOW_MS - 1000, 1000).expiresAtMs(expiresAtMs);
    }

    @Test
    void tracksNothingAndEvicts() {
        assertEquals(EvictionPolicy.AccessTracking.NONE, ttl.accessTracking());
        assertTrue(ttl.evicts());
    }

    @Test
    void entriesWithoutExpiryAreNeverEvicted() {
        assertEquals(EvictionPolicy.NEVER, ttl.score(TestEntryMetadata.written(NOW_MS, 10), NOW_MS));
        assertEquals(EvictionPolicy.NEVER, ttl.score(new TestEntryMetadata(), NOW_MS));
        assertEquals(EvictionPolicy.NEVER, ttl.score(TestEntryMetadata.written(0, 0).frequency(0), NOW_MS));
    }

    @Test
    void soonestExpiryScoresHighest() {
        long previous = Long.MAX_VALUE;
        for (long inMs : new long[] {-86_400_000L, -1000, -1, 0, 1, 999, 1000, 60_000, 3_600_000, 10L * 365 * 86_400_000L}) {
            long score = ttl.score(expiringAt(NOW_MS + inMs), NOW_MS);
            assertNotEquals(EvictionPolicy.NEVER, score);
            assertTrue(score >= 0);
            assertTrue(score < previous, "expiry in " + inMs + " ms scored " + score + ", not below " + previous);
            previous = score;
        }
    }

    @Test
    void scoreIsMaxMinusExpiryAndIgnoresNow() {
        assertEquals(Long.MAX_VALUE - (NOW_MS + 5000), ttl.score(expiringAt(NOW_MS + 5000), NOW_MS));
        assertEquals(ttl.score(expiringAt(NOW_MS + 5000), NOW_MS), ttl.score(expiringAt(NOW_MS + 5000), NOW_MS + 86_400_000L));
    }

    @Test
    void extremeExpiriesStayEvictable() {
        assertEquals(0, ttl.score(expiringAt(Long.MAX_VALUE), NOW_MS));
        assertEquals(Long.MAX_VALUE - 1, ttl.score(expiringAt(1), NOW_MS));
        assertEquals(Long.MAX_VALUE, ttl.score(expiringAt(-1), NOW_MS));
        assertEquals(Long.MAX_VALUE, ttl.score(expiringAt(Long.MIN_VALUE), NOW_MS));
    }
}
