package io.shoal.client;

import io.shoal.KeyHash;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import io.shoal.protocol.ClusterWire;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The smart client against a real cluster of nodes in this JVM: keyed requests reach their
 * primary without a hop (counted by each node's STATS {@code requests}: a node that forwards a
 * request counts it too), the table follows joins, departures and a killed node, and no
 * acknowledged write is lost or read wrong while buckets move.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SmartClientTest {
    private static final int BUCKETS = 16;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private final List<AutoCloseable> started = new ArrayList<>();
    private final Map<String, ShoalNode> nodes = new LinkedHashMap<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T closeable) {
        started.add(closeable);
        return closeable;
    }

    private ShoalNode node(String nodeId, String... seeds) {
        ShoalConfig config = ShoalConfig.builder()
                .bucketCount(BUCKETS)
                .set("memory.maxBytes", "64m")
                .set("store.entriesPerBucket", 256)
                .set("transport", "tcp")
                .set("transport-tcp.ioThreads", 1)
                .set("server.port", 0)
                .set("node.id", nodeId)
                .set("cluster.seeds", List.of(seeds))
                .set("cluster.heartbeatIntervalMs", 100)
                .set("cluster.failureTimeoutMs", 1000)
                .set("cluster.joinTimeoutMs", 5000)
                .build();
        ShoalNode node = closeLater(Shoal.start(config));
        nodes.put(nodeId, node);
        return node;
    }

    private static String address(ShoalNode node) {
        return node.serverAddress().orElseThrow();
    }

    private ShoalClient smartClient(ShoalNode only, String clientName) {
        return closeLater(ShoalClient.connect(ClientConfig.builder().nodes(address(only)).clientName(clientName)
                .smartRouting(true).requestTimeout(Duration.ofSeconds(5))
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200)).build()));
    }

    /** A plain client of one node only: its STATS, its table. */
    private ShoalClient plainClient(ShoalNode node) {
        return closeLater(ShoalClient.connect(ClientConfig.builder().nodes(address(node)).discoverNodes(false)
                .requestTimeout(Duration.ofSeconds(5)).build()));
    }

    private static ClusterWire.Table fetchTable(ShoalClient plain) {
        return ((Reply.TableFetch) plain.send(new Request.TableFetch()).join()).table();
    }

    static int bucketOf(String key) {
        return KeyHash.bucketOf(KeyHash.hash(key.getBytes(StandardCharsets.UTF_8)), BUCKETS);
    }

    private static String primaryOf(ClusterWire.Table table, String key) {
        return table.buckets().get(bucketOf(key)).replicas().get(0).nodeId();
    }

    /**
     * Waits until {@code members} (those in this JVM) agree on one table in which every bucket has its two copies, up
     * to date, and every member is the primary of its share (5 or 6 of 16 buckets for 3 nodes):
     * the rebalance is over. Returns that table.
     */
    private ClusterWire.Table awaitBalanced(ShoalClient plain, String... members) {
        AtomicReference<ClusterWire.Table> balanced = new AtomicReference<>();
        await().atMost(WAIT).untilAsserted(() -> {
            ClusterWire.Table table = fetchTable(plain);
            for (String id : members) {
                ShoalNode node = nodes.get(id);
                if (node == null) {
                    continue; // a node process: the others' views and table speak for it
                }
                assertEquals(List.of(members).stream().sorted().toList(),
                        node.clusterView().orElseThrow().nodeIds().stream().sorted().toList(), "members seen by " + id);
                assertEquals(table.toVersion(), node.clusterView().orElseThrow().tableVersion(), "table of " + id);
            }
            Map<String, Integer> primaries = new HashMap<>();
            for (ClusterWire.BucketOwners owners : table.buckets()) {
                assertEquals(2, owners.replicas().size(), "copies of bucket " + owners.bucket());
                for (ClusterWire.Replica replica : owners.replicas()) {
                    assertEquals(ClusterWire.UP_TO_DATE, replica.state(), "bucket " + owners.bucket());
                }
                primaries.merge(owners.replicas().get(0).nodeId(), 1, Integer::sum);
            }
            for (String id : members) {
                int share = primaries.getOrDefault(id, 0);
                assertTrue(share >= BUCKETS / members.length && share <= (BUCKETS + members.length - 1) / members.length,
                        "primaries of " + id + ": " + primaries);
            }
            balanced.set(table);
        });
        return balanced.get();
    }

    /** Reads keys of every bucket until the client has a routing connection to each of {@code ids}. */
    private static void awaitRoutedToAll(ShoalClient client, String... ids) {
        ShoalMap<String, String> map = client.map("warm-up", String.class, String.class);
        List<String> expected = List.of(ids).stream().sorted().toList();
        await().atMost(WAIT).until(() -> {
            for (int bucket = 0; bucket < BUCKETS; bucket++) {
                map.get(SmartRoutingTest.keyIn(bucket));
            }
            return ((ClientImpl) client).routedNodeIds().equals(expected);
        });
    }

    private static Map<String, Long> requestCounts(Map<String, ShoalClient> statsClients) {
        Map<String, Long> counts = new HashMap<>();
        statsClients.forEach((id, plain) -> counts.put(id, plain.stats().get("requests")));
        return counts;
    }

    /**
     * Reads every key once and checks, with the nodes' request counters, that each read was
     * counted by its primary alone; a read sent elsewhere would be counted by the node that
     * forwarded it as well. Repeated if the table changed meanwhile.
     */
    private void assertEveryReadCountedByItsPrimaryAlone(ShoalClient client, List<String> keys, ShoalClient tables,
                                                         Map<String, ShoalClient> statsClients) {
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        await().atMost(WAIT).untilAsserted(() -> {
            ClusterWire.Table table = fetchTable(tables);
            assertEquals(table.toVersion(), client.tableVersion(), "the client routes by the cluster's table");
            Map<String, Long> before = requestCounts(statsClients);
            Map<String, Long> expected = new HashMap<>();
            for (String key : keys) {
                assertEquals("v-" + key, map.get(key), key);
                expected.merge(primaryOf(table, key), 1L, Long::sum);
            }
            Map<String, Long> after = requestCounts(statsClients);
            assertEquals(table.toVersion(), fetchTable(tables).toVersion(), "the table did not change meanwhile");
            Map<String, Long> counted = new HashMap<>();
            for (String id : statsClients.keySet()) {
                counted.put(id, after.get(id) - before.get(id));
                expected.putIfAbsent(id, 0L);
            }
            assertEquals(expected, counted, "requests counted by each node for " + keys.size() + " reads");
        });
    }

    private static List<String> writeKeys(ShoalClient client, int count) {
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String key = "key-" + i;
            map.put(key, "v-" + key);
            keys.add(key);
        }
        return keys;
    }

    @Test
    void aClientThatKnowsOneNodeSendsEachKeyStraightToItsPrimary() {
        ShoalNode a = node("a");
        ShoalNode b = node("b", address(a));
        ShoalNode c = node("c", address(a));
        ShoalClient tables = plainClient(a);
        ClusterWire.Table table = awaitBalanced(tables, "a", "b", "c");
        Map<String, ShoalClient> stats = Map.of("a", plainClient(a), "b", plainClient(b), "c", plainClient(c));

        ShoalClient client = smartClient(a, "smart");
        await().atMost(WAIT).until(() -> client.tableVersion() == table.toVersion());
        RoutingTable routes = ((ClientImpl) client).routes();
        for (int bucket = 0; bucket < BUCKETS; bucket++) {
            String primary = table.buckets().get(bucket).replicas().get(0).nodeId();
            assertEquals(address(nodes.get(primary)), routes.addressOf(bucket), "bucket " + bucket);
        }
        awaitRoutedToAll(client, "a", "b", "c"); // it was given a's address only
        List<String> keys = writeKeys(client, 160);
        assertEveryReadCountedByItsPrimaryAlone(client, keys, tables, stats);

        // Requests without a key go to the connected node: a counts the SIZE, no one else does.
        Map<String, Long> before = requestCounts(stats);
        client.map("m", String.class, String.class).size();
        Map<String, Long> after = requestCounts(stats);
        assertEquals(1, after.get("a") - before.get("a"));
        assertEquals(before.get("b"), after.get("b"));
        assertEquals(before.get("c"), after.get("c"));
    }

    @Test
    void aClientNamedLikeAMemberIsNeverForwardedAndStillGetsEveryAnswer() {
        // A node answers NOT_OWNER instead of forwarding a request that reaches it on a member's
        // connection: such a client is answered only where its routing sends each key.
        ShoalNode a = node("a");
        node("b", address(a));
        node("c", address(a));
        ClusterWire.Table table = awaitBalanced(plainClient(a), "a", "b", "c");
        ShoalClient client = smartClient(a, "node smart-client-test");
        await().atMost(WAIT).until(() -> client.tableVersion() == table.toVersion());
        awaitRoutedToAll(client, "a", "b", "c");
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        for (int i = 0; i < 100; i++) {
            String key = "k" + i;
            long version = map.put(key, "v1");
            assertEquals("v1", map.get(key));
            assertEquals(version, map.getEntry(key).version());
            assertTrue(map.containsKey(key));
            assertEquals("v1", map.putIfAbsent(key, "other"));
            assertTrue(map.replace(key, version, "v2"));
            assertTrue(map.remove(key));
            assertEquals(null, map.putIfAbsent(key, "v3"));
            assertEquals("v3", map.getAsync(key).join());
        }
    }

    @Test
    void aJoiningNodeRaisesTheTableVersionAndGetsItsKeysDirectly() {
        ThirdNodeJoined joined = thirdNodeJoinsASmartClientsCluster();
        ShoalClient client = joined.client();
        ClusterWire.Table three = joined.three();
        List<String> keys = joined.keys();
        assertTrue(three.toVersion() > joined.two().toVersion());
        RoutingTable routes = ((ClientImpl) client).routes();
        for (int bucket = 0; bucket < BUCKETS; bucket++) {
            String primary = three.buckets().get(bucket).replicas().get(0).nodeId();
            assertEquals(address(nodes.get(primary)), routes.addressOf(bucket), "bucket " + bucket);
        }
        awaitRoutedToAll(client, "a", "b", "c");
        Map<String, ShoalClient> stats = Map.of("a", plainClient(nodes.get("a")), "b", plainClient(nodes.get("b")),
                "c", plainClient(nodes.get("c")));
        assertEveryReadCountedByItsPrimaryAlone(client, keys, joined.tables(), stats);
    }

    /** The cluster and smart client after node c joined a and b; {@code keys} were written before it joined. */
    private record ThirdNodeJoined(ShoalClient client, ShoalClient tables, ClusterWire.Table two,
                                   ClusterWire.Table three, List<String> keys) {
    }

    private ThirdNodeJoined thirdNodeJoinsASmartClientsCluster() {
        ShoalNode a = node("a");
        ShoalNode b = node("b", address(a));
        ShoalClient tables = plainClient(a);
        ClusterWire.Table two = awaitBalanced(tables, "a", "b");
        ShoalClient client = smartClient(a, "smart");
        await().atMost(WAIT).until(() -> client.tableVersion() == two.toVersion());
        List<String> keys = writeKeys(client, 160);
        node("c", address(b));
        ClusterWire.Table three = awaitBalanced(tables, "a", "b", "c");
        await().atMost(WAIT).until(() -> client.tableVersion() == three.toVersion());
        return new ThirdNodeJoined(client, tables, two, three, keys);
    }

    @Test
    void aClientRoutingByAStaleTableGetsEveryAnswerThroughTheOldPrimariesAndCatchesUp() {
        ThirdNodeJoined joined = thirdNodeJoinsASmartClientsCluster();
        ShoalClient client = joined.client();
        ClusterWire.Table two = joined.two();
        ClusterWire.Table three = joined.three();
        List<String> keys = joined.keys();
        List<String> moved = keys.stream().filter(key -> !primaryOf(two, key).equals(primaryOf(three, key))).toList();
        assertTrue(moved.size() > 10, "keys whose primary changed: " + moved.size());

        ((ClientImpl) client).router().routeBy(two); // as if it had missed every announcement since

        assertEquals(two.toVersion(), client.tableVersion());
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        for (String key : moved) {
            // Sent to the old primary, a plain client's connection to it: it forwards to the new one.
            assertEquals("v-" + key, map.get(key), key + " (primary was " + primaryOf(two, key) + ", is "
                    + primaryOf(three, key) + ")");
        }
        // The newer table was announced: the client's keep-alive fetches it again.
        await().atMost(WAIT).until(() -> client.tableVersion() == three.toVersion());
    }

    @Test
    void aClosedNodesKeysAreStillServedWithinTheTimeout() {
        ShoalNode a = node("a");
        ShoalNode b = node("b", address(a));
        ShoalNode c = node("c", address(a));
        ShoalClient tables = plainClient(a);
        ClusterWire.Table before = awaitBalanced(tables, "a", "b", "c");
        ShoalClient client = smartClient(a, "smart");
        await().atMost(WAIT).until(() -> client.tableVersion() == before.toVersion());
        List<String> keys = writeKeys(client, 160);
        awaitRoutedToAll(client, "a", "b", "c");
        assertTrue(keys.stream().anyMatch(key -> primaryOf(before, key).equals("c")));

        c.close(); // GOODBYE to its clients, LEAVE: its buckets move to the other nodes
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        for (String key : keys) {
            assertEquals("v-" + key, map.get(key), key + " (primary was " + primaryOf(before, key) + ")");
        }
        await().atMost(WAIT).until(() -> client.tableVersion() > before.toVersion());
        ClusterWire.Table after = awaitBalanced(tables, "a", "b");
        await().atMost(WAIT).until(() -> client.tableVersion() == after.toVersion());
        for (int bucket = 0; bucket < BUCKETS; bucket++) {
            assertNotEquals(address(c), ((ClientImpl) client).routes().addressOf(bucket), "bucket " + bucket);
        }
        for (String key : keys) {
            assertEquals("v-" + key, map.get(key), key);
        }
        assertEveryReadCountedByItsPrimaryAlone(client, keys, tables, Map.of("a", plainClient(a), "b", plainClient(b)));
    }

    @Test
    void aKilledNodesKeysAreServedAgainOnceItsBucketsFailOver() throws Exception {
        ShoalNode a = node("a");
        node("b", address(a));
        Map<String, Object> settings = new HashMap<>();
        settings.put("node.id", "c");
        settings.put("cluster.seeds", List.of(address(a)));
        settings.put("cluster.heartbeatIntervalMs", 100);
        settings.put("cluster.failureTimeoutMs", 1000);
        settings.put("cluster.joinTimeoutMs", 5000);
        NodeProcess c = closeLater(NodeProcess.start(0, settings));
        ShoalClient tables = plainClient(a);
        ClusterWire.Table before = awaitBalanced(tables, "a", "b", "c");
        ShoalClient client = smartClient(a, "smart");
        await().atMost(WAIT).until(() -> client.tableVersion() == before.toVersion());
        List<String> keys = writeKeys(client, 160);
        awaitRoutedToAll(client, "a", "b", "c");
        assertEquals(c.address(), ((ClientImpl) client).routes().addressOf(bucketOf(
                keys.stream().filter(key -> primaryOf(before, key).equals("c")).findFirst().orElseThrow())));

        c.kill(); // no GOODBYE, no LEAVE: the coordinator notices after cluster.failureTimeoutMs
        // Until then c's keys go to a, which forwards them to c: a read may fail (PRIMARY_UNREACHABLE,
        // a timeout), never return a wrong value, and the other nodes' keys are served as before.
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        for (String key : keys) {
            try {
                assertEquals("v-" + key, map.get(key), key);
            } catch (io.shoal.ShoalException e) {
                assertEquals("c", primaryOf(before, key), key + " failed: " + e);
            }
        }
        await().atMost(WAIT).until(() -> client.tableVersion() > before.toVersion()
                && ((ClientImpl) client).routedNodeIds().equals(List.of("a", "b")));
        for (String key : keys) {
            assertEquals("v-" + key, map.get(key), key);
        }
    }

    @Test
    void everyAcknowledgedWriteIsReadBackWhileANodeJoins() throws Exception {
        ShoalNode a = node("a");
        ShoalNode b = node("b", address(a));
        ShoalClient tables = plainClient(a);
        ClusterWire.Table two = awaitBalanced(tables, "a", "b");
        ShoalClient client = smartClient(b, "smart");
        await().atMost(WAIT).until(() -> client.tableVersion() == two.toVersion());
        ShoalMap<String, String> map = client.map("m", String.class, String.class);

        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        List<String> wrongReads = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicInteger written = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            for (int i = 0; i < 1_000_000 && !stop.get(); i++) {
                String key = "w" + (i % 500); // keys are written again and again, in every bucket
                String value = "v" + i;
                try {
                    map.put(key, value);
                    acknowledged.put(key, value);
                    String read = map.get(key);
                    if (!value.equals(read)) {
                        wrongReads.add(key + " read " + read + " after " + value + " was acknowledged");
                    }
                    written.incrementAndGet();
                } catch (RuntimeException e) {
                    failures.add(key + ": " + e);
                    acknowledged.remove(key); // outcome unknown: not checked below
                }
            }
        }, "smart-client-test-writer");
        writer.start();
        try {
            await().atMost(WAIT).until(() -> written.get() >= 200);
            ShoalNode c = node("c", address(a));
            ClusterWire.Table three = awaitBalanced(tables, "a", "b", "c");
            await().atMost(WAIT).until(() -> client.tableVersion() == three.toVersion());
            int afterRebalance = written.get();
            await().atMost(WAIT).until(() -> written.get() >= afterRebalance + 200);
            assertTrue(((ClientImpl) client).routedNodeIds().contains("c"), "writes reached c directly");
            assertTrue(c.serverAddress().isPresent());
        } finally {
            stop.set(true);
            writer.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertTrue(!writer.isAlive(), "the writer stopped");
        assertEquals(List.of(), wrongReads);
        assertTrue(acknowledged.size() > 400, "acknowledged keys: " + acknowledged.size() + ", failures: " + failures);
        ShoalMap<String, String> plain = tables.map("m", String.class, String.class);
        for (Map.Entry<String, String> e : acknowledged.entrySet()) {
            assertEquals(e.getValue(), map.get(e.getKey()), e.getKey() + " through the smart client");
            assertEquals(e.getValue(), plain.get(e.getKey()), e.getKey() + " through a node that forwards");
        }
    }
}
