package io.shoal.core;

/**
 * Byte layout of a stored value inside a bucket store, in the platform's byte order (the store is
 * local to this process; the wire and file formats are specified elsewhere):
 *
 * <pre>
 * offset  size  field
 *      0     8  version           per-bucket sequence number of the write
 *      8     8  timestampMs       wall clock of the write
 *     16     8  valueHash         KeyHash (XXH64) of the value bytes
 *     24     8  expiresAtMs       0 = never
 *     32     4  lastAccessSeconds unsigned, for recency-based eviction
 *     36     4  frequency         logarithmic access counter 0..255, for LFU
 *     40     n  value bytes
 * </pre>
 */
final class ValueLayout {
    static final int VERSION = 0;
    static final int TIMESTAMP = 8;
    static final int VALUE_HASH = 16;
    static final int EXPIRES_AT = 24;
    static final int LAST_ACCESS = 32;
    static final int FREQUENCY = 36;
    static final int HEADER_BYTES = 40;

    /** Bytes of the key in the store: the map id, then the key. */
    static final int KEY_PREFIX_BYTES = 8;

    private ValueLayout() {
    }
}
