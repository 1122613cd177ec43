package io.shoal.plugins.eviction;

import io.shoal.spi.EvictionPolicy;
import io.shoal.spi.EvictionPolicyProvider;
import io.shoal.spi.Settings;

/**
 * Provides {@code eviction = ttl}: of the sampled entries that have a time to live, the one that
 * expires soonest goes first; entries without one are never evicted.
 */
public final class TtlPolicyProvider implements EvictionPolicyProvider {

    @Override
    public String name() {
        return "ttl";
    }

    @Override
    public String description() {
        return "ttl: evict the sampled entry with the soonest expiry; entries without a TTL are never evicted"
                + " (Redis volatile-ttl)";
    }

    @Override
    public EvictionPolicy create(Settings settings) {
        return TtlPolicy.INSTANCE;
    }
}
