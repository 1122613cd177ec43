package io.shoal;

/**
 * A point-in-time view of a node's counters. Counts since the node started.
 *
 * @param nodeId          the node's id
 * @param bucketCount     number of buckets ({@code buckets.count})
 * @param entries         entries held, over all maps (entries that expired but are not yet
 *                        reclaimed are included)
 * @param memoryUsedBytes bytes counted against the limit: key and value bytes plus a fixed
 *                        per-entry overhead ({@link #ENTRY_OVERHEAD_BYTES})
 * @param memoryMaxBytes  the limit, {@code memory.maxBytes}
 * @param evictions       entries removed by the eviction policy
 * @param expirations     entries reclaimed after their time to live ran out
 * @param eventsDropped   events dropped because the event queue was full
 * @param storeResizes    times a bucket store was rebuilt larger than its initial sizing
 */
public record NodeStats(
        String nodeId,
        int bucketCount,
        long entries,
        long memoryUsedBytes,
        long memoryMaxBytes,
        long evictions,
        long expirations,
        long eventsDropped,
        long storeResizes) {

    /** Bytes each entry counts against {@code memory.maxBytes} on top of its key and value bytes. */
    public static final int ENTRY_OVERHEAD_BYTES = 64;
}
