package io.shoal.core;

import io.shoal.spi.EvictionPolicy;
import net.openhft.chronicle.bytes.RandomDataInput;
import net.openhft.chronicle.hash.Data;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Redis-style approximated eviction: each round samples a few entries (from a random position) of a
 * random segment of a random bucket, scores them with the {@link EvictionPolicy}, and merges them into a small pool of
 * the best candidates kept across rounds; the best candidate still unchanged in its store is
 * evicted. Called under the governor's eviction lock, so one thread at a time.
 */
final class Evictor {
    private static final int POOL_SIZE = 16;
    private static final int BUCKET_TRIES = 8;

    interface Remover {
        /** Evicts the entry if it still has {@code version}; true if it did. */
        boolean evict(BucketStore bucket, long mapId, byte[] key, long version);
    }

    private static final class Candidate {
        long score;
        int bucket;
        long mapId;
        byte[] key;
        long version;
    }

    private final BucketStore[] buckets;
    private final java.util.function.IntPredicate serves;
    private final EvictionPolicy policy;
    private final int sampleSize;
    private final Remover remover;
    private final Candidate[] pool = new Candidate[POOL_SIZE];
    private int poolSize;
    private final StoredValue flyweight = new StoredValue();

    /**
     * @param serves which buckets this node may evict from: those it serves (a copy of another
     *     node's bucket changes only as that node says)
     */
    Evictor(BucketStore[] buckets, EvictionPolicy policy, int sampleSize, java.util.function.IntPredicate serves,
            Remover remover) {
        this.buckets = buckets;
        this.serves = serves;
        this.policy = policy;
        this.sampleSize = sampleSize;
        this.remover = remover;
    }

    /** One eviction; false if nothing could be evicted this round. */
    boolean evictOne() {
        sample();
        while (poolSize > 0) {
            Candidate best = pool[--poolSize];
            pool[poolSize] = null;
            if (remover.evict(buckets[best.bucket], best.mapId, best.key, best.version)) {
                return true;
            }
        }
        return false;
    }

    private void sample() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long nowMs = System.currentTimeMillis();
        boolean onlyWithExpiry = policy.evictsOnlyEntriesWithExpiry();
        for (int tries = 0; tries < BUCKET_TRIES; tries++) {
            BucketStore bucket = buckets[random.nextInt(buckets.length)];
            if (bucket.entriesApprox() == 0 || (onlyWithExpiry && !bucket.hasEntriesWithExpiry())
                    || !serves.test(bucket.index)) {
                continue;
            }
            int taken = bucket.sampleSegment(random.nextInt(Math.max(1, bucket.segments())), sampleSize, random, entry -> {
                readHeader(entry.value(), flyweight);
                if (onlyWithExpiry && flyweight.expiresAtMs == 0) {
                    return false;
                }
                long score = policy.score(flyweight, nowMs);
                if (score != EvictionPolicy.NEVER) {
                    offer(score, bucket.index, entry.key(), flyweight.version);
                }
                return true;
            });
            if (taken > 0) {
                return;
            }
        }
    }

    private static void readHeader(Data<StoredValue> value, StoredValue out) {
        RandomDataInput in = value.bytes();
        long off = value.offset();
        out.version = in.readLong(off + ValueLayout.VERSION);
        out.timestampMs = in.readLong(off + ValueLayout.TIMESTAMP);
        out.expiresAtMs = in.readLong(off + ValueLayout.EXPIRES_AT);
        out.lastAccessSeconds = in.readInt(off + ValueLayout.LAST_ACCESS);
        out.frequency = in.readInt(off + ValueLayout.FREQUENCY);
        out.length = (int) (value.size() - ValueLayout.HEADER_BYTES);
    }

    /** Keeps the pool sorted by ascending score; the best is last. */
    private void offer(long score, int bucket, Data<StoredKey> key, long version) {
        if (poolSize == POOL_SIZE && score <= pool[0].score) {
            return;
        }
        RandomDataInput in = key.bytes();
        long off = key.offset();
        long mapId = in.readLong(off);
        int length = (int) (key.size() - ValueLayout.KEY_PREFIX_BYTES);
        for (int i = 0; i < poolSize; i++) {
            Candidate c = pool[i];
            if (c.bucket == bucket && c.mapId == mapId && c.key.length == length && c.version == version) {
                return; // already pooled (same entry sampled again)
            }
        }
        Candidate candidate;
        if (poolSize == POOL_SIZE) {
            candidate = pool[0];
            System.arraycopy(pool, 1, pool, 0, POOL_SIZE - 1);
            poolSize--;
        } else {
            candidate = new Candidate();
        }
        candidate.score = score;
        candidate.bucket = bucket;
        candidate.mapId = mapId;
        candidate.version = version;
        candidate.key = new byte[length];
        in.read(off + ValueLayout.KEY_PREFIX_BYTES, candidate.key, 0, length);
        int at = poolSize;
        while (at > 0 && pool[at - 1].score > score) {
            pool[at] = pool[at - 1];
            at--;
        }
        pool[at] = candidate;
        poolSize++;
    }
}
