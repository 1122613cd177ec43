package io.shoal.plugins.eviction;

import io.shoal.spi.EvictionPolicy;
import io.shoal.spi.EvictionPolicyProvider;
import io.shoal.spi.Settings;

/** Provides {@code eviction = lru}: the least recently used of the sampled entries goes first. */
public final class LruPolicyProvider implements EvictionPolicyProvider {

    @Override
    public String name() {
        return "lru";
    }

    @Override
    public String description() {
        return "lru: evict the least recently used of memory.evictionSampleSize sampled entries (Redis allkeys-lru)";
    }

    @Override
    public EvictionPolicy create(Settings settings) {
        return LruPolicy.INSTANCE;
    }
}
