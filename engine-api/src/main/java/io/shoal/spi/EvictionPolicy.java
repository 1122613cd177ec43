package io.shoal.spi;

/**
 * Decides which entries go when the node's data reaches {@code memory.maxBytes}, in the style of
 * Redis' approximated policies: the engine samples a few entries at random
 * ({@code memory.evictionSampleSize}, default 5, from random buckets), asks the policy for each
 * one's {@link #score}, keeps the best candidates in a small pool across rounds, and evicts the
 * highest score, until the write fits.
 *
 * <p><b>Threading.</b> Called on the writing thread that hit the limit, from many threads at once;
 * must be thread-safe, must not block, and should not allocate.
 *
 * <p><b>Errors.</b> Must not throw; an exception fails the write that needed room.
 *
 * <p>The core policy {@code none} never evicts: a write over the limit fails with
 * {@link io.shoal.MemoryLimitExceededException}.
 */
public interface EvictionPolicy {

    /** Score meaning "never evict this entry"; an entry with it is skipped. */
    long NEVER = Long.MIN_VALUE;

    /** What the engine must record on reads for this policy. */
    enum AccessTracking {
        /** Nothing: reads do not write. */
        NONE,
        /** The last access time, in seconds (a read writes at most once a second per key). */
        RECENCY,
        /**
         * The last access time and a frequency counter (0..255) that the policy maintains through
         * {@link #initialFrequency()} and {@link #frequencyAfterAccess}; the engine stores it with
         * the entry, keeps it when the value is overwritten, and writes only when it changes.
         */
        FREQUENCY
    }

    /** Whether this policy may evict at all. {@code false} makes writes over the limit fail. */
    default boolean evicts() {
        return true;
    }

    /** What reads must record; {@link AccessTracking#NONE} keeps reads free of writes. */
    AccessTracking accessTracking();

    /**
     * Whether only entries with an expiry time may be evicted (as Redis' {@code volatile-*}
     * policies). The engine then samples only such entries, and a write fails with
     * {@link io.shoal.MemoryLimitExceededException} when none are left. Default: {@code false}.
     */
    default boolean evictsOnlyEntriesWithExpiry() {
        return false;
    }

    /**
     * The frequency counter of a new entry ({@link AccessTracking#FREQUENCY} only). Default: 0.
     */
    default int initialFrequency() {
        return 0;
    }

    /**
     * The frequency counter to store after a read of an entry ({@link AccessTracking#FREQUENCY}
     * only). Called on the reading thread for every read, so it must be cheap; it may use
     * randomness (Redis' logarithmic counter does). Default: the counter unchanged.
     *
     * @param frequency          the stored counter, 0..255
     * @param lastAccessSeconds  the previous access, seconds since the epoch
     * @param nowMs              the current wall-clock time
     * @return the new counter, 0..255 (values outside are clamped)
     */
    default int frequencyAfterAccess(int frequency, long lastAccessSeconds, long nowMs) {
        return frequency;
    }

    /**
     * How much {@code entry} deserves eviction now: higher goes first; {@link #NEVER} protects it.
     *
     * @param entry the sampled entry's metadata, valid only during this call
     * @param nowMs the engine's current wall-clock time, milliseconds since the epoch
     */
    long score(EntryMetadata entry, long nowMs);
}
