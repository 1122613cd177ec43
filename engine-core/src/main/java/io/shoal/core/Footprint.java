package io.shoal.core;

import io.shoal.NodeStats;

/** What an entry counts against {@code memory.maxBytes}. */
final class Footprint {
    private Footprint() {
    }

    static int of(int keyBytes, int valueBytes) {
        return keyBytes + valueBytes + NodeStats.ENTRY_OVERHEAD_BYTES;
    }

    /** The sum of {@link #of(int, int)} over {@code entries} entries of {@code keyAndValueBytes} in all. */
    static long ofAll(long entries, long keyAndValueBytes) {
        return keyAndValueBytes + entries * NodeStats.ENTRY_OVERHEAD_BYTES;
    }
}
