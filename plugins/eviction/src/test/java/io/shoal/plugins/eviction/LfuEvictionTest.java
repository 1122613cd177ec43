package io.shoal.plugins.eviction;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code eviction = lfu} in a real node: keys read often survive new writes far better than keys
 * read once. The engine's counter starts at 5 for a new entry, goes to 6 on the first read and
 * then grows logarithmically ({@code lfu.logFactor = 10}: about 11 more reads for 7, 21 more
 * for 8), so 100 reads leave a frequent key at 8 or so. New entries would be the least frequently
 * used of all (5) and go first, so the keys written past the limit are read a few times each
 * (about 7): the keys read once (6) are then the ones LFU should pick. The same scenario under
 * {@code random} is the control.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LfuEvictionTest {
    private static final int KEY_LENGTH = 11;
    private static final int READS_OF_FREQUENT = 100;
    private static final int READS_OF_NEW = 30;

    record Survival(int frequentPresent, int frequentTotal, int oncePresent, int onceTotal, long evictions) {
        double frequent() {
            return (double) frequentPresent / frequentTotal;
        }

        double once() {
            return (double) oncePresent / onceTotal;
        }

        @Override
        public String toString() {
            return String.format("read %dx: %d/%d (%.0f%%), read once: %d/%d (%.0f%%), evictions %d", READS_OF_FREQUENT,
                    frequentPresent, frequentTotal, 100 * frequent(), oncePresent, onceTotal, 100 * once(), evictions);
        }
    }

    private static String key(String prefix, int i) {
        return String.format("%s-%07d", prefix, i);
    }

    static Survival frequencyScenario(String policy) {
        try (EvictingNode n = new EvictingNode(policy, "4m", Map.of())) {
            long capacity = n.capacity(KEY_LENGTH);
            List<String> frequent = new ArrayList<>();
            List<String> once = new ArrayList<>();
            // 30% of the room for keys read often, 65% for keys read once, interleaved.
            int frequentCount = (int) (capacity * 30 / 100);
            int onceCount = (int) (capacity * 65 / 100);
            for (int i = 0; i < Math.max(frequentCount, onceCount); i++) {
                if (i < frequentCount) {
                    frequent.add(key("frq", i));
                    n.put(frequent.get(i));
                }
                if (i < onceCount) {
                    once.add(key("one", i));
                    n.put(once.get(i));
                }
            }
            for (int round = 0; round < READS_OF_FREQUENT; round++) {
                for (String k : frequent) {
                    n.map.get(k);
                }
            }
            for (String k : once) {
                n.map.get(k);
            }
            // New keys, each read a few times: the free 5% plus half the keys read once.
            int newCount = (int) (capacity - frequentCount - onceCount) + onceCount / 2;
            for (int i = 0; i < newCount; i++) {
                String k = key("new", i);
                n.put(k);
                for (int read = 0; read < READS_OF_NEW; read++) {
                    n.map.get(k);
                }
            }
            Survival survival = new Survival(n.present(frequent), frequent.size(), n.present(once), once.size(),
                    n.evictions());
            System.out.println(policy + ": " + survival);
            assertTrue(n.evictions() > 0, "nothing evicted");
            n.awaitEvictedEvents();
            return survival;
        }
    }

    @Test
    void frequentlyReadKeysSurviveBetterThanKeysReadOnce() {
        Survival lfu = frequencyScenario("lfu");
        assertTrue(lfu.frequent() >= 0.90, "lfu: " + lfu);
        assertTrue(lfu.once() <= lfu.frequent() - 0.30, "lfu: " + lfu);
    }

    @Test
    void controlUnderRandomReadsDoNotProtect() {
        Survival random = frequencyScenario("random");
        assertTrue(Math.abs(random.frequent() - random.once()) < 0.15, "random: " + random);
    }
}
