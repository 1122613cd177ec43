package io.shoal.plugins.eviction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.spi.EvictionPolicy;
import io.shoal.testing.TestEntryMetadata;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class RandomPolicyTest {
    private static final long NOW_MS = 1_700_000_000_123L;
    private final EvictionPolicy random = RandomPolicy.INSTANCE;

    @Test
    void tracksNothingAndEvicts() {
        assertEquals(EvictionPolicy.AccessTracking.NONE, random.accessTracking());
        assertTrue(random.evicts());
    }

    @Test
    void scoresAreNonNegativeAndSpread() {
        TestEntryMetadata entry = TestEntryMetadata.written(NOW_MS, 100);
        Set<Long> distinct = new HashSet<>();
        int aboveHalf = 0;
        int draws = 10_000;
        for (int i = 0; i < draws; i++) {
            long score = random.score(entry, NOW_MS);
            assertTrue(score >= 0, "negative score " + score);
            distinct.add(score);
            if (score > Long.MAX_VALUE / 2) {
                aboveHalf++;
            }
        }
        assertTrue(distinct.size() > draws - 5, distinct.size() + " distinct scores of " + draws);
        // Binomial(10000, 0.5): 4,500..5,500 is more than 10 standard deviations wide.
        assertTrue(aboveHalf > 4_500 && aboveHalf < 5_500, aboveHalf + " of " + draws + " above half");
    }

    @Test
    void metadataDoesNotMatter() {
        // Same distribution whatever the entry: the metadata is not read at all.
        TestEntryMetadata expiring = TestEntryMetadata.written(NOW_MS, 1).expiresAtMs(NOW_MS + 1).frequency(255);
        for (int i = 0; i < 1000; i++) {
            assertTrue(random.score(expiring, NOW_MS) >= 0);
            assertTrue(random.score(new TestEntryMetadata(), Long.MIN_VALUE) >= 0);
        }
    }
}
