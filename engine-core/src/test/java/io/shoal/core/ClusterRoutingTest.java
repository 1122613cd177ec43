package io.shoal.core;

import io.shoal.Codecs;
import io.shoal.ShoalConfig;
import io.shoal.Shoal;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import io.shoal.client.ClientConfig;
import io.shoal.client.ShoalClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every node answers for every key: a request for a bucket another node serves goes there. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterRoutingTest {
    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    private ShoalNode node(String nodeId, String... seeds) {
        ShoalConfig.Builder config = ServerNodes.config(java.util.Map.of())
                .set("node.id", nodeId)
                .set("cluster.seeds", List.of(seeds))
                .set("cluster.heartbeatIntervalMs", 100)
                .set("cluster.failureTimeoutMs", 1000);
        ShoalNode node = Shoal.start(config.build());
        started.add(node);
        return node;
    }

    private static void awaitMembers(int count, ShoalNode... nodes) {
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            for (ShoalNode node : nodes) {
                if (node.clusterView().orElseThrow().members().size() != count) {
                    return false;
                }
            }
            return true;
        });
    }

    @Test
    void everyOperationOnAnyNodeReachesTheKeysPrimary() {
        ShoalNode a = node("a");
        ShoalNode b = node("b", ServerNodes.address(a));
        awaitMembers(2, a, b);
        ShoalMap<String, String> viaA = a.map("m", Codecs.string(), Codecs.string());
        ShoalMap<String, String> viaB = b.map("m", Codecs.string(), Codecs.string());
        for (int i = 0; i < 200; i++) {
            ShoalMap<String, String> writer = i % 2 == 0 ? viaA : viaB;
            long version = writer.put("k" + i, "v" + i);
            assertTrue(version > 0);
        }
        for (int i = 0; i < 200; i++) {
            ShoalMap<String, String> reader = i % 2 == 0 ? viaB : viaA;
            assertEquals("v" + i, reader.get("k" + i), "k" + i + " read through the other node");
            assertEquals("v" + i, reader.getEntry("k" + i).value());
            assertTrue(reader.containsKey("k" + i));
        }
        long version = viaB.getEntry("k7").version();
        assertFalse(viaB.replace("k7", version + 100, "no"), "check-and-set with a wrong version");
        assertTrue(viaB.replace("k7", version, "yes"));
        assertEquals("yes", viaA.get("k7"));
        assertEquals("v8", viaB.putIfAbsent("k8", "other"));
        assertEquals("fresh", viaB.putAsync("k-async", "fresh").thenApply(v -> viaA.get("k-async")).join());
        assertTrue(viaB.remove("k9"));
        assertNull(viaA.get("k9"));
        assertNull(viaB.getAsync("k9").join());
    }

    @Test
    void aClientOfAnyNodeReachesEveryKey() {
        ShoalNode a = node("a");
        ShoalNode b = node("b", ServerNodes.address(a));
        awaitMembers(2, a, b);
        ShoalMap<String, String> local = a.map("m", Codecs.string(), Codecs.string());
        try (ShoalClient client = ShoalClient.connect(ClientConfig.builder().nodes(ServerNodes.address(b))
                .discoverNodes(false).build())) {
            ShoalMap<String, String> remote = client.map("m", String.class, String.class);
            for (int i = 0; i < 200; i++) {
                remote.put("c" + i, "v" + i);
            }
            for (int i = 0; i < 200; i++) {
                assertEquals("v" + i, local.get("c" + i));
                assertEquals("v" + i, remote.get("c" + i));
            }
        }
    }
}
