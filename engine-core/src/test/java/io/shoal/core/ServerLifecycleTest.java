package io.shoal.core;

import io.shoal.ConfigException;
import io.shoal.EntryTooLargeException;
import io.shoal.MemoryLimitExceededException;
import io.shoal.NodeClosedException;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalException;
import io.shoal.ShoalNode;
import io.shoal.StorageUnavailableException;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.Frame;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server in the node's life: configuration, delayed acceptance while the node recovers
 * (NOT_READY), GOODBYE and SHUTTING_DOWN at close, keep-alive, the authentication deadline.
 */
class ServerLifecycleTest {
    private static final String GATE = "server-lifecycle";
    private final List<AutoCloseable> closing = new ArrayList<>();
    private CompletableFuture<ShoalNode> starting;

    @AfterEach
    void closeAll() throws Exception {
        GatedPersistenceProvider.remove(GATE); // releases a recovery still held
        if (starting != null) {
            try {
                starting.get(30, TimeUnit.SECONDS).close();
            } catch (Exception e) {
                // the test made it fail
            }
        }
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    private ShoalNode node(Map<String, Object> overrides) {
        ShoalNode node = ServerNodes.start(overrides);
        closing.add(node);
        return node;
    }

    private RawClient client(String address) {
        RawClient client = RawClient.connect(address);
        closing.add(client);
        return client;
    }

    // ---- configuration ----

    @Test
    void transportNoneIsTheDefaultAndServesNoOne() {
        try (ShoalNode node = Shoal.start(ShoalConfig.builder().bucketCount(4).set("memory.maxBytes", "16m").build())) {
            assertTrue(node.serverAddress().isEmpty());
        }
    }

    @Test
    void anUnknownTransportListsTheKnownOnes() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ServerNodes.start(Map.of("transport", "carrier-pigeon")));
        assertTrue(e.getMessage().contains("transport") && e.getMessage().contains("none")
                && e.getMessage().contains("tcp"), e.getMessage());
    }

    @Test
    void badServerSettingsStopTheStartNamingTheKey() {
        Map<String, Map<String, Object>> cases = new HashMap<>();
        cases.put("server.maxFrameBytes", Map.of("server.maxFrameBytes", "32m")); // above transport-tcp.maxFrameBytes
        cases.put("server.deadPeerTimeoutMs", Map.of("server.keepAliveIntervalMs", 1000, "server.deadPeerTimeoutMs", 1000));
        cases.put("server.port", Map.of("server.port", 70_000));
        cases.put("cluster.name", Map.of("cluster.name", ""));
        cases.put("server.authTimeoutMs", Map.of("server.authTimeoutMs", 0));
        cases.put("server.maxFrameByte", Map.of("server.maxFrameByte", "1m"));
        for (Map.Entry<String, Map<String, Object>> c : cases.entrySet()) {
            ConfigException e = assertThrows(ConfigException.class, () -> ServerNodes.start(c.getValue()), c.getKey());
            assertTrue(e.getMessage().contains(c.getKey()), e.getMessage());
        }
        ConfigException small = assertThrows(ConfigException.class, () -> ServerNodes.start(
                Map.of("server.maxFrameBytes", "512k", "store.maxValueBytes", "1m")));
        assertTrue(small.getMessage().contains("server.maxFrameBytes") && small.getMessage().contains("store.maxValueBytes"),
                small.getMessage());
    }

    @Test
    void theServerAddressHasTheBoundPort() {
        ShoalNode node = node(Map.of());
        String address = node.serverAddress().orElseThrow();
        assertTrue(address.startsWith("127.0.0.1:"), address);
        assertTrue(Integer.parseInt(address.substring(address.indexOf(':') + 1)) > 0, address);
    }

    @Test
    void aPortInUseStopsTheStartNamingTheAddress() {
        ShoalNode first = node(Map.of());
        String address = first.serverAddress().orElseThrow();
        int port = Integer.parseInt(address.substring(address.indexOf(':') + 1));
        ShoalException e = assertThrows(ShoalException.class, () -> ServerNodes.start(Map.of("server.port", port)));
        assertTrue(e.getMessage().contains(String.valueOf(port)), e.getMessage());
    }

    @Test
    void anAdvertisedAddressIsWhatClientsAreTold() {
        int port = ServerNodes.freePort();
        ShoalNode node = node(Map.of("server.port", port, "server.advertisedAddress", "node-a.example:9999",
                "node.id", "node-a"));
        assertEquals("node-a.example:9999", node.serverAddress().orElseThrow());
        RawClient client = client("127.0.0.1:" + port);
        client.call(new Request.Hello(1, 1, "", "x"), Reply.Hello.class);
        assertEquals(List.of(new io.shoal.protocol.Push.NodeAddress("node-a", "node-a.example:9999")),
                client.nextPush(io.shoal.protocol.Push.ServerInfo.class).nodes());
    }

    // ---- delayed acceptance ----

    private String startHeldNode(Map<String, Object> extra) throws Exception {
        GatedPersistenceProvider.Gate gate = GatedPersistenceProvider.gate(GATE);
        gate.blockRecovery = true;
        int port = ServerNodes.freePort();
        Map<String, Object> overrides = new HashMap<>(extra);
        overrides.put("persistence", "test-gated");
        overrides.put("test.gate", GATE);
        overrides.put("server.port", port);
        starting = CompletableFuture.supplyAsync(() -> ServerNodes.start(overrides));
        assertTrue(gate.recovering.await(10, TimeUnit.SECONDS), "recovery did not begin");
        return "127.0.0.1:" + port;
    }

    @Test
    void clientsConnectWhileTheNodeRecoversAndAreServedOnceItIsReady() throws Exception {
        String address = startHeldNode(Map.of());
        RawClient client = client(address); // the node listens before recovery
        client.hello();                     // the handshake does not wait
        int put = client.send(new Request.Put("m", new byte[] {1}, new byte[] {2}, 0));
        int get = client.send(new Request.Get("m", new byte[] {1}));
        List<Frame> early = client.drain(); // PING is answered while the node starts
        assertTrue(early.stream().noneMatch(f -> f.requestId() == put || f.requestId() == get), early::toString);
        GatedPersistenceProvider.gate(GATE).releaseRecovery();
        assertInstanceOf(Reply.Put.class, client.replyTo(put).body());
        assertEquals(2, assertInstanceOf(Reply.Get.class, client.replyTo(get).body()).value()[0], "in order");
        ShoalNode node = starting.get(10, TimeUnit.SECONDS);
        assertEquals(address, node.serverAddress().orElseThrow());
        assertEquals(2, node.map("m", byte[].class, byte[].class).get(new byte[] {1})[0]);
    }

    /**
     * A node restarted at a member's address answers that member's old peers while it starts: a
     * HEARTBEAT must read as "not a member" (version 0), never as NOT_CLUSTERED, which would tell a
     * member its coordinator dropped it.
     */
    @Test
    void aStartingNodeAnswersHeartbeatAndJoinAsNoMemberOfAnyCluster() throws Exception {
        String address = startHeldNode(Map.of());
        RawClient client = client(address);
        client.hello();
        Reply.Heartbeat heartbeat = client.call(new Request.Heartbeat("n2", 7, 40), Reply.Heartbeat.class);
        assertEquals(0, heartbeat.viewVersion());
        assertEquals(0, heartbeat.tableVersion());
        Reply.Join join = client.call(new Request.Join("n2", "127.0.0.1:1", "", 1), Reply.Join.class);
        assertFalse(join.accepted());
        assertEquals("", join.coordinatorAddress());
        int fetch = client.send(new Request.TableFetch());
        assertEquals(ErrorCode.NOT_CLUSTERED, assertInstanceOf(ErrorReply.class, client.replyTo(fetch).body()).code());
        GatedPersistenceProvider.gate(GATE).releaseRecovery();
        starting.get(10, TimeUnit.SECONDS);
    }

    @Test
    void requestsWaitingLongerThanStartupWaitGetNotReady() throws Exception {
        String address = startHeldNode(Map.of("server.startupWaitMs", 300));
        RawClient client = client(address);
        client.hello();
        int first = client.send(new Request.Get("m", new byte[] {1}));
        int second = client.send(new Request.Size("m"));
        for (int id : new int[] {first, second}) {
            ErrorReply error = assertInstanceOf(ErrorReply.class, client.replyTo(id).body());
            assertEquals(ErrorCode.NOT_READY, error.code());
            assertTrue(error.message().contains("server.startupWaitMs"), error.message());
        }
        client.awaitClosed();
        GatedPersistenceProvider.gate(GATE).releaseRecovery();
        ShoalNode node = starting.get(10, TimeUnit.SECONDS);
        RawClient later = client(node.serverAddress().orElseThrow());
        later.hello();
        assertEquals(0, later.call(new Request.Size("m"), Reply.Size.class).entries());
    }

    @Test
    void aNodeThatFailsToStartAnswersWaitingRequestsWithNotReady() throws Exception {
        String address = startHeldNode(Map.of());
        RawClient client = client(address);
        client.hello();
        int get = client.send(new Request.Get("m", new byte[] {1}));
        client.drain();
        GatedPersistenceProvider.gate(GATE).failRecovery(new ShoalException("the log is corrupt"));
        ErrorReply error = assertInstanceOf(ErrorReply.class, client.replyTo(get).body());
        assertEquals(ErrorCode.NOT_READY, error.code());
        client.awaitClosed();
        Exception failure = assertThrows(Exception.class, () -> starting.get(10, TimeUnit.SECONDS));
        assertTrue(String.valueOf(failure.getCause()).contains("corrupt"), String.valueOf(failure.getCause()));
        starting = null;
    }

    // ---- GOODBYE and SHUTTING_DOWN ----

    @Test
    void closingTheNodeSaysGoodbyeAndWaitsForTheAnswer() throws Exception {
        ShoalNode node = ServerNodes.start(Map.of("server.goodbyeWaitMs", 20_000));
        RawClient client = client(ServerNodes.address(node));
        client.hello();
        CompletableFuture<Void> closed = CompletableFuture.runAsync(node::close);
        Frame goodbye = client.nodeRequest(Request.Goodbye.class);
        assertTrue(((Request.Goodbye) goodbye.body()).reason().contains("stopping"));
        assertFalse(closed.isDone(), "the node waits for the answer");
        client.send(new Frame(goodbye.requestId(), new Reply.Goodbye()));
        client.awaitClosed();
        closed.get(10, TimeUnit.SECONDS); // long before goodbyeWaitMs
    }

    @Test
    void aClientThatDoesNotAnswerGoodbyeIsClosedAfterTheWait() throws Exception {
        ShoalNode node = ServerNodes.start(Map.of("server.goodbyeWaitMs", 200));
        RawClient client = client(ServerNodes.address(node));
        client.hello();
        CompletableFuture<Void> closed = CompletableFuture.runAsync(node::close);
        client.nodeRequest(Request.Goodbye.class);
        client.awaitClosed();
        closed.get(10, TimeUnit.SECONDS);
    }

    @Test
    void requestsAfterTheNodesGoodbyeGetShuttingDown() throws Exception {
        ShoalNode node = ServerNodes.start(Map.of("server.goodbyeWaitMs", 20_000));
        RawClient client = client(ServerNodes.address(node));
        client.hello();
        RawClient late = client(ServerNodes.address(node));
        late.call(new Request.Ping(1), Reply.Ping.class); // the node has its session
        CompletableFuture<Void> closed = CompletableFuture.runAsync(node::close);
        client.nodeRequest(Request.Goodbye.class);
        ErrorReply error = client.expectError(new Request.Get("m", new byte[] {1}), ErrorCode.SHUTTING_DOWN);
        assertTrue(error.message().contains("stopping"), error.message());
        late.nodeRequest(Request.Goodbye.class);
        late.expectError(new Request.Hello(1, 1, "", "late"), ErrorCode.SHUTTING_DOWN);
        closed.get(10, TimeUnit.SECONDS);
    }

    @Test
    void theOutcomeOfEveryEngineFailureHasItsErrorCode() {
        assertEquals(ErrorCode.MEMORY_LIMIT, ServerSession.errorCodeFor(new MemoryLimitExceededException("full", 1, 2, 3)));
        assertEquals(ErrorCode.ENTRY_TOO_LARGE, ServerSession.errorCodeFor(new EntryTooLargeException("big")));
        assertEquals(ErrorCode.STORAGE_REFUSED,
                ServerSession.errorCodeFor(new StorageUnavailableException("disk full", false, null)));
        assertEquals(ErrorCode.STORAGE_NOT_DURABLE,
                ServerSession.errorCodeFor(new StorageUnavailableException("disk full", true, null)));
        assertEquals(ErrorCode.SHUTTING_DOWN, ServerSession.errorCodeFor(new NodeClosedException("n1")));
        assertEquals(ErrorCode.INVALID_ARGUMENT, ServerSession.errorCodeFor(new IllegalArgumentException("bad")));
        assertEquals(ErrorCode.INTERNAL_ERROR, ServerSession.errorCodeFor(new IllegalStateException("bug")));
        assertEquals(ErrorCode.INTERNAL_ERROR, ServerSession.errorCodeFor(new ShoalException("other")));
        assertEquals("a?b", ServerSession.safeMessage("a\ud800b"));
        assertEquals(1027, ServerSession.safeMessage("x".repeat(5000)).length());
        assertEquals("", ServerSession.safeMessage(null));
    }

    // ---- keep-alive and the authentication deadline ----

    @Test
    void idlePeersArePingedAndSilentOnesClosed() {
        ShoalNode node = node(Map.of("server.keepAliveIntervalMs", 100, "server.deadPeerTimeoutMs", 400));
        RawClient answering = client(ServerNodes.address(node));
        answering.hello();
        RawClient silent = client(ServerNodes.address(node));
        silent.autoPong = false;
        silent.hello();
        long started = System.nanoTime();
        silent.nodeRequest(Request.Ping.class);
        silent.awaitClosed();
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        assertTrue(tookMs < 5_000, "closed " + tookMs + " ms after the node's PING");
        await().atMost(Duration.ofSeconds(10)).until(() -> answering.pingsReceived() >= 3);
        assertFalse(answering.isClosed(), "a peer that answers stays");
        assertEquals(1, answering.call(new Request.Ping(1), Reply.Ping.class).payload());
    }

    @Test
    void aConnectionNotReadyInTimeGetsAuthTimeout() {
        ShoalNode node = node(Map.of("server.authTimeoutMs", 300));
        RawClient idle = client(ServerNodes.address(node));
        Frame error = idle.await("AUTH_TIMEOUT", f -> f.body() instanceof ErrorReply);
        assertEquals(0, error.requestId());
        ErrorReply reply = (ErrorReply) error.body();
        assertEquals(ErrorCode.AUTH_TIMEOUT, reply.code());
        assertEquals(0, reply.opcode(), "a connection error");
        idle.awaitClosed();

        RawClient ready = client(ServerNodes.address(node));
        ready.hello();
        await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(5)).until(() -> !ready.isClosed());
        assertEquals(1, ready.call(new Request.Ping(1), Reply.Ping.class).payload());
    }

    @Test
    void aGreetedConnectionThatDoesNotAuthenticateInTimeGetsAuthTimeout() {
        ShoalNode node = node(Map.of("server.authTimeoutMs", 300, "server.auth.secret", "s"));
        RawClient greeted = client(ServerNodes.address(node));
        assertTrue(greeted.call(new Request.Hello(1, 1, "", "slow"), Reply.Hello.class).authRequired());
        ErrorReply error = (ErrorReply) greeted.await("AUTH_TIMEOUT", f -> f.body() instanceof ErrorReply).body();
        assertEquals(ErrorCode.AUTH_TIMEOUT, error.code());
        greeted.awaitClosed();
    }

    @Test
    void statsCountConnections() {
        ShoalNode node = node(Map.of());
        RawClient first = client(ServerNodes.address(node));
        first.hello();
        RawClient second = client(ServerNodes.address(node));
        second.hello();
        assertEquals(2, stat(first, "connections"));
        second.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> stat(first, "connections") == 1);
        assertEquals(2, stat(first, "connectionsAccepted"));
    }

    private static long stat(RawClient client, String name) {
        return client.call(new Request.Stats(), Reply.Stats.class).stats().stream()
                .filter(s -> s.name().equals(name)).findFirst().orElseThrow().value();
    }
}
