package io.shoal.persist.file;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongBinaryOperator;

/**
 * The highest sequence seen per bucket: an array for the usual bucket indexes, a map for the rare
 * huge one, so a stray index cannot make it allocate much. Not thread-safe.
 */
final class BucketSequences {
    private static final int ARRAY_LIMIT = 1 << 20;

    private long[] low = new long[0];
    private final Map<Integer, Long> high = new HashMap<>();

    void note(int bucket, long sequence) {
        if (bucket < ARRAY_LIMIT) {
            if (bucket >= low.length) {
                low = Arrays.copyOf(low, Math.min(ARRAY_LIMIT, Math.max(bucket + 1, low.length * 2)));
            }
            low[bucket] = Math.max(low[bucket], sequence);
        } else {
            high.merge(bucket, sequence, Math::max);
        }
    }

    long get(int bucket) {
        if (bucket < ARRAY_LIMIT) {
            return bucket < low.length ? low[bucket] : 0;
        }
        return high.getOrDefault(bucket, 0L);
    }

    /** The highest bucket index with a sequence above 0, or -1. */
    int highestBucket() {
        int highest = -1;
        for (int bucket : high.keySet()) {
            if (high.get(bucket) > 0) {
                highest = Math.max(highest, bucket);
            }
        }
        if (highest >= 0) {
            return highest;
        }
        for (int bucket = low.length - 1; bucket >= 0; bucket--) {
            if (low[bucket] > 0) {
                return bucket;
            }
        }
        return -1;
    }

    BucketSequences copy() {
        BucketSequences copy = new BucketSequences();
        copy.low = low.clone();
        copy.high.putAll(high);
        return copy;
    }
}
