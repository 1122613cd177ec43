package io.shoal.plugins.eviction;

import io.shoal.spi.EvictionPolicy;
import io.shoal.testing.EvictionPolicyContractTest;

class RandomPolicyContractTest extends EvictionPolicyContractTest {
    @Override
    protected EvictionPolicy policy() {
        return RandomPolicy.INSTANCE;
    }

    @Override
    protected boolean deterministic() {
        return false;
    }
}
