package io.shoal;

import java.util.Objects;

/**
 * A value read together with its metadata, as returned by {@link ShoalMap#getEntry}. Immutable.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class ShoalEntry<K, V> {
    private final K key;
    private final V value;
    private final long version;
    private final long valueHash;
    private final long timestampMs;
    private final long expiresAtMs;

    public ShoalEntry(K key, V value, long version, long valueHash, long timestampMs, long expiresAtMs) {
        this.key = Objects.requireNonNull(key, "key");
        this.value = Objects.requireNonNull(value, "value");
        this.version = version;
        this.valueHash = valueHash;
        this.timestampMs = timestampMs;
        this.expiresAtMs = expiresAtMs;
    }

    public K key() {
        return key;
    }

    public V value() {
        return value;
    }

    /**
     * The version of this value: strictly greater than the version of every earlier value of the
     * same key, including values written before the key was removed and written again. Pass it to
     * {@link ShoalMap#replace(Object, long, Object)} or {@link ShoalMap#remove(Object, long)}.
     */
    public long version() {
        return version;
    }

    /** {@link KeyHash} (XXH64, seed 0) of the stored value's encoded bytes. */
    public long valueHash() {
        return valueHash;
    }

    /** Wall-clock time of the write that stored this value, milliseconds since the epoch. */
    public long timestampMs() {
        return timestampMs;
    }

    /** When the value expires, milliseconds since the epoch; {@code 0} when it never does. */
    public long expiresAtMs() {
        return expiresAtMs;
    }

    @Override
    public String toString() {
        return "ShoalEntry{key=" + key + ", version=" + version + ", valueHash=" + Long.toHexString(valueHash)
                + ", timestampMs=" + timestampMs + ", expiresAtMs=" + expiresAtMs + '}';
    }
}
