package io.shoal.core;

import io.shoal.internal.KryoCodecs;
import io.shoal.spi.Codec;
import io.shoal.testing.CodecContractTest;

import java.util.ArrayList;
import java.util.List;

class KryoCodecContractTest extends CodecContractTest<KryoPoint> {

    private final Codec<KryoPoint> codec = KryoCodecs.forNode(List.of(KryoPoint.class.getName(), ArrayList.class.getName()),
            getClass().getClassLoader()).codecFor(KryoPoint.class);

    @Override
    protected Codec<KryoPoint> codec() {
        return codec;
    }

    @Override
    protected List<KryoPoint> samples() {
        return List.of(new KryoPoint("", 0, List.of()), new KryoPoint("origin", -1, List.of("a", "b")),
                new KryoPoint("ünïcødé ✓", Integer.MAX_VALUE, List.of("x".repeat(10_000))));
    }
}
