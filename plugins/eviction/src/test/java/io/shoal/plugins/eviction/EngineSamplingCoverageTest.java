package io.shoal.plugins.eviction;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.MemoryLimitExceededException;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sampling must reach every entry of a store, not only those near the start of a segment in
 * Chronicle's iteration order (an early engine sampled only the first ~20 entries of a segment, so
 * entries further in were never evicted). Shown with {@code random}: after writing twice the
 * capacity past the limit, uniform sampling leaves about e^-2 (13.5%) of the first keys. And with
 * {@code ttl}: writes without a TTL are evicted against entries with a TTL until almost none are left.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EngineSamplingCoverageTest {
    private static final byte[] VALUE = new byte[1000];

    @ParameterizedTest(name = "buckets.count = {0}")
    @ValueSource(ints = {1, 16})
    void randomEvictionReachesEveryEntry(int buckets) {
        try (ShoalNode node = Shoal.start(ShoalConfig.builder().bucketCount(buckets).set("memory.maxBytes", "4m")
                .eviction("random").build())) {
            ShoalMap<String, byte[]> map = node.map("m", String.class, byte[].class);
            int capacity = (int) (node.stats().memoryMaxBytes() / EvictingNode.footprint(11));
            for (int i = 0; i < capacity; i++) {
                map.put(String.format("first-%05d", i), VALUE);
            }
            for (int i = 0; i < 2 * capacity; i++) {
                map.put(String.format("later-%05d", i), VALUE);
            }
            int survivors = 0;
            for (int i = 0; i < capacity; i++) {
                survivors += map.containsKey(String.format("first-%05d", i)) ? 1 : 0;
            }
            double survival = (double) survivors / capacity;
            System.out.printf("buckets %d: %d of %d first keys survive (%.1f%%; uniform sampling: ~13.5%%)%n", buckets,
                    survivors, capacity, 100 * survival);
            assertTrue(survival < 0.25, survivors + " of " + capacity + " first keys survive 2x capacity of random"
                    + " eviction; uniform sampling leaves ~13.5%");
        }
    }

    @Test
    void ttlRefusesWritesOnlyWhenFewEntriesWithTtlAreLeft() {
        try (ShoalNode node = Shoal.start(ShoalConfig.builder().bucketCount(16).set("memory.maxBytes", "4m")
                .eviction("ttl").build())) {
            ShoalMap<String, byte[]> map = node.map("m", String.class, byte[].class);
            int capacity = (int) (node.stats().memoryMaxBytes() / EvictingNode.footprint(11));
            for (int i = 0; i < capacity; i++) {
                map.put(String.format("ttl---%05d", i), VALUE, Duration.ofHours(1));
            }
            int written = 0;
            try {
                for (; written < 2 * capacity; written++) {
                    map.put(String.format("per---%05d", written), VALUE);
                }
            } catch (MemoryLimitExceededException e) {
                // expected once (almost) every entry with a TTL is gone
            }
            int ttlLeft = (int) map.size() - written;
            System.out.printf("ttl: refused after %d writes with %d of %d entries with a TTL left%n", written, ttlLeft,
                    capacity);
            // 64 fruitless rounds of 5 uniform samples miss a 2% share with probability e^-6.4 (0.2%).
            assertTrue(ttlLeft <= capacity / 50, "refused with " + ttlLeft + " of " + capacity
                    + " entries holding a TTL, which the policy would evict");
        }
    }
}
