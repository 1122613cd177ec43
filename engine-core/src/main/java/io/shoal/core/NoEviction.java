package io.shoal.core;

import io.shoal.spi.EntryMetadata;
import io.shoal.spi.EvictionPolicy;
import io.shoal.spi.EvictionPolicyProvider;
import io.shoal.spi.Settings;

/** {@code eviction = none}: writes over {@code memory.maxBytes} fail; nothing is ever evicted. */
final class NoEviction implements EvictionPolicy {
    static final NoEviction INSTANCE = new NoEviction();

    @Override
    public boolean evicts() {
        return false;
    }

    @Override
    public AccessTracking accessTracking() {
        return AccessTracking.NONE;
    }

    @Override
    public long score(EntryMetadata entry, long nowMs) {
        return NEVER;
    }

    /** Registered for {@link java.util.ServiceLoader}. */
    public static final class Provider implements EvictionPolicyProvider {
        @Override
        public String name() {
            return "none";
        }

        @Override
        public String description() {
            return "never evict; writes over memory.maxBytes fail with MemoryLimitExceededException";
        }

        @Override
        public EvictionPolicy create(Settings settings) {
            return INSTANCE;
        }
    }
}
