package io.shoal.plugins.eviction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every policy, in a real node: writing three times what fits never fails, memory stays under the
 * limit, the node counts evictions and listeners get an EVICTED event for each.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EvictionLimitTest {
    private static final int KEY_LENGTH = 11;

    private static String key(int i) {
        return String.format("key-%07d", i);
    }

    @ParameterizedTest(name = "eviction = {0}")
    @ValueSource(strings = {"lru", "lfu", "random", "ttl"})
    void writingFarPastTheLimitEvictsAndNeverFails(String policy) {
        try (EvictingNode n = new EvictingNode(policy, "4m", Map.of())) {
            long capacity = n.capacity(KEY_LENGTH);
            int writes = (int) (3 * capacity);
            boolean withTtl = policy.equals("ttl"); // ttl evicts only entries that have a time to live
            for (int i = 0; i < writes; i++) {
                assertEquals(KEY_LENGTH, key(i).length());
                if (withTtl) {
                    n.put(key(i), Duration.ofHours(1));
                } else {
                    n.put(key(i));
                }
                if (i % 64 == 0) {
                    n.map.get(key(i / 2)); // some reads, so that lru and lfu have access data to use
                }
            }
            long evictions = n.evictions();
            long entries = n.node.stats().entries();
            System.out.printf("%s: capacity %d, wrote %d, evictions %d, entries %d, max used %d of %d%n", policy,
                    capacity, writes, evictions, entries, n.maxUsedSeen(), n.maxBytes);
            assertTrue(evictions >= writes - capacity, "evictions " + evictions + " < " + (writes - capacity));
            assertEquals(writes - evictions, entries, "entries = writes - evictions");
            assertEquals(entries, n.map.size());
            assertTrue(n.maxUsedSeen() <= n.maxBytes, "used " + n.maxUsedSeen() + " > " + n.maxBytes);
            // Eviction frees only what a write needs: the node stays nearly full.
            assertTrue(n.node.stats().memoryUsedBytes() > n.maxBytes - 2L * EvictingNode.footprint(KEY_LENGTH),
                    "evicted more than needed: used " + n.node.stats().memoryUsedBytes());
            n.awaitEvictedEvents();
            assertEquals(evictions, n.evicted.size(), "each evicted key once");
            assertEquals(0, n.present(n.evicted), "an evicted key still has a value");
        }
    }
}
