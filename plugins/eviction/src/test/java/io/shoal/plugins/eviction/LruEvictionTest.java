package io.shoal.plugins.eviction;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code eviction = lru} in a real node: a hot set read all along survives while older cold keys
 * go. The engine records access in whole seconds, so the cold keys are written, then left idle for
 * two second boundaries while the hot keys keep being read, and only then are new keys written
 * past the limit (reading the hot set between batches). The same scenario under {@code random}
 * is the control: there the hot set has no protection, which shows the scenario can tell.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LruEvictionTest {
    private static final int KEY_LENGTH = 11;
    private static final int HOT_KEYS = 100;

    record Survival(int hotPresent, int hotTotal, int coldPresent, int coldTotal, int newPresent, int newTotal,
                    long evictions) {
        double hot() {
            return (double) hotPresent / hotTotal;
        }

        double cold() {
            return (double) coldPresent / coldTotal;
        }

        @Override
        public String toString() {
            return String.format("hot %d/%d (%.0f%%), cold %d/%d (%.0f%%), new %d/%d, evictions %d", hotPresent, hotTotal,
                    100 * hot(), coldPresent, coldTotal, 100 * cold(), newPresent, newTotal, evictions);
        }
    }

    private static String key(String prefix, int i) {
        return String.format("%s-%07d", prefix, i);
    }

    static Survival hotSetScenario(String policy) {
        try (EvictingNode n = new EvictingNode(policy, "4m", Map.of())) {
            long capacity = n.capacity(KEY_LENGTH);
            List<String> hot = new ArrayList<>();
            List<String> cold = new ArrayList<>();
            for (int i = 0; i < HOT_KEYS; i++) {
                hot.add(key("hot", i));
                n.put(hot.get(i));
            }
            // Fill 90% of the room with cold keys: no eviction yet.
            int coldCount = (int) (capacity * 9 / 10) - HOT_KEYS;
            for (int i = 0; i < coldCount; i++) {
                cold.add(key("old", i));
                n.put(cold.get(i));
            }
            long coldWrittenSecond = System.currentTimeMillis() / 1000;
            // Let two second boundaries pass, reading the hot set at every poll: the cold keys are now
            // idle for at least 2 s, the hot ones for at most 1 s.
            await("two idle seconds for the cold keys").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        readAll(n, hot);
                        return System.currentTimeMillis() / 1000 >= coldWrittenSecond + 2;
                    });
            // Write past the limit: the free 10% plus 65% of the cold keys, reading the hot set every batch.
            int newCount = (int) (capacity - HOT_KEYS - coldCount) + coldCount * 65 / 100;
            List<String> fresh = new ArrayList<>();
            for (int i = 0; i < newCount; i++) {
                if (i % 100 == 0) {
                    readAll(n, hot);
                }
                fresh.add(key("new", i));
                n.put(fresh.get(i));
            }
            Survival survival = new Survival(n.present(hot), hot.size(), n.present(cold), cold.size(), n.present(fresh),
                    fresh.size(), n.evictions());
            System.out.println(policy + ": " + survival);
            assertTrue(n.evictions() > 0, "nothing evicted");
            n.awaitEvictedEvents();
            return survival;
        }
    }

    private static void readAll(EvictingNode n, List<String> keys) {
        for (String key : keys) {
            n.map.get(key);
        }
    }

    @Test
    void hotKeysSurviveFarBetterThanColdOnes() {
        Survival lru = hotSetScenario("lru");
        assertTrue(lru.hot() >= 0.90, "lru: " + lru);
        assertTrue(lru.cold() < 0.50, "lru: " + lru);
    }

    @Test
    void controlUnderRandomTheHotSetIsNotProtected() {
        Survival random = hotSetScenario("random");
        // Random eviction removes about as many hot keys as others; ~half survive.
        assertTrue(random.hot() < 0.85, "random: " + random);
    }
}
