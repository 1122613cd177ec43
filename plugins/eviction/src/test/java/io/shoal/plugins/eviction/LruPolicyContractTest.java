package io.shoal.plugins.eviction;

import io.shoal.spi.EvictionPolicy;
import io.shoal.testing.EvictionPolicyContractTest;

class LruPolicyContractTest extends EvictionPolicyContractTest {
    @Override
    protected EvictionPolicy policy() {
        return LruPolicy.INSTANCE;
    }
}
