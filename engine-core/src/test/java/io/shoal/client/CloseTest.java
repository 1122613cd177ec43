package io.shoal.client;

import io.shoal.ShoalMap;
import io.shoal.protocol.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ShoalClient#close()}: GOODBYE, then everything closed, threads ended. */
@Timeout(60)
class CloseTest {

    private static boolean clientThreadsAlive(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().startsWith(prefix));
    }

    private static String threadPrefix(ShoalClient client) {
        String text = client.toString(); // ShoalClient{shoal-client-N, ...}
        return text.substring(text.indexOf('{') + 1, text.indexOf(',')) + "-";
    }

    @Test
    void closeSaysGoodbyeAndReturnsWhenEverythingIsClosed() {
        try (FakeNode node = FakeNode.start("n")) {
            ShoalClient client = Clients.connect(node);
            String prefix = threadPrefix(client);
            client.map("m", String.class, String.class).put("k", "v");
            assertTrue(clientThreadsAlive(prefix));
            client.close();
            assertEquals(1, node.goodbyesReceived.get(), "GOODBYE before closing");
            assertFalse(clientThreadsAlive(prefix), "the client's threads have ended");
            await().atMost(Duration.ofSeconds(5)).until(() -> node.openConnections() == 0);
            assertTrue(client.isClosed());
        }
    }

    @Test
    void repliesToRequestsSentBeforeGoodbyeStillArrive() throws Exception {
        try (FakeNode node = FakeNode.start("n")) {
            ShoalClient client = Clients.connect(node);
            ShoalMap<String, String> map = client.map("m", String.class, String.class);
            map.put("k", "v");
            // The node answers the GET late, but before its GOODBYE reply, as the protocol requires.
            node.script = (c, frame) -> {
                if (frame.body() instanceof Request.Get) {
                    c.replyLater(frame, 200);
                    return true;
                }
                if (frame.body() instanceof Request.Goodbye) {
                    c.replyLater(frame, 300);
                    node.goodbyesReceived.incrementAndGet();
                    return true;
                }
                return false;
            };
            CompletableFuture<String> read = map.getAsync("k");
            client.close();
            assertEquals("v", read.get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void closeFailsWhatIsStillWaiting() throws Exception {
        try (FakeNode node = FakeNode.start("n")) {
            ShoalClient client = ShoalClient.connect(Clients.config(node).requestTimeout(Duration.ofSeconds(1)).build());
            ShoalMap<String, String> map = client.map("m", String.class, String.class);
            node.script = (c, frame) -> frame.body() instanceof Request.Get; // never answered
            CompletableFuture<String> read = map.getAsync("k");
            await().atMost(Duration.ofSeconds(5)).until(() -> node.requestsOf(Request.Get.class) == 1);
            long start = System.nanoTime();
            client.close();
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 3_000, "bounded");
            ExecutionException e = assertThrows(ExecutionException.class, () -> read.get(5, TimeUnit.SECONDS));
            assertClientClosed(e.getCause());
        }
    }

    @Test
    void closeWhileReconnectingReturnsPromptly() throws Exception {
        FakeNode node = FakeNode.start("n");
        ShoalClient client = ShoalClient.connect(Clients.config(node).requestTimeout(Duration.ofSeconds(10)).build());
        String prefix = threadPrefix(client);
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        node.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> client.connectedNode().isEmpty());
        CompletableFuture<String> waiting = map.getAsync("k");
        long start = System.nanoTime();
        client.close();
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 3_000, "bounded");
        ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(5, TimeUnit.SECONDS));
        assertClientClosed(e.getCause());
        assertFalse(clientThreadsAlive(prefix));
    }

    @Test
    void closeFromAListenerDoesNotHang() throws Exception {
        try (FakeNode node = FakeNode.start("n")) {
            ShoalClient client = Clients.connect(node);
            ShoalMap<String, String> map = client.map("m", String.class, String.class);
            CompletableFuture<Void> closed = new CompletableFuture<>();
            map.addListener(new io.shoal.ChangeListener<>() {
                @Override
                public void onChange(io.shoal.ChangeEvent<String, String> event) {
                    client.close();
                    closed.complete(null);
                }
            });
            map.put("k", "v");
            closed.get(10, TimeUnit.SECONDS);
            assertTrue(client.isClosed());
            assertEquals(1, node.goodbyesReceived.get());
        }
    }

    private static void assertClientClosed(Throwable failure) {
        String message = assertInstanceOf(ClientClosedException.class, failure).getMessage();
        assertTrue(message.matches("client .+ is closed"), message);
    }
}
