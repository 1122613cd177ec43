package io.shoal.plugins.eviction;

import io.shoal.spi.EvictionPolicy;
import io.shoal.spi.EvictionPolicyProvider;
import io.shoal.spi.Settings;

/** Provides {@code eviction = random}: a random one of the sampled entries goes first. */
public final class RandomPolicyProvider implements EvictionPolicyProvider {

    @Override
    public String name() {
        return "random";
    }

    @Override
    public String description() {
        return "random: evict sampled entries at random (Redis allkeys-random)";
    }

    @Override
    public EvictionPolicy create(Settings settings) {
        return RandomPolicy.INSTANCE;
    }
}
