package io.shoal.plugins.eviction;

import io.shoal.spi.EntryMetadata;
import io.shoal.spi.EvictionPolicy;

/**
 * {@code eviction = ttl}: evicts the entries that expire soonest, as Redis' {@code volatile-ttl}.
 *
 * <p>Design: only entries with an expiry time are candidates (the engine samples only those, and
 * any other would score {@link EvictionPolicy#NEVER}). The score {@code Long.MAX_VALUE - expiresAtMs} is highest for the
 * soonest expiry (an entry already past its expiry, not reclaimed yet, ranks above all). When no
 * entry has an expiry, the engine finds nothing to evict and the write fails with
 * {@link io.shoal.MemoryLimitExceededException}. Reads record nothing. Stateless: one shared
 * instance.
 */
final class TtlPolicy implements EvictionPolicy {
    static final TtlPolicy INSTANCE = new TtlPolicy();

    private TtlPolicy() {
    }

    @Override
    public AccessTracking accessTracking() {
        return AccessTracking.NONE;
    }

    @Override
    public boolean evictsOnlyEntriesWithExpiry() {
        return true;
    }

    @Override
    public long score(EntryMetadata entry, long nowMs) {
        long expiresAtMs = entry.expiresAtMs();
        if (expiresAtMs == 0) {
            return NEVER;
        }
        // A negative expiry is not a valid time: treat it as long past, like the engine does.
        return expiresAtMs < 0 ? Long.MAX_VALUE : Long.MAX_VALUE - expiresAtMs;
    }

    @Override
    public String toString() {
        return "ttl";
    }
}
