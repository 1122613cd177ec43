package io.shoal.core;

import io.shoal.MemoryLimitExceededException;
import io.shoal.spi.EvictionPolicy;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the bytes held against {@code memory.maxBytes} and makes room before a write.
 *
 * <p>The check runs before the bucket lock is taken (eviction locks other buckets, so doing it
 * under one would risk deadlock) and reads a {@link LongAdder}, which keeps the common path free
 * of a contended counter. The price: writers racing past the check together can take the total
 * over the limit by at most one entry each; the next write then evicts (or fails) first.
 */
final class MemoryGovernor {
    private static final int MAX_FRUITLESS_ROUNDS = 64;

    private final LongAdder used = new LongAdder();
    private final long maxBytes;
    private final EvictionPolicy policy;
    private final Object evictionLock = new Object();
    private Evictor evictor;

    MemoryGovernor(long maxBytes, EvictionPolicy policy) {
        this.maxBytes = maxBytes;
        this.policy = policy;
    }

    void evictor(Evictor evictor) {
        this.evictor = evictor;
    }

    long usedBytes() {
        return used.sum();
    }

    long maxBytes() {
        return maxBytes;
    }

    void add(long bytes) {
        used.add(bytes);
    }

    /** Whether {@code bytes} more fit under the limit right now. */
    boolean fits(long bytes) {
        return used.sum() + bytes <= maxBytes;
    }

    /**
     * Makes room for {@code bytes} more, evicting if the policy allows.
     *
     * @throws MemoryLimitExceededException if no room can be made
     */
    void ensureRoom(long bytes) {
        if (used.sum() + bytes <= maxBytes) {
            return;
        }
        if (bytes > maxBytes) {
            throw refuse(bytes, "is larger than memory.maxBytes by itself");
        }
        if (!policy.evicts()) {
            throw refuse(bytes, "would exceed memory.maxBytes and eviction = none");
        }
        synchronized (evictionLock) {
            int fruitless = 0;
            while (used.sum() + bytes > maxBytes) {
                if (evictor.evictOne()) {
                    fruitless = 0;
                } else if (++fruitless >= MAX_FRUITLESS_ROUNDS) {
                    throw refuse(bytes, "would exceed memory.maxBytes and the eviction policy found nothing it may evict");
                }
            }
        }
    }

    private MemoryLimitExceededException refuse(long bytes, String why) {
        long now = used.sum();
        return new MemoryLimitExceededException("a write of " + bytes + " bytes " + why + " (used " + now + " of "
                + maxBytes + " bytes)", bytes, now, maxBytes);
    }
}
