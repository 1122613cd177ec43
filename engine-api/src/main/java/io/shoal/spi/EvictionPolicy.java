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
         * A logarithmic access counter (0..255) and the last access time, as in Redis' LFU: each
         * read increments the counter with probability {@code 1 / ((counter - 5) * lfu.logFactor + 1)};
         * the counter starts at 5 for new entries.
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
     * How much {@code entry} deserves eviction now: higher goes first; {@link #NEVER} protects it.
     *
     * @param entry the sampled entry's metadata, valid only during this call
     * @param nowMs the engine's current wall-clock time, milliseconds since the epoch
     */
    long score(EntryMetadata entry, long nowMs);
}
