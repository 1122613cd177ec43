package io.shoal;

import java.util.Objects;

/**
 * One change to one entry, delivered to {@link ChangeListener}s. Immutable.
 *
 * <p>Every change applied to a bucket takes the next number of that bucket's sequence; the
 * {@link #sequence()} of the events of one key therefore strictly increases, and for a
 * {@link ChangeType#CREATED} or {@link ChangeType#UPDATED} event it equals the new value's
 * {@link ShoalEntry#version() version}. Sequences are per bucket and shared by all maps, so a
 * listener that sees only some keys sees gaps; missed events are reported through
 * {@link ChangeListener#onEventsDropped(long)}.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class ChangeEvent<K, V> {
    private final String mapName;
    private final ChangeType type;
    private final K key;
    private final V value;
    private final int bucket;
    private final long sequence;
    private final long timestampMs;

    public ChangeEvent(String mapName, ChangeType type, K key, V value, int bucket, long sequence, long timestampMs) {
        this.mapName = Objects.requireNonNull(mapName, "mapName");
        this.type = Objects.requireNonNull(type, "type");
        this.key = Objects.requireNonNull(key, "key");
        this.value = value;
        this.bucket = bucket;
        this.sequence = sequence;
        this.timestampMs = timestampMs;
    }

    public String mapName() {
        return mapName;
    }

    public ChangeType type() {
        return type;
    }

    public K key() {
        return key;
    }

    /** The new value; {@code null} when {@link ChangeType#isRemoval()}. */
    public V value() {
        return value;
    }

    /** The bucket of the key, {@code KeyHash.bucketOf(keyHash, bucketCount)}. */
    public int bucket() {
        return bucket;
    }

    /** This change's number in its bucket's sequence. */
    public long sequence() {
        return sequence;
    }

    /** Wall-clock time at which the change was applied, milliseconds since the epoch. */
    public long timestampMs() {
        return timestampMs;
    }

    @Override
    public String toString() {
        return type + " " + mapName + "[" + key + "]" + (value == null ? "" : " = " + value)
                + " (bucket " + bucket + " seq " + sequence + ")";
    }
}
