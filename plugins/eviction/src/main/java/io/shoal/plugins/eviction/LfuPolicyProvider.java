package io.shoal.plugins.eviction;

import io.shoal.spi.EvictionPolicy;
import io.shoal.spi.EvictionPolicyProvider;
import io.shoal.spi.Settings;

/**
 * Provides {@code eviction = lfu}: the least frequently used of the sampled entries goes first.
 * Reads {@value #DECAY_MINUTES_KEY} and {@value #LOG_FACTOR_KEY} (defaults in this module's
 * {@code reference.conf}).
 */
public final class LfuPolicyProvider implements EvictionPolicyProvider {
    /** Minutes of idleness that cost an entry one step of its access counter; 0 turns decay off. */
    public static final String DECAY_MINUTES_KEY = "lfu.decayMinutes";
    static final int MAX_DECAY_MINUTES = 1_000_000;
    /** How slowly the counter grows (Redis' lfu-log-factor): higher needs more reads per step. */
    public static final String LOG_FACTOR_KEY = "lfu.logFactor";
    static final int MAX_LOG_FACTOR = 1_000_000;

    @Override
    public String name() {
        return "lfu";
    }

    @Override
    public String description() {
        return "lfu: evict the least frequently used of memory.evictionSampleSize sampled entries (Redis allkeys-lfu)";
    }

    @Override
    public EvictionPolicy create(Settings settings) {
        return new LfuPolicy(settings.getInt(DECAY_MINUTES_KEY, 0, MAX_DECAY_MINUTES),
                settings.getInt(LOG_FACTOR_KEY, 0, MAX_LOG_FACTOR));
    }
}
