package io.shoal.core;

import io.shoal.ConfigException;
import io.shoal.spi.Settings;

import java.util.List;
import java.util.UUID;

/**
 * The engine's own settings, read once at start and validated ({@link #conclude}). Keys and
 * defaults: {@code reference.conf} of this module.
 */
final class EngineConfig {
    static final int MAX_BUCKETS = 65536;

    final String nodeId;
    final int bucketCount;
    final int entriesPerBucket;
    final int averageKeyBytes;
    final int averageValueBytes;
    final int maxKeyBytes;
    final int maxValueBytes;
    final long maxMemoryBytes;
    final int evictionSampleSize;
    final String eviction;
    final String persistence;
    final String transport;
    final long sweepIntervalMs;
    final int eventQueueCapacity;
    final List<String> kryoClasses;
    final List<String> plugins;

    private EngineConfig(Settings s) {
        String id = s.getString("node.id").trim();
        if (id.length() > 64) {
            throw new ConfigException("node.id", "\"" + id + "\" is longer than 64 characters");
        }
        nodeId = id.isEmpty() ? "node-" + UUID.randomUUID().toString().substring(0, 8) : id;
        bucketCount = s.getInt("buckets.count");
        if (bucketCount < 1 || bucketCount > MAX_BUCKETS || Integer.bitCount(bucketCount) != 1) {
            throw new ConfigException("buckets.count", bucketCount + " is not allowed; use a power of two from 1 to " + MAX_BUCKETS);
        }
        entriesPerBucket = s.getInt("store.entriesPerBucket", 16, 1 << 24);
        averageKeyBytes = s.getInt("store.averageKeyBytes", 1, 1 << 20);
        averageValueBytes = s.getInt("store.averageValueBytes", 1, 1 << 24);
        maxKeyBytes = (int) s.getBytes("store.maxKeyBytes", 1, 1 << 20);
        maxValueBytes = (int) s.getBytes("store.maxValueBytes", 1, 64 << 20);
        maxMemoryBytes = s.getBytes("memory.maxBytes", 1 << 20, Long.MAX_VALUE);
        evictionSampleSize = s.getInt("memory.evictionSampleSize", 1, 64);
        eviction = nonBlank(s, "eviction");
        persistence = nonBlank(s, "persistence");
        transport = nonBlank(s, "transport");
        sweepIntervalMs = s.getLong("expiry.sweepIntervalMs", 10, 3_600_000);
        eventQueueCapacity = s.getInt("events.queueCapacity", 16, 1 << 24);
        kryoClasses = List.copyOf(s.getStringList("codec.kryo.classes"));
        plugins = List.copyOf(s.getStringList("plugins"));
    }

    /** Reads and validates; throws {@link ConfigException} naming the first bad key. */
    static EngineConfig conclude(Settings settings) {
        return new EngineConfig(settings);
    }

    private static String nonBlank(Settings s, String key) {
        String value = s.getString(key).trim();
        if (value.isEmpty()) {
            throw new ConfigException(key, "must name an implementation, got an empty string");
        }
        return value;
    }
}
