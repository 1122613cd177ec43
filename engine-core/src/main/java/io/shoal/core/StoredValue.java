package io.shoal.core;

import io.shoal.spi.EntryMetadata;

/**
 * A bucket store's value: the entry metadata then the encoded value bytes (layout in
 * {@link ValueLayout}). Mutable and reused per thread; doubles as the {@link EntryMetadata}
 * flyweight handed to eviction policies.
 */
final class StoredValue implements EntryMetadata {
    long version;
    long timestampMs;
    long valueHash;
    long expiresAtMs;
    int lastAccessSeconds;
    int frequency;
    byte[] bytes = new byte[128];
    int length;
    /** Where the marshaller copies the stored header before decoding it. */
    final byte[] header = new byte[ValueLayout.HEADER_BYTES];

    byte[] ensureCapacity(int size) {
        if (bytes.length < size) {
            bytes = new byte[Math.max(size, Math.min(Integer.MAX_VALUE - 16, bytes.length * 2))];
        }
        return bytes;
    }

    @Override
    public long version() {
        return version;
    }

    @Override
    public long timestampMs() {
        return timestampMs;
    }

    @Override
    public long expiresAtMs() {
        return expiresAtMs;
    }

    @Override
    public long lastAccessSeconds() {
        return lastAccessSeconds & 0xFFFFFFFFL;
    }

    @Override
    public int frequency() {
        return frequency;
    }

    @Override
    public int sizeBytes() {
        return length;
    }
}
