package io.shoal.samples.bench;

import io.shoal.ChangeType;
import io.shoal.KeyHash;
import io.shoal.spi.ChangeRecord;

import java.nio.charset.StandardCharsets;

/**
 * The change records the persist benchmark writes: {@code CREATED} records of the keys
 * {@link MapData#key}{@code (i)} (16 bytes) with {@link MapData#VALUE_BYTES}-byte values, in map
 * {@value #MAP_NAME}, each in the bucket its key hashes to among {@value #BUCKETS} (as a node with
 * the default {@code buckets.count} computes it, so that a node can replay them), numbered 1, 2, …
 * within its bucket.
 */
final class LogRecords {
    static final String MAP_NAME = "bench";
    /** The default {@code buckets.count}; the nodes of the benchmark use it too. */
    static final int BUCKETS = 256;

    /** docs/formats.md section 1.3: length (4), type (1), crc (4). */
    private static final int FRAME_HEADER_BYTES = 9;
    /** docs/formats.md section 1.5: bucket, sequence, timestampMs, expiresAtMs, mapNameLength. */
    private static final int FIXED_PAYLOAD_BYTES = 4 + 8 + 8 + 8 + 2;
    /** keyLength and valueLength fields. */
    private static final int LENGTH_FIELD_BYTES = 4;

    private LogRecords() {
    }

    /** Records for keys {@code 0 .. count-1}, in that order. */
    static ChangeRecord[] created(int count, long timestampMs) {
        Generator generator = new Generator(count, timestampMs);
        ChangeRecord[] records = new ChangeRecord[count];
        for (int i = 0; i < count; i++) {
            records[i] = generator.next();
        }
        return records;
    }

    /**
     * Makes records for keys 0, 1, 2, … and around again after {@code keyCount} keys, each with
     * the next sequence of its bucket. Keys, buckets and values are computed up front, so that
     * {@link #next} only allocates the record.
     */
    static final class Generator {
        private final byte[][] keys;
        private final int[] buckets;
        private final byte[][] values = MapData.values();
        private final long[] sequences = new long[BUCKETS];
        private final long timestampMs;
        private int next;

        Generator(int keyCount, long timestampMs) {
            this.timestampMs = timestampMs;
            keys = new byte[keyCount][];
            buckets = new int[keyCount];
            for (int i = 0; i < keyCount; i++) {
                keys[i] = MapData.key(i);
                buckets[i] = KeyHash.bucketOf(KeyHash.hash(keys[i]), BUCKETS);
            }
        }

        /** The value of key {@code i} is {@link MapData#fillVariant}{@code (i)}. */
        ChangeRecord next() {
            int i = next;
            next = i + 1 == keys.length ? 0 : i + 1;
            int bucket = buckets[i];
            return new ChangeRecord(ChangeType.CREATED, MAP_NAME, bucket, ++sequences[bucket], keys[i],
                    values[MapData.fillVariant(i)], timestampMs, 0);
        }
    }

    /** Bytes a record takes in a log segment (docs/formats.md 1.3 and 1.5): frame header plus payload. */
    static int frameBytes(ChangeRecord record) {
        int payload = FIXED_PAYLOAD_BYTES + record.mapName().getBytes(StandardCharsets.UTF_8).length
                + LENGTH_FIELD_BYTES + record.key().length;
        if (record.value() != null) {
            payload += LENGTH_FIELD_BYTES + record.value().length;
        }
        return FRAME_HEADER_BYTES + payload;
    }
}
