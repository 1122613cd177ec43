package io.shoal.spi;

/**
 * The metadata of a stored entry, as seen by an {@link EvictionPolicy}. A flyweight: valid only
 * during the call it is passed to.
 */
public interface EntryMetadata {

    /** Version of the stored value. */
    long version();

    /** When the value was written, milliseconds since the epoch. */
    long timestampMs();

    /** When the value expires, milliseconds since the epoch; {@code 0} when it never does. */
    long expiresAtMs();

    /**
     * Last read or write, seconds since the epoch, recorded only when the policy asks for
     * {@link EvictionPolicy.AccessTracking#RECENCY} or {@code FREQUENCY}; otherwise the write time.
     */
    long lastAccessSeconds();

    /**
     * The frequency counter 0..255 as last stored ({@link EvictionPolicy.AccessTracking#FREQUENCY}),
     * else 0.
     */
    int frequency();

    /** Bytes the entry counts against the memory limit. */
    int sizeBytes();
}
