package io.shoal.core;

import io.shoal.NodeStats;

/** What an entry counts against {@code memory.maxBytes}. */
final class Footprint {
    private Footprint() {
    }

    static int of(int keyBytes, int valueBytes) {
        return keyBytes + valueBytes + NodeStats.ENTRY_OVERHEAD_BYTES;
    }
}
