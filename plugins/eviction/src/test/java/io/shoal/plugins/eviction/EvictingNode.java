package io.shoal.plugins.eviction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.ChangeEvent;
import io.shoal.ChangeListener;
import io.shoal.ChangeType;
import io.shoal.NodeStats;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import io.shoal.Subscription;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.awaitility.Awaitility;

/**
 * A real single node with a small memory limit and one eviction policy, a {@code String ->
 * byte[]} map of 1 KB values, and a listener that records every EVICTED key. Keys used by the
 * tests all have the same length, so every entry has the same footprint.
 */
final class EvictingNode implements AutoCloseable {
    static final int VALUE_BYTES = 1000;
    private static final byte[] VALUE = new byte[VALUE_BYTES];

    final ShoalNode node;
    final ShoalMap<String, byte[]> map;
    final long maxBytes;
    final Set<String> evicted = ConcurrentHashMap.newKeySet();
    final AtomicLong evictedEvents = new AtomicLong();
    final AtomicLong droppedEvents = new AtomicLong();
    private final Subscription subscription;
    private long maxUsedSeen;

    EvictingNode(String policy, String maxBytes, Map<String, Object> extra) {
        ShoalConfig.Builder config = ShoalConfig.builder()
                .bucketCount(16)
                .set("memory.maxBytes", maxBytes)
                .set("store.entriesPerBucket", 1024)
                .set("store.averageValueBytes", 1024)
                .eviction(policy);
        extra.forEach(config::set);
        ShoalNode started = Shoal.start(config.build());
        try {
            this.node = started;
            this.map = started.map("evict", String.class, byte[].class);
            this.maxBytes = started.stats().memoryMaxBytes();
            this.subscription = map.addListener(new ChangeListener<>() {
                @Override
                public void onChange(ChangeEvent<String, byte[]> event) {
                    if (event.type() == ChangeType.EVICTED) {
                        evicted.add(event.key());
                        evictedEvents.incrementAndGet();
                    }
                }

                @Override
                public void onEventsDropped(long count) {
                    droppedEvents.addAndGet(count);
                }
            });
        } catch (RuntimeException | Error e) {
            started.close();
            throw e;
        }
    }

    /** What one entry of this fixture counts against the limit (all keys have {@code keyLength}). */
    static int footprint(int keyLength) {
        return keyLength + VALUE_BYTES + NodeStats.ENTRY_OVERHEAD_BYTES;
    }

    /** How many entries with keys of {@code keyLength} fit under the limit. */
    long capacity(int keyLength) {
        return maxBytes / footprint(keyLength);
    }

    void put(String key) {
        map.put(key, VALUE);
        checkMemory();
    }

    void put(String key, Duration ttl) {
        map.put(key, VALUE, ttl);
        checkMemory();
    }

    /** Used bytes never exceed the limit by more than a few entries (one writer here: not at all). */
    void checkMemory() {
        long used = node.stats().memoryUsedBytes();
        maxUsedSeen = Math.max(maxUsedSeen, used);
        assertTrue(used <= maxBytes + 4L * footprint(16), "memory used " + used + " > max " + maxBytes + " + 4 entries");
    }

    long maxUsedSeen() {
        return maxUsedSeen;
    }

    long evictions() {
        return node.stats().evictions();
    }

    /** How many of {@code keys} still have a value. */
    int present(Collection<String> keys) {
        int present = 0;
        for (String key : keys) {
            if (map.containsKey(key)) {
                present++;
            }
        }
        return present;
    }

    /** Waits until the listener has seen one EVICTED event per eviction counted by the node. */
    void awaitEvictedEvents() {
        Awaitility.await("EVICTED events for every eviction").atMost(Duration.ofSeconds(10))
                .until(() -> evictedEvents.get() + droppedEvents.get() >= evictions());
        assertEquals(0, droppedEvents.get(), "events dropped");
        assertEquals(evictions(), evictedEvents.get(), "EVICTED events vs stats().evictions()");
    }

    @Override
    public void close() {
        try {
            subscription.close();
        } finally {
            node.close();
        }
    }
}
