package io.shoal.plugins.eviction;

import io.shoal.spi.EvictionPolicy;
import io.shoal.testing.EvictionPolicyContractTest;

class TtlPolicyContractTest extends EvictionPolicyContractTest {
    @Override
    protected EvictionPolicy policy() {
        return TtlPolicy.INSTANCE;
    }
}
