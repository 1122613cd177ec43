package io.shoal.plugins.eviction;

import io.shoal.spi.EvictionPolicy;

/** Overflow-safe arithmetic shared by the score functions. */
final class Scores {
    /** The lowest score a policy hands out for an entry it may evict: one above {@link EvictionPolicy#NEVER}. */
    static final long LOWEST = EvictionPolicy.NEVER + 1;

    private Scores() {
    }

    /** {@code nowMs / 1000 - lastAccessSeconds}, saturated so that it never overflows nor reaches NEVER. */
    static long secondsSince(long lastAccessSeconds, long nowMs) {
        long nowSeconds = Math.floorDiv(nowMs, 1000);
        long elapsed = nowSeconds - lastAccessSeconds;
        // Overflow only when the operands have different signs and the result has the subtrahend's sign.
        if (((nowSeconds ^ lastAccessSeconds) & (nowSeconds ^ elapsed)) < 0) {
            return lastAccessSeconds > 0 ? LOWEST : Long.MAX_VALUE;
        }
        return Math.max(elapsed, LOWEST);
    }
}
