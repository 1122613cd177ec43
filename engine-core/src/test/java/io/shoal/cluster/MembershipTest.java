package io.shoal.cluster;

import io.shoal.ClusterJoinException;
import io.shoal.ClusterView;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalNode;
import io.shoal.client.ClientConfig;
import io.shoal.client.NodeProcess;
import io.shoal.client.ShoalClient;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.Message;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Membership with real nodes on loopback TCP: in this JVM, and in child JVMs for kills. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MembershipTest {
    private static final int HEARTBEAT_MS = 100;
    private static final int FAILURE_MS = 1_000;
    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    static Map<String, Object> clusterSettings(String nodeId, String... seeds) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("node.id", nodeId);
        settings.put("cluster.seeds", List.of(seeds));
        settings.put("cluster.heartbeatIntervalMs", HEARTBEAT_MS);
        settings.put("cluster.failureTimeoutMs", FAILURE_MS);
        settings.put("cluster.leaveTimeoutMs", 15_000); // bounds a close whose hand-over stalls
        settings.put("cluster.joinTimeoutMs", 5_000);
        return settings;
    }

    private ShoalNode node(String nodeId, String... seeds) {
        return node(nodeId, Map.of(), seeds);
    }

    private ShoalNode node(String nodeId, Map<String, Object> overrides, String... seeds) {
        ShoalConfig.Builder config = ShoalConfig.builder()
                .bucketCount(16)
                .set("memory.maxBytes", "64m")
                .set("store.entriesPerBucket", 256)
                .set("transport", "tcp")
                .set("transport-tcp.ioThreads", 1)
                .set("server.port", 0);
        clusterSettings(nodeId, seeds).forEach(config::set);
        overrides.forEach(config::set);
        ShoalNode node = Shoal.start(config.build());
        started.add(node);
        return node;
    }

    private NodeProcess process(String nodeId, String... seeds) throws Exception {
        NodeProcess process = NodeProcess.start(0, clusterSettings(nodeId, seeds));
        started.add(process);
        return process;
    }

    private static String address(ShoalNode node) {
        return node.serverAddress().orElseThrow();
    }

    private static ClusterView view(ShoalNode node) {
        return node.clusterView().orElseThrow();
    }

    /** Waits until every node holds the same view with exactly {@code ids}, and the same table version. */
    private static void awaitAgreement(List<String> ids, ShoalNode... nodes) {
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            ClusterView first = view(nodes[0]);
            assertEquals(ids, first.nodeIds(), "members seen by " + nodes[0].nodeId());
            for (ShoalNode node : nodes) {
                ClusterView v = view(node);
                assertEquals(first.version(), v.version(), "view version of " + node.nodeId());
                assertEquals(first.nodeIds(), v.nodeIds(), "members seen by " + node.nodeId());
                assertEquals(first.tableVersion(), v.tableVersion(), "table version of " + node.nodeId());
            }
        });
    }

    @Test
    void aNodeWithoutSeedsFoundsAClusterOfItsOwn() {
        ShoalNode a = node("a");
        ClusterView v = view(a);
        assertEquals(List.of("a"), v.nodeIds());
        assertEquals("a", v.coordinatorId());
        assertEquals(1, v.version());
        assertTrue(v.tableVersion() >= 1, "a table was made: " + v);
        assertEquals(List.of(new ClusterView.Member("a", address(a), "")), v.members());
    }

    @Test
    void nodesJoinThroughAnyMemberAndAgreeOnViewAndTable() {
        ShoalNode a = node("a");
        ShoalNode b = node("b", address(a));
        ShoalNode c = node("c", address(b)); // b is not the coordinator: it points c to a
        awaitAgreement(List.of("a", "b", "c"), a, b, c);
        assertEquals("a", view(c).coordinatorId());
    }

    @Test
    void seedsAreTriedInOrder() throws IOException {
        ShoalNode a = node("a");
        try (ServerSocket silent = new ServerSocket(0)) { // accepts connections, never answers
            String refusing = "127.0.0.1:" + freePort();
            ShoalNode b = node("b", refusing, "127.0.0.1:" + silent.getLocalPort(), address(a));
            awaitAgreement(List.of("a", "b"), a, b);
        }
    }

    @Test
    void requireSeedFailsAtOnceNamingEverySeed() {
        String first = "127.0.0.1:" + freePort();
        String second = "127.0.0.1:" + freePort();
        Map<String, Object> settings = clusterSettings("lonely", first, second);
        settings.put("cluster.requireSeed", true);
        ShoalConfig.Builder config = ShoalConfig.builder().bucketCount(16).set("transport", "tcp").set("server.port", 0);
        settings.forEach(config::set);
        long start = System.nanoTime();
        ClusterJoinException e = assertThrows(ClusterJoinException.class, () -> started.add(Shoal.start(config.build())));
        assertTrue(e.getMessage().contains(first) && e.getMessage().contains(second), e.getMessage());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 5_000, "failed at once, not after joinTimeoutMs");
    }

    @Test
    void aNodeThatLeavesIsRemovedAndTheCoordinatorsSuccessorTakesOver() throws Exception {
        ShoalNode a = node("a");
        ShoalNode b = node("b", address(a));
        ShoalNode c = node("c", address(a));
        ShoalNode d = node("d", address(a));
        awaitAgreement(List.of("a", "b", "c", "d"), a, b, c, d);
        c.close();
        awaitAgreement(List.of("a", "b", "d"), a, b, d);
        a.close(); // the coordinator leaves
        awaitAgreement(List.of("b", "d"), b, d);
        assertEquals("b", view(d).coordinatorId());
    }

    @Test
    void aKilledMemberIsDetectedAndRejoinsUnderItsIdOnce() throws Exception {
        ShoalNode a = node("a");
        NodeProcess b = process("b", address(a));
        ShoalNode c = node("c", address(a));
        awaitAgreement(List.of("a", "b", "c"), a, c);
        long killedAt = System.nanoTime();
        b.kill();
        awaitAgreement(List.of("a", "c"), a, c);
        long detectedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        assertTrue(detectedMs < FAILURE_MS + 5_000, "detected after " + detectedMs + " ms");
        NodeProcess again = process("b", address(c)); // through a non-coordinator
        awaitAgreement(List.of("a", "c", "b"), a, c);
        assertEquals(again.address(), view(a).members().get(2).address());
    }

    @Test
    void whenTheCoordinatorIsKilledTheNextOldestTakesOver() throws Exception {
        NodeProcess a = process("a");
        ShoalNode b = node("b", a.address());
        ShoalNode c = node("c", a.address());
        awaitAgreement(List.of("a", "b", "c"), b, c);
        a.kill();
        awaitAgreement(List.of("b", "c"), b, c);
        ShoalNode d = node("d", address(c));
        awaitAgreement(List.of("b", "c", "d"), b, c, d);
    }

    /**
     * The coordinator comes back at its address before the others noticed it was gone: its new
     * process, not a member yet, must neither pass for the coordinator they knew nor, failing to
     * join, found a cluster of its own that the others then join, dropping what they hold.
     */
    @Test
    void aCoordinatorRestartedWithinTheFailureTimeoutJoinsTheClusterItLeft() throws Exception {
        // A failure timeout longer than a process restart, as on a loaded machine.
        Map<String, Object> slowToSuspect = Map.of("cluster.failureTimeoutMs", 6_000, "cluster.joinTimeoutMs", 10_000,
                "cluster.leaveTimeoutMs", 2_000);
        Map<String, Object> first = new HashMap<>(clusterSettings("a"));
        first.putAll(slowToSuspect);
        NodeProcess a = NodeProcess.start(0, first);
        started.add(a);
        ShoalNode b = node("b", slowToSuspect, a.address());
        ShoalNode c = node("c", slowToSuspect, a.address());
        awaitAgreement(List.of("a", "b", "c"), b, c);
        long viewBefore = view(b).version();
        int port = a.port();
        a.kill();
        Map<String, Object> restarted = new HashMap<>(clusterSettings("a", address(b), address(c)));
        restarted.putAll(slowToSuspect);
        NodeProcess again = NodeProcess.start(port, restarted);
        started.add(again);
        awaitAgreement(List.of("b", "c", "a"), b, c);
        assertTrue(view(b).version() > viewBefore, "b kept its cluster: view " + view(b).version());
    }

    @Test
    void clientsAreToldOfEveryMember() {
        ShoalNode a = node("a");
        ShoalNode b = node("b", address(a));
        awaitAgreement(List.of("a", "b"), a, b);
        try (ShoalClient client = ShoalClient.connect(ClientConfig.builder().nodes(address(b)).build())) {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(List.of(address(b), address(a)), client.nodes()));
            ShoalNode c = node("c", address(a));
            await().atMost(Duration.ofSeconds(10)).until(() -> client.nodes().contains(address(c)));
            Message table = client.send(new Request.TableFetch()).join();
            assertEquals(view(b).tableVersion(), assertInstanceOf(Reply.TableFetch.class, table).table().toVersion());
        }
    }

    @Test
    void aHeartbeatFromANonMemberIsRefused() {
        ShoalNode a = node("a");
        try (ShoalClient client = ShoalClient.connect(ClientConfig.builder().nodes(address(a)).build())) {
            Message answer = client.send(new Request.Heartbeat("stranger", 1, 1)).join();
            assertEquals(ErrorCode.NOT_CLUSTERED, assertInstanceOf(ErrorReply.class, answer).code());
            Message join = client.send(new Request.Join("a", "127.0.0.1:1", "", 1)).join();
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertInstanceOf(ErrorReply.class, join).code(),
                    "a JOIN under the coordinator's own id");
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
