package io.shoal.samples.bench;

import java.util.Arrays;

/**
 * The data set every map benchmark works on: {@value #ENTRIES} entries with {@value #KEY_BYTES}-byte
 * keys (the entry's index as 8 bytes big-endian, then 8 bytes of padding) and
 * {@value #VALUE_BYTES}-byte values. Benchmarks write one of {@value #VALUE_VARIANTS} precomputed
 * values, so that nothing is allocated to produce a value on the measured path.
 */
final class MapData {
    static final int ENTRIES = 1_000_000;
    static final int KEY_BYTES = 16;
    static final int VALUE_BYTES = 100;
    static final int VALUE_VARIANTS = 16;

    private MapData() {
    }

    /** Every key, index {@code i} at position {@code i}. */
    static byte[][] keys() {
        byte[][] keys = new byte[ENTRIES][];
        for (int i = 0; i < ENTRIES; i++) {
            keys[i] = key(i);
        }
        return keys;
    }

    static byte[] key(long index) {
        byte[] key = new byte[KEY_BYTES];
        for (int b = 0; b < 8; b++) {
            key[b] = (byte) (index >>> (56 - 8 * b));
        }
        Arrays.fill(key, 8, KEY_BYTES, (byte) 0x5A);
        return key;
    }

    /** The values written by the benchmarks: variant {@code v} is filled with a pattern of {@code v}. */
    static byte[][] values() {
        byte[][] values = new byte[VALUE_VARIANTS][];
        for (int v = 0; v < VALUE_VARIANTS; v++) {
            byte[] value = new byte[VALUE_BYTES];
            for (int b = 0; b < VALUE_BYTES; b++) {
                value[b] = (byte) (v * 31 + b);
            }
            values[v] = value;
        }
        return values;
    }

    /** The value an entry gets when a map is filled. */
    static int fillVariant(int index) {
        return index & (VALUE_VARIANTS - 1);
    }

    /**
     * {@code store.entriesPerBucket} for {@code entries} entries over {@code buckets} buckets: each
     * store gets room for its share plus 18 %, so none is rebuilt as it fills, and none is left
     * sparse (a store sized far beyond its entries costs each get cache and TLB misses: with the
     * default 4096 per bucket, a get among 100,000 entries takes about 0.25 µs longer).
     */
    static int entriesPerBucket(long entries, int buckets) {
        return (int) Math.max(64, Math.ceil(entries * 1.18 / buckets));
    }
}
