package io.shoal.client;

import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import io.shoal.internal.KryoCodecs;
import io.shoal.spi.ByteSink;
import io.shoal.spi.Codec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The client's Kryo codec writes and reads exactly the bytes a node's does, given the same class list. */
class ClientKryoTest {

    @Test
    void sameBytesAsTheNode() {
        List<String> classes = List.of(ClientPoint.class.getName(), ArrayList.class.getName());
        try (ShoalNode node = Shoal.start(ShoalConfig.builder().bucketCount(4).set("memory.maxBytes", "64m")
                .set("codec.kryo.classes", classes).build())) {
            ShoalMap<String, ClientPoint> typed = node.map("points", String.class, ClientPoint.class);
            ShoalMap<String, byte[]> raw = node.map("points", String.class, byte[].class);
            Codec<ClientPoint> codec = KryoCodecs.forClient(List.of(ClientPoint.class, ArrayList.class)).codecFor(ClientPoint.class);
            for (ClientPoint point : List.of(new ClientPoint("a", 1, List.of()), new ClientPoint("b é", -5, List.of("x", "y")),
                    new ClientPoint(null, 0, List.of("z")))) {
                typed.put("p", point);
                ByteSink sink = new ByteSink();
                codec.encode(point, sink);
                byte[] nodeBytes = raw.get("p");
                assertArrayEquals(nodeBytes, sink.toByteArray(), "bytes of " + point);
                assertEquals(point, codec.decode(nodeBytes, 0, nodeBytes.length));
                raw.put("q", sink.toByteArray());
                assertEquals(point, typed.get("q"));
            }
        }
    }
}
