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

    /** Equal when map id and key bytes are (for keys held in hash maps; mutate only copies kept there). */
    @Override
    public boolean equals(Object o) {
        return o instanceof StoredKey other && mapId == other.mapId
                && java.util.Arrays.equals(bytes, 0, length, other.bytes, 0, other.length);
    }

    @Override
    public int hashCode() {
        int hash = Long.hashCode(mapId);
        for (int i = 0; i < length; i++) {
            hash = 31 * hash + bytes[i];
        }
        return hash;
    }
}
