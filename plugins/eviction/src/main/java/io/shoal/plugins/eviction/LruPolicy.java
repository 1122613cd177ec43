package io.shoal.plugins.eviction;

import io.shoal.spi.EntryMetadata;
import io.shoal.spi.EvictionPolicy;

/**
 * {@code eviction = lru}: approximated least-recently-used, as Redis' {@code allkeys-lru}.
 *
 * <p>Design: the engine records each entry's last access in whole seconds (at most one write per
 * key and second, {@link AccessTracking#RECENCY}); the score is the idle time in seconds, so of the
 * sampled entries the one idle longest goes first. Entries touched within the same second tie.
 * Stateless: one shared instance.
 */
final class LruPolicy implements EvictionPolicy {
    static final LruPolicy INSTANCE = new LruPolicy();

    private LruPolicy() {
    }

    @Override
    public AccessTracking accessTracking() {
        return AccessTracking.RECENCY;
    }

    @Override
    public long score(EntryMetadata entry, long nowMs) {
        return Scores.secondsSince(entry.lastAccessSeconds(), nowMs);
    }

    @Override
    public String toString() {
        return "lru";
    }
}
