package io.shoal.core;

import io.shoal.spi.EvictionPolicy;
import io.shoal.testing.EvictionPolicyContractTest;

class NoEvictionContractTest extends EvictionPolicyContractTest {
    @Override
    protected EvictionPolicy policy() {
        return new NoEviction.Provider().create(null);
    }
}
