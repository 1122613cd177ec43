package io.shoal.spi;

import io.shoal.ChangeType;

import java.util.Objects;

/**
 * One applied change in raw form (encoded key and value bytes), as handed to persistence backends
 * and plugins. Immutable by contract: the arrays are owned by the record and must not be modified
 * by receivers.
 */
public final class ChangeRecord {
    private final ChangeType type;
    private final String mapName;
    private final int bucket;
    private final long sequence;
    private final byte[] key;
    private final byte[] value;
    private final long timestampMs;
    private final long expiresAtMs;

    /**
     * @param sequence    the change's number in its bucket's sequence; for a put, also the new
     *                    value's version
     * @param value       the new value's bytes; {@code null} for removals
     * @param expiresAtMs expiry of the new value, {@code 0} for none or for removals
     */
    public ChangeRecord(ChangeType type, String mapName, int bucket, long sequence, byte[] key, byte[] value,
                        long timestampMs, long expiresAtMs) {
        this.type = Objects.requireNonNull(type, "type");
        this.mapName = Objects.requireNonNull(mapName, "mapName");
        this.key = Objects.requireNonNull(key, "key");
        if (type.isRemoval() != (value == null)) {
            throw new IllegalArgumentException(type + " record must " + (type.isRemoval() ? "not " : "") + "carry a value");
        }
        this.bucket = bucket;
        this.sequence = sequence;
        this.value = value;
        this.timestampMs = timestampMs;
        this.expiresAtMs = expiresAtMs;
    }

    public ChangeType type() {
        return type;
    }

    public String mapName() {
        return mapName;
    }

    public int bucket() {
        return bucket;
    }

    public long sequence() {
        return sequence;
    }

    /** The encoded key; do not modify. */
    public byte[] key() {
        return key;
    }

    /** The encoded new value, {@code null} for removals; do not modify. */
    public byte[] value() {
        return value;
    }

    public long timestampMs() {
        return timestampMs;
    }

    public long expiresAtMs() {
        return expiresAtMs;
    }

    @Override
    public String toString() {
        return "ChangeRecord{" + type + " " + mapName + " bucket=" + bucket + " seq=" + sequence
                + " key=" + key.length + "B value=" + (value == null ? "-" : value.length + "B") + '}';
    }
}
