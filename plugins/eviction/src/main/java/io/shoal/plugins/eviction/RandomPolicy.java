package io.shoal.plugins.eviction;

import io.shoal.spi.EntryMetadata;
import io.shoal.spi.EvictionPolicy;

import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code eviction = random}: evicts sampled entries at random, as Redis' {@code allkeys-random}.
 *
 * <p>Design: the score is a fresh non-negative random number from the calling thread's
 * {@link ThreadLocalRandom} (no shared state, no allocation), so every sampled entry is equally
 * likely to go. Reads record nothing. Stateless: one shared instance.
 */
final class RandomPolicy implements EvictionPolicy {
    static final RandomPolicy INSTANCE = new RandomPolicy();

    private RandomPolicy() {
    }

    @Override
    public AccessTracking accessTracking() {
        return AccessTracking.NONE;
    }

    @Override
    public long score(EntryMetadata entry, long nowMs) {
        return ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE;
    }

    @Override
    public String toString() {
        return "random";
    }
}
