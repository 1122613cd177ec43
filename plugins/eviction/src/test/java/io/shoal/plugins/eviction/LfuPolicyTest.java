package io.shoal.plugins.eviction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.spi.EvictionPolicy;
import io.shoal.testing.TestEntryMetadata;

import org.junit.jupiter.api.Test;

class LfuPolicyTest {
    private static final long NOW_MS = 1_700_000_000_123L;
    private static final long NOW_S = NOW_MS / 1000;
    private final LfuPolicy lfu = new LfuPolicy(1, 10);
    private final LfuPolicy noDecay = new LfuPolicy(0, 10);

    private static TestEntryMetadata entry(int counter, long idleSeconds) {
        return TestEntryMetadata.written(NOW_MS - 86_400_000L, 1000).frequency(counter).lastAccessSeconds(NOW_S - idleSeconds);
    }

    @Test
    void tracksFrequencyAndEvicts() {
        assertEquals(EvictionPolicy.AccessTracking.FREQUENCY, lfu.accessTracking());
        assertTrue(lfu.evicts());
    }

    @Test
    void lowerCounterScoresHigherAtEqualIdleness() {
        for (LfuPolicy policy : new LfuPolicy[] {lfu, noDecay}) {
            for (long idle : new long[] {0, 30, 59}) {
                long previous = Long.MAX_VALUE;
                for (int counter = 0; counter <= 255; counter++) {
                    long score = policy.score(entry(counter, idle), NOW_MS);
                    assertTrue(score < previous, policy + ": counter " + counter + " idle " + idle + "s scored " + score
                            + ", not below the counter before (" + previous + ")");
                    previous = score;
                }
            }
        }
    }

    @Test
    void counterOutweighsIdlenessWithoutDecay() {
        // Idle for ten years with counter 6 still ranks behind a fresh entry with counter 5.
        long oldButUsed = noDecay.score(entry(6, 10L * 365 * 86_400), NOW_MS);
        long freshNew = noDecay.score(entry(5, 0), NOW_MS);
        assertTrue(freshNew > oldButUsed);
    }

    @Test
    void tiesOnTheCounterGoToTheOlderAccess() {
        for (int counter : new int[] {0, 5, 100, 255}) {
            long newer = lfu.score(entry(counter, 1), NOW_MS);
            long older = lfu.score(entry(counter, 2), NOW_MS);
            long same = lfu.score(entry(counter, 1), NOW_MS);
            assertTrue(older > newer, "counter " + counter);
            assertEquals(newer, same);
        }
    }

    @Test
    void counterDecaysOneStepPerDecayPeriod() {
        assertEquals(10, lfu.decayedCounter(10, 0));
        assertEquals(10, lfu.decayedCounter(10, 59));
        assertEquals(9, lfu.decayedCounter(10, 60));
        assertEquals(7, lfu.decayedCounter(10, 3 * 60 + 59));
        assertEquals(0, lfu.decayedCounter(10, 10 * 60));
        assertEquals(0, lfu.decayedCounter(10, 1_000_000_000L));
        LfuPolicy fiveMinutes = new LfuPolicy(5, 10);
        assertEquals(10, fiveMinutes.decayedCounter(10, 5 * 60 - 1));
        assertEquals(9, fiveMinutes.decayedCounter(10, 5 * 60));
        assertEquals(8, fiveMinutes.decayedCounter(10, 14 * 60));
        assertEquals(10, noDecay.decayedCounter(10, 1_000_000_000L));
    }

    @Test
    void decayMakesALongIdleFrequentEntryEvictableBeforeARecentRareOne() {
        // Counter 20 idle for 15 minutes decays to 5 with 1-minute decay: it ranks with a new entry
        // (counter 5) and, being idle longer, goes before it; and before an entry read once (6).
        long idleFrequent = lfu.score(entry(20, 15 * 60), NOW_MS);
        long recentRare = lfu.score(entry(6, 0), NOW_MS);
        long recentNew = lfu.score(entry(5, 0), NOW_MS);
        assertTrue(idleFrequent > recentRare);
        assertTrue(idleFrequent > recentNew);
        // Without decay the frequent one is protected.
        assertTrue(noDecay.score(entry(20, 15 * 60), NOW_MS) < noDecay.score(entry(6, 0), NOW_MS));
    }

    @Test
    void scoreUsesTheDecayedCounter() {
        assertEquals(lfu.score(entry(7, 3 * 60), NOW_MS) >>> 40, 255 - 4);
        assertEquals(noDecay.score(entry(7, 3 * 60), NOW_MS) >>> 40, 255 - 7);
        assertEquals(3 * 60, lfu.score(entry(7, 3 * 60), NOW_MS) & ((1L << 40) - 1));
    }

    @Test
    void outOfRangeInputsAreClampedAndNeverNever() {
        assertTrue(lfu.score(entry(0, 0).lastAccessSeconds(Long.MAX_VALUE), NOW_MS) >= 0);
        assertTrue(lfu.score(entry(0, 0).lastAccessSeconds(Long.MIN_VALUE), NOW_MS) >= 0);
        assertTrue(lfu.score(entry(255, 0).lastAccessSeconds(NOW_S + 100), NOW_MS) >= 0);
        assertEquals(0, lfu.decayedCounter(-3, 0));
        assertEquals(255, noDecay.decayedCounter(1000, 0));
    }

    @Test
    void negativeDecayIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new LfuPolicy(-1, 10));
    }

    @Test
    void newEntriesStartAtFiveAndLowCountersAlwaysGrow() {
        assertEquals(5, lfu.initialFrequency());
        long now = 1_700_000_000_000L;
        long justNow = now / 1000;
        assertEquals(6, lfu.frequencyAfterAccess(5, justNow, now));
        assertEquals(1, lfu.frequencyAfterAccess(0, justNow, now));
        assertEquals(255, lfu.frequencyAfterAccess(255, justNow, now));
    }

    @Test
    void accessDecaysBeforeItCounts() {
        long now = 1_700_000_000_000L;
        long fiveMinutesAgo = now / 1000 - 5 * 60;
        // 10 decays by 5 (one per minute) to 5, then a read at baseline always adds one.
        assertEquals(6, lfu.frequencyAfterAccess(10, fiveMinutesAgo, now));
        assertEquals(true, noDecay.frequencyAfterAccess(10, fiveMinutesAgo, now) >= 10);
    }

    @Test
    void counterGrowsLogarithmically() {
        long now = 1_700_000_000_000L;
        int counter = lfu.initialFrequency();
        for (int read = 0; read < 10_000; read++) {
            counter = lfu.frequencyAfterAccess(counter, now / 1000, now);
        }
        // About 5 * (k - 5)^2 reads reach k with logFactor 10: some 50 after 10,000 reads.
        assertTrue(counter >= 30 && counter <= 70, "counter after 10,000 reads: " + counter);
    }
}
