package io.shoal.core;

/**
 * A bucket store's key: the map id then the encoded key bytes. Mutable and reused per thread, so a
 * lookup allocates nothing; the byte array is borrowed, not copied.
 */
final class StoredKey {
    long mapId;
    byte[] bytes;
    int length;

    StoredKey set(long mapId, byte[] bytes, int length) {
        this.mapId = mapId;
        this.bytes = bytes;
        this.length = length;
        return this;
    }

    /** An independent copy (for keys kept beyond one operation). */
    StoredKey copy() {
        return new StoredKey().set(mapId, java.util.Arrays.copyOf(bytes, length), length);
    }

    byte[] keyBytes() {
        return java.util.Arrays.copyOf(bytes, length);
    }
}
