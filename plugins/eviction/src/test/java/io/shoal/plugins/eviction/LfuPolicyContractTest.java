package io.shoal.plugins.eviction;

import io.shoal.spi.EvictionPolicy;
import io.shoal.testing.EvictionPolicyContractTest;

import org.junit.jupiter.api.Nested;

class LfuPolicyContractTest extends EvictionPolicyContractTest {
    @Override
    protected EvictionPolicy policy() {
        return new LfuPolicy(1, 10);
    }

    /** Decay off ({@code lfu.decayMinutes = 0}). */
    @Nested
    class WithoutDecay extends EvictionPolicyContractTest {
        @Override
        protected EvictionPolicy policy() {
            return new LfuPolicy(0, 10);
        }
    }

    /** The largest decay period allowed. */
    @Nested
    class WithLongestDecay extends EvictionPolicyContractTest {
        @Override
        protected EvictionPolicy policy() {
            return new LfuPolicy(LfuPolicyProvider.MAX_DECAY_MINUTES, 10);
        }
    }
}
