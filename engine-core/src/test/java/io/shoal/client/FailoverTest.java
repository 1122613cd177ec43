package io.shoal.client;

import io.shoal.ChangeEvent;
import io.shoal.ChangeListener;
import io.shoal.ShoalException;
import io.shoal.ShoalMap;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.Frame;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failover: addresses tried in order, a node's GOODBYE, a node killed and restarted on the same
 * port, a silent node, lost requests failed or retried per {@link RetryPolicy}.
 */
@Timeout(120)
class FailoverTest {
    private final List<AutoCloseable> closeAfter = new ArrayList<>();

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

    private FakeNode node(String id) {
        return closeLater(FakeNode.start(id));
    }

    /** An address on which nothing listens (a port that was free a moment ago). */
    private static String refusingAddress() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return "127.0.0.1:" + socket.getLocalPort();
        }
    }

    @Test
    void aRefusingFirstAddressIsSkipped() throws Exception {
        FakeNode b = node("b");
        String dead = refusingAddress();
        ShoalClient client = closeLater(ShoalClient.connect(Clients.config(b).nodes(dead, b.address()).build()));
        assertEquals(b.address(), client.connectedNode().orElseThrow());
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        map.put("k", "v");
        assertEquals("v", map.get("k"));
        assertEquals(List.of(dead, b.address()), client.nodes(), "both stay known, in their order");
    }

    @Test
    void aMuteFirstNodeIsLeftAfterTheConnectTimeout() {
        FakeNode mute = node("mute");
        mute.script = (c, frame) -> true;
        FakeNode b = node("b");
        long start = System.nanoTime();
        ShoalClient client = closeLater(ShoalClient.connect(Clients.config(mute, b)
                .connectTimeout(Duration.ofMillis(300)).build()));
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(b.address(), client.connectedNode().orElseThrow());
        assertTrue(tookMs >= 299, "took " + tookMs + " ms");
        await().atMost(Duration.ofSeconds(5)).until(() -> mute.openConnections() == 0);
    }

    @Test
    void noReachableNodeNamesEveryAddressAndWhy() throws Exception {
        FakeNode wrongCluster = node("other");
        wrongCluster.clusterName = "blue";
        String dead = refusingAddress();
        ShoalException e = assertThrows(ShoalException.class, () -> closeLater(ShoalClient.connect(
                Clients.config(wrongCluster).nodes(dead, wrongCluster.address()).clusterName("green").build())));
        assertTrue(e.getMessage().contains(dead) && e.getMessage().contains(wrongCluster.address())
                && e.getMessage().contains("CLUSTER_MISMATCH"), e.getMessage());
    }

    @Test
    void goodbyeFromTheNodeFailsOverToTheNextNode() {
        FakeNode a = node("a");
        FakeNode b = node("b");
        ShoalClient client = closeLater(Clients.connect(a, b));
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        map.put("k", "on a");
        assertEquals(a.address(), client.connectedNode().orElseThrow());
        a.goodbyeAll("shutting down");
        await().atMost(Duration.ofSeconds(5)).until(() -> a.goodbyeRepliesReceived.get() == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> client.connectedNode().equals(java.util.Optional.of(b.address())));
        assertNull(map.get("k"), "b has its own data");
        map.put("k", "on b");
        assertEquals("on b", map.get("k"));
        assertEquals(1, a.accepted.get(), "a is tried last after its GOODBYE");
    }

    @Test
    void aRequestRefusedWithShuttingDownGoesToTheNextNode() {
        FakeNode a = node("a");
        FakeNode b = node("b");
        ShoalClient client = closeLater(Clients.connect(a, b));
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        a.script = (c, frame) -> {
            if (frame.body() instanceof Request.Put) {
                c.replyError(frame, ErrorCode.SHUTTING_DOWN, "stopping");
                c.close();
                return true;
            }
            return false;
        };
        long version = map.put("k", "v");
        assertTrue(version > 0);
        assertEquals(b.address(), client.connectedNode().orElseThrow());
        assertEquals("v", map.get("k"));
        a.script = null;
        assertNull(client.map("m", String.class, String.class).asMap().get("missing"));
    }

    @Test
    void aKilledNodeRestartedOnItsPortIsReconnectedAndListenersAreToldOfTheGap() {
        FakeNode node = node("n");
        ShoalClient client = closeLater(ShoalClient.connect(Clients.config(node).requestTimeout(Duration.ofSeconds(1))
                .build()));
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        List<String> seen = new CopyOnWriteArrayList<>();
        AtomicInteger missed = new AtomicInteger();
        map.addKeyListener("k", new ChangeListener<>() {
            @Override
            public void onChange(ChangeEvent<String, String> event) {
                seen.add(event.value());
            }

            @Override
            public void onEventsMissed() {
                missed.incrementAndGet();
                seen.add("(missed)");
            }
        });
        map.put("k", "before");
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.equals(List.of("before")));

        node.kill();
        await().atMost(Duration.ofSeconds(5)).until(() -> client.connectedNode().isEmpty());
        assertThrows(RequestTimeoutException.class, () -> client.map("m", String.class, String.class)
                .get("k"), "nothing listens: the call waits for a connection until its timeout");
        assertEquals(0, missed.get());

        node.restart();
        await().atMost(Duration.ofSeconds(5)).until(() -> client.connectedNode().isPresent());
        await().atMost(Duration.ofSeconds(5)).until(() -> missed.get() == 1);
        map.put("k", "after");
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.equals(List.of("before", "(missed)", "after")));
        assertEquals(1, node.openConnections());
        assertEquals(2, node.requestsOf(Request.Subscribe.class), "subscribed once on each connection");
    }

    @Test
    void aResubscriptionThatGetsNoAnswerIsSentAgain() {
        FakeNode node = node("n");
        ShoalClient client = closeLater(ShoalClient.connect(Clients.config(node).requestTimeout(Duration.ofMillis(500))
                .build()));
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        List<String> seen = new CopyOnWriteArrayList<>();
        map.addListener(new ChangeListener<>() {
            @Override
            public void onChange(ChangeEvent<String, String> event) {
                seen.add(event.value());
            }
        });
        AtomicInteger subscribes = new AtomicInteger();
        node.script = (c, frame) -> frame.body() instanceof Request.Subscribe && subscribes.incrementAndGet() == 1;
        node.kill();
        node.restart();
        await().atMost(Duration.ofSeconds(5)).until(() -> subscribes.get() >= 2);
        map.put("k", "after");
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.equals(List.of("after")));
    }

    @Test
    void reconnectAttemptsBackOff() {
        FakeNode node = node("n");
        ShoalClient client = closeLater(ShoalClient.connect(Clients.config(node)
                .reconnectBackoff(Duration.ofMillis(100), Duration.ofMillis(400)).build()));
        node.script = (c, frame) -> {
            if (frame.body() instanceof Request.Hello) {
                c.replyError(frame, ErrorCode.NOT_READY, "starting");
                c.close();
                return true;
            }
            return false;
        };
        int before = node.accepted.get();
        node.goodbyeAll("restart");
        await().atMost(Duration.ofSeconds(5)).until(() -> client.connectedNode().isEmpty());
        long start = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).until(() -> node.accepted.get() - before >= 5);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        // rounds at 0, then waits of 100, 200, 400, 400 ms: about 1.1 s for five attempts
        assertTrue(tookMs >= 1_000, "five attempts within " + tookMs + " ms: no backoff");
        node.script = null;
        await().atMost(Duration.ofSeconds(5)).until(() -> client.connectedNode().isPresent());
    }

    @Test
    void requestsLostWithTheConnectionFailUnderFail() throws Exception {
        FakeNode a = node("a");
        FakeNode b = node("b");
        ShoalClient client = closeLater(Clients.connect(a, b));
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        List<Frame> held = new CopyOnWriteArrayList<>();
        a.script = (c, frame) -> {
            if (frame.body() instanceof Request.Get || frame.body() instanceof Request.Put) {
                held.add(frame);
                return true;
            }
            return false;
        };
        CompletableFuture<String> read = map.getAsync("k");
        CompletableFuture<Long> write = map.putAsync("k", "v");
        await().atMost(Duration.ofSeconds(5)).until(() -> held.size() == 2);
        a.kill();
        ExecutionException readFailure = assertThrows(ExecutionException.class, () -> read.get(5, TimeUnit.SECONDS));
        ConnectionLostException lostRead = assertInstanceOf(ConnectionLostException.class, readFailure.getCause());
        assertFalse(lostRead.isWrite());
        ExecutionException writeFailure = assertThrows(ExecutionException.class, () -> write.get(5, TimeUnit.SECONDS));
        ConnectionLostException lostWrite = assertInstanceOf(ConnectionLostException.class, writeFailure.getCause());
        assertTrue(lostWrite.isWrite());
        assertTrue(lostWrite.getMessage().contains("may or may not have been applied")
                && lostWrite.getMessage().contains(a.address()), lostWrite.getMessage());
        await().atMost(Duration.ofSeconds(5)).until(() -> client.connectedNode().equals(java.util.Optional.of(b.address())));
        map.put("k", "on b");
        assertEquals("on b", map.get("k"));
    }

    @Test
    void lostReadsAreRetriedOnTheNextNodeUnderRetryReads() throws Exception {
        FakeNode a = node("a");
        FakeNode b = node("b");
        b.store.apply(new Request.Put("m", "k".getBytes(), "on b".getBytes(), 0));
        ShoalClient client = closeLater(ShoalClient.connect(Clients.config(a, b).retryPolicy(RetryPolicy.RETRY_READS).build()));
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        List<Frame> held = new CopyOnWriteArrayList<>();
        a.script = (c, frame) -> {
            if (frame.body() instanceof Request.Get || frame.body() instanceof Request.Put
                    || frame.body() instanceof Request.Size) {
                held.add(frame);
                return true;
            }
            return false;
        };
        CompletableFuture<String> read = map.getAsync("k");
        CompletableFuture<Long> write = map.putAsync("k", "v");
        CompletableFuture<Long> size = CompletableFuture.supplyAsync(map::size);
        await().atMost(Duration.ofSeconds(5)).until(() -> held.size() == 3);
        a.goodbyeAll("bye");
        assertEquals("on b", read.get(5, TimeUnit.SECONDS), "the read went to b");
        assertEquals(1L, size.get(5, TimeUnit.SECONDS), "the synchronous read too");
        ExecutionException writeFailure = assertThrows(ExecutionException.class, () -> write.get(5, TimeUnit.SECONDS));
        assertInstanceOf(ConnectionLostException.class, writeFailure.getCause());
        assertEquals("on b", map.get("k"), "the write was not retried");
    }

    @Test
    void aSilentNodeIsDroppedAfterTheDeadPeerTimeout() {
        FakeNode a = node("a");
        FakeNode b = node("b");
        ShoalClient client = closeLater(ShoalClient.connect(Clients.config(a, b)
                .keepAlive(Duration.ofMillis(100), Duration.ofMillis(500)).build()));
        await().atMost(Duration.ofSeconds(5)).until(() -> a.requestsOf(Request.Ping.class) >= 2);
        assertEquals(a.address(), client.connectedNode().orElseThrow(), "answered PINGs keep the connection");
        long start = System.nanoTime();
        a.script = (c, frame) -> true; // silent from now on, PING included
        await().atMost(Duration.ofSeconds(5)).until(() -> client.connectedNode().equals(java.util.Optional.of(b.address())));
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(tookMs >= 400 && tookMs < 2_000, "dropped after " + tookMs + " ms");
    }

    @Test
    void theClientAnswersTheNodesPing() {
        FakeNode a = node("a");
        ShoalClient client = closeLater(Clients.connect(a));
        FakeNode.FakeConnection connection = a.connections.iterator().next();
        connection.send(new Frame(77, new Request.Ping(1234)));
        await().atMost(Duration.ofSeconds(5)).until(() -> a.received.stream()
                .anyMatch(f -> f.requestId() == 77 && f.body().equals(new Reply.Ping(1234))));
        assertEquals(a.address(), client.connectedNode().orElseThrow());
    }

    @Test
    void aNodeThatBreaksTheProtocolIsLeft() {
        FakeNode a = node("a");
        FakeNode b = node("b");
        ShoalClient client = closeLater(Clients.connect(a, b));
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        a.script = (c, frame) -> {
            if (frame.body() instanceof Request.Get) {
                c.connection.send(java.nio.ByteBuffer.wrap(new byte[] {0x10, 0x01, 0, 0, 0, 0, 0, 1, 7})); // bad bool
                return true;
            }
            return false;
        };
        CompletableFuture<String> read = map.getAsync("k");
        ExecutionException e = assertThrows(ExecutionException.class, () -> read.get(5, TimeUnit.SECONDS));
        assertInstanceOf(ConnectionLostException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("breaks the protocol"), e.getCause().getMessage());
        await().atMost(Duration.ofSeconds(5)).until(() -> client.connectedNode().equals(java.util.Optional.of(b.address())));
        await().atMost(Duration.ofSeconds(5)).until(() -> a.received.stream()
                .anyMatch(f -> f.body() instanceof io.shoal.protocol.ErrorReply er && er.code() == ErrorCode.MALFORMED_FRAME));
    }
}
