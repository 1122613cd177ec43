package io.shoal.client;

import io.shoal.KeyHash;
import io.shoal.ShoalMap;
import io.shoal.protocol.ClusterWire;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.Frame;
import io.shoal.protocol.Push;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Smart routing against fake nodes, which never forward: a request lands exactly where the client
 * sent it, so the routing snapshot (bucket to primary address) and the choice of connection can
 * be checked request by request. {@link SmartClientTest} runs it against a real cluster.
 */
@Timeout(120)
class SmartRoutingTest {
    private static final int BUCKETS = 16;
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final List<AutoCloseable> closeAfter = new ArrayList<>();
    /** The table every fake node answers TABLE_FETCH with. */
    private final AtomicReference<ClusterWire.Table> table = new AtomicReference<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeAfter.size() - 1; i >= 0; i--) {
            closeAfter.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T closeable) {
        closeAfter.add(closeable);
        return closeable;
    }

    /** A fake node that answers TABLE_FETCH with {@link #table} (NOT_CLUSTERED while it is null). */
    private FakeNode node(String id) {
        FakeNode node = closeLater(FakeNode.start(id, BUCKETS));
        node.script = this::serveTable;
        return node;
    }

    private boolean serveTable(FakeNode.FakeConnection c, Frame frame) {
        if (!(frame.body() instanceof Request.TableFetch)) {
            return false;
        }
        ClusterWire.Table current = table.get();
        if (current == null) {
            c.replyError(frame, ErrorCode.NOT_CLUSTERED, "not in a cluster");
        } else {
            c.reply(frame, new Reply.TableFetch(current));
        }
        return true;
    }

    /** Tells every node of the others' addresses, as SERVER_INFO does. */
    private static List<Push.NodeAddress> introduce(FakeNode... nodes) {
        List<Push.NodeAddress> all = new ArrayList<>();
        for (FakeNode node : nodes) {
            all.add(new Push.NodeAddress(node.nodeId, node.address()));
        }
        for (FakeNode node : nodes) {
            node.serverInfo = all;
        }
        return all;
    }

    private ShoalClient smartClient(FakeNode... nodes) {
        return closeLater(ShoalClient.connect(Clients.config(nodes).smartRouting(true).build()));
    }

    /** A full table of {@code version}: bucket b's copies are {@code owners.apply(b)}, primary first. */
    static ClusterWire.Table table(long version, IntFunction<List<String>> owners) {
        List<ClusterWire.BucketOwners> buckets = new ArrayList<>();
        for (int b = 0; b < BUCKETS; b++) {
            buckets.add(new ClusterWire.BucketOwners(b, owners.apply(b).stream()
                    .map(id -> new ClusterWire.Replica(id, ClusterWire.UP_TO_DATE)).toList()));
        }
        return new ClusterWire.Table(0, version, BUCKETS, 1, buckets);
    }

    static int bucketOf(String key) {
        return KeyHash.bucketOf(KeyHash.hash(key.getBytes(StandardCharsets.UTF_8)), BUCKETS);
    }

    /** A key of {@code bucket}. */
    static String keyIn(int bucket) {
        for (int i = 0; i < 100_000; i++) {
            if (bucketOf("key-" + i) == bucket) {
                return "key-" + i;
            }
        }
        throw new AssertionError("no key for bucket " + bucket);
    }

    private static ClientImpl impl(ShoalClient client) {
        return (ClientImpl) client;
    }

    /** Sends requests for keys of {@code buckets} (the lazy connections open on demand) until {@code ids} are connected. */
    private static void awaitRouted(ShoalClient client, List<String> ids, int... buckets) {
        ShoalMap<String, String> map = client.map("warm-up", String.class, String.class);
        await().atMost(WAIT).until(() -> {
            for (int bucket : buckets) {
                map.get(keyIn(bucket));
            }
            return impl(client).routedNodeIds().equals(ids);
        });
    }

    /** The keys of the PUTs {@code node} received on map {@code mapName}. */
    private static List<String> putKeys(FakeNode node, String mapName) {
        List<String> keys = new ArrayList<>();
        for (Frame frame : node.received) {
            if (frame.body() instanceof Request.Put put && put.map().equals(mapName)) {
                keys.add(new String(put.key(), StandardCharsets.UTF_8));
            }
        }
        return keys;
    }

    @Test
    void eachKeyedRequestGoesToItsBucketsPrimaryAndTheRestToTheConnectedNode() {
        FakeNode a = node("a");
        FakeNode b = node("b");
        introduce(a, b);
        // Even buckets on a, odd ones on b; bucket 5 lost, bucket 7 on a node nobody knows the address of.
        table.set(table(3, bucket -> bucket == 5 ? List.of() : bucket == 7 ? List.of("ghost")
                : bucket % 2 == 0 ? List.of("a", "b") : List.of("b", "a")));
        ShoalClient client = smartClient(a); // knows a only
        await().atMost(WAIT).until(() -> client.tableVersion() == 3);

        RoutingTable routes = impl(client).routes();
        assertEquals(BUCKETS, routes.bucketCount());
        for (int bucket = 0; bucket < BUCKETS; bucket++) {
            String expected = bucket == 5 || bucket == 7 ? null : bucket % 2 == 0 ? a.address() : b.address();
            assertEquals(expected, routes.addressOf(bucket), "primary address of bucket " + bucket);
        }
        assertEquals("ghost", routes.nodeIdOf(7));
        assertNull(routes.nodeIdOf(5), "a lost bucket has no primary");
        assertNull(routes.addressOf(BUCKETS));

        awaitRouted(client, List.of("a", "b"), 0, 1);
        a.received.clear();
        b.received.clear();
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            keys.add("k" + i);
            map.put("k" + i, "v" + i);
        }
        for (String key : keys) {
            assertEquals("v" + key.substring(1), map.get(key), key + " is read where it was written");
        }
        List<String> onA = putKeys(a, "m");
        List<String> onB = putKeys(b, "m");
        assertEquals(keys.size(), onA.size() + onB.size());
        for (String key : onA) {
            int bucket = bucketOf(key);
            assertTrue(bucket % 2 == 0 || bucket == 5 || bucket == 7, key + " of bucket " + bucket + " went to a");
        }
        for (String key : onB) {
            int bucket = bucketOf(key);
            assertTrue(bucket % 2 == 1 && bucket != 5 && bucket != 7, key + " of bucket " + bucket + " went to b");
        }
        assertTrue(onB.size() > 50, "b got its share: " + onB.size());

        // Requests without a key stay on the connected node.
        map.size();
        map.clear();
        client.stats();
        client.ping();
        client.hashCheck(new byte[] {1, 2});
        for (Class<? extends Request> type : List.of(Request.Size.class, Request.Clear.class, Request.Stats.class,
                Request.HashCheck.class)) {
            assertEquals(1, a.requestsOf(type), type.getSimpleName() + " on a");
            assertEquals(0, b.requestsOf(type), type.getSimpleName() + " on b");
        }
        assertEquals(1, a.accepted.get(), "one connection to a: the connected node's is also its routing connection");
        assertEquals(1, b.accepted.get(), "one connection to b");

        client.close();
        assertEquals(1, a.goodbyesReceived.get(), "GOODBYE on the connected node's connection");
        assertEquals(1, b.goodbyesReceived.get(), "GOODBYE on the routing connection too");
    }

    @Test
    void aNewerTableAnnouncedBySERVER_INFOIsFetchedAndAnOlderOneIgnored() {
        FakeNode a = node("a");
        FakeNode b = node("b");
        List<Push.NodeAddress> nodes = introduce(a, b);
        table.set(table(1, bucket -> List.of("a")));
        ShoalClient client = smartClient(a);
        await().atMost(WAIT).until(() -> client.tableVersion() == 1);
        assertEquals(a.address(), impl(client).routes().addressOf(3));

        table.set(table(2, bucket -> List.of("b", "a")));
        for (FakeNode.FakeConnection c : a.connections) {
            c.send(new Frame(0, new Push.ServerInfo(2, nodes)));
        }
        await().atMost(WAIT).until(() -> client.tableVersion() == 2);
        for (int bucket = 0; bucket < BUCKETS; bucket++) {
            assertEquals(b.address(), impl(client).routes().addressOf(bucket));
        }
        awaitRouted(client, List.of("a", "b"), 3);
        b.received.clear();
        a.received.clear();
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        for (int i = 0; i < 50; i++) {
            map.put("k" + i, "v");
        }
        assertEquals(50, putKeys(b, "m").size(), "every key now goes to b");
        assertEquals(0, putKeys(a, "m").size());

        // A node that announces a newer version but answers an older table (it cannot happen, but a
        // fetch may cross a newer one): the client keeps the newer table.
        table.set(table(1, bucket -> List.of("a")));
        long fetches = a.requestsOf(Request.TableFetch.class) + b.requestsOf(Request.TableFetch.class);
        for (FakeNode.FakeConnection c : b.connections) {
            c.send(new Frame(0, new Push.ServerInfo(3, nodes)));
        }
        await().atMost(WAIT).until(() -> a.requestsOf(Request.TableFetch.class)
                + b.requestsOf(Request.TableFetch.class) > fetches);
        assertEquals(2, client.tableVersion());
        assertEquals(b.address(), impl(client).routes().addressOf(0));
    }

    @Test
    void aLostRoutingConnectionSendsItsKeysToTheConnectedNodeUntilItIsBack() {
        FakeNode a = node("a");
        FakeNode b = node("b");
        introduce(a, b);
        table.set(table(1, bucket -> bucket % 2 == 0 ? List.of("a") : List.of("b")));
        ShoalClient client = smartClient(a);
        await().atMost(WAIT).until(() -> client.tableVersion() == 1);
        awaitRouted(client, List.of("a", "b"), 0, 1);
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        String odd = keyIn(1);

        b.kill();
        await().atMost(WAIT).until(() -> impl(client).routedNodeIds().equals(List.of("a")));
        assertEquals(Optional.of(a.address()), client.connectedNode());
        map.put(odd, "via a");
        assertEquals("via a", map.get(odd), "b's key went to the connected node");
        assertEquals(List.of(odd), putKeys(a, "m"));

        b.restart();
        awaitRouted(client, List.of("a", "b"), 1); // opened again, after its backoff
        map.put(odd, "on b");
        assertEquals(List.of(odd), putKeys(b, "m"));
        assertEquals("on b", map.get(odd));
    }

    @Test
    void theConnectedNodesFailoverReusesARoutingConnection() {
        FakeNode a = node("a");
        FakeNode b = node("b");
        introduce(a, b);
        table.set(table(1, bucket -> bucket % 2 == 0 ? List.of("a") : List.of("b")));
        ShoalClient client = smartClient(a, b);
        await().atMost(WAIT).until(() -> client.tableVersion() == 1);
        awaitRouted(client, List.of("a", "b"), 0, 1);
        assertEquals(Optional.of(a.address()), client.connectedNode());

        a.goodbyeAll("stopping");
        await().atMost(WAIT).until(() -> client.connectedNode().equals(Optional.of(b.address())));
        assertEquals(1, b.accepted.get(), "the routing connection to b became the connected node's");
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        map.put(keyIn(0), "a's key, on b");
        assertEquals(1, putKeys(b, "m").size());
        assertEquals(0, a.requestsOf(Request.Put.class));
    }

    @Test
    void aRoutedCallToASilentPrimaryEndsAtItsTimeout() {
        FakeNode a = node("a");
        FakeNode b = node("b");
        introduce(a, b);
        b.script = (c, frame) -> frame.body() instanceof Request.Get || serveTable(c, frame); // b swallows GETs
        table.set(table(1, bucket -> bucket % 2 == 0 ? List.of("a") : List.of("b")));
        long timeoutMs = TimeoutTest.TIMEOUT_MS;
        ShoalClient client = closeLater(ShoalClient.connect(Clients.config(a).smartRouting(true)
                .requestTimeout(Duration.ofMillis(timeoutMs)).keepAlive(Duration.ofMinutes(1), Duration.ofMinutes(2))
                .build()));
        await().atMost(WAIT).until(() -> client.tableVersion() == 1);
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        String odd = keyIn(1);
        await().atMost(WAIT).until(() -> {
            map.put(odd, "v"); // b answers PUT: a routed one opens the connection
            return impl(client).routedNodeIds().equals(List.of("a", "b"));
        });
        assertThrows(RequestTimeoutException.class, () -> map.get(odd)); // warm-up
        TimeoutTest.assertOnTime("a GET routed to a silent primary", timeoutMs + TimeoutTest.SLACK_MS, () -> {
            long start = System.nanoTime();
            RequestTimeoutException e = assertThrows(RequestTimeoutException.class, () -> map.get(odd));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(tookMs >= timeoutMs - 1, "gave up early, after " + tookMs + " ms");
            assertTrue(e.getMessage().contains(b.address()), "names the node it waited for: " + e.getMessage());
            return tookMs;
        });
    }

    @Test
    void aNodeWithoutATableLeavesEveryRequestOnTheConnectedNode() {
        FakeNode a = node("a");
        FakeNode b = node("b");
        introduce(a, b); // table stays null: TABLE_FETCH gets NOT_CLUSTERED
        ShoalClient client = smartClient(a);
        await().atMost(WAIT).until(() -> a.requestsOf(Request.TableFetch.class) >= 1);
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        for (int i = 0; i < 20; i++) {
            map.put("k" + i, "v" + i);
            assertEquals("v" + i, map.get("k" + i));
        }
        assertEquals(0, client.tableVersion());
        assertEquals(20, putKeys(a, "m").size());
        assertEquals(0, b.accepted.get());
    }

    @Test
    void withoutSmartRoutingTheTableIsNeverFetched() {
        FakeNode a = node("a");
        FakeNode b = node("b");
        introduce(a, b);
        table.set(table(1, bucket -> List.of("b")));
        ShoalClient client = closeLater(Clients.connect(a));
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        for (int i = 0; i < 20; i++) {
            map.put("k" + i, "v" + i);
        }
        assertEquals(0, client.tableVersion());
        assertEquals(0, a.requestsOf(Request.TableFetch.class));
        assertEquals(20, putKeys(a, "m").size());
        assertEquals(0, b.accepted.get());
    }
}
