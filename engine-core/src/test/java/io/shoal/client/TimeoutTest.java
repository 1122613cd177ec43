package io.shoal.client;

import io.shoal.ChangeListener;
import io.shoal.ShoalException;
import io.shoal.ShoalMap;
import io.shoal.protocol.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Timeouts are honoured: no call outlives its request timeout by more than {@link #SLACK_MS} (plus
 * whatever this JVM is late waking any thread at the moment, measured alongside; see
 * {@link #assertOnTime}), and a connection attempt gives up after the connect timeout.
 */
@Timeout(120)
class TimeoutTest {
    static final long TIMEOUT_MS = 300;
    static final long SLACK_MS = 50;
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

    /** A node that answers the handshake and GOODBYE, and nothing else. */
    private FakeNode silentNode() {
        FakeNode node = closeLater(FakeNode.start("silent"));
        node.script = (c, frame) -> !(frame.body() instanceof Request.Hello || frame.body() instanceof Request.Goodbye);
        return node;
    }

    private ShoalClient client(FakeNode node) {
        return closeLater(ShoalClient.connect(Clients.config(node).requestTimeout(Duration.ofMillis(TIMEOUT_MS))
                .keepAlive(Duration.ofMinutes(1), Duration.ofMinutes(2)) // the silent nodes do not answer PING
                .build()));
    }

    @Test
    void everySynchronousCallEndsAtItsTimeout() {
        FakeNode node = silentNode();
        ShoalClient client = client(node);
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        Map<String, Executable> calls = new LinkedHashMap<>();
        calls.put("get", () -> map.get("k"));
        calls.put("getEntry", () -> map.getEntry("k"));
        calls.put("containsKey", () -> map.containsKey("k"));
        calls.put("put", () -> map.put("k", "v"));
        calls.put("put ttl", () -> map.put("k", "v", Duration.ofSeconds(1)));
        calls.put("putIfAbsent", () -> map.putIfAbsent("k", "v"));
        calls.put("replace", () -> map.replace("k", 1, "v"));
        calls.put("remove", () -> map.remove("k"));
        calls.put("remove version", () -> map.remove("k", 1));
        calls.put("size", map::size);
        calls.put("clear", map::clear);
        calls.put("asMap put", () -> map.asMap().put("k", "v"));
        calls.put("asMap iteration", () -> map.asMap().keySet().iterator().hasNext());
        calls.put("addListener", () -> map.addListener(new ChangeListener<>() {
        }));
        calls.put("ping", client::ping);
        calls.put("stats", client::stats);
        calls.put("hashCheck", () -> client.hashCheck(new byte[] {1}));
        for (Map.Entry<String, Executable> call : calls.entrySet()) { // warm-up: class loading, JIT
            assertThrows(RequestTimeoutException.class, call.getValue(), call.getKey());
        }
        for (Map.Entry<String, Executable> call : calls.entrySet()) {
            assertOnTime(call.getKey(), TIMEOUT_MS + SLACK_MS, () -> {
                long start = System.nanoTime();
                RequestTimeoutException e = assertThrows(RequestTimeoutException.class, call.getValue(), call.getKey());
                long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(tookMs >= TIMEOUT_MS - 1, call.getKey() + " gave up early, after " + tookMs + " ms");
                assertTrue(e.getMessage().contains(node.address()) && e.getMessage().contains(TIMEOUT_MS + " ms"),
                        e.getMessage());
                return tookMs;
            });
        }
        assertTrue(assertThrows(RequestTimeoutException.class, () -> map.put("k", "v")).isWrite());
        assertFalse(assertThrows(RequestTimeoutException.class, () -> map.get("k")).isWrite());
        assertTrue(assertThrows(RequestTimeoutException.class, () -> map.put("k", "v")).getMessage()
                .contains("may or may not have been applied"));
    }

    @Test
    void asyncFuturesCompleteAtTheirTimeout() {
        FakeNode node = silentNode();
        node.script = (c, frame) -> frame.body() instanceof Request.Get;
        ShoalClient client = client(node);
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        map.put("warm", "up");
        for (int round = 0; round < 2; round++) {
            boolean warmUp = round == 0;
            assertOnTime("the slowest of 500 pipelined calls", warmUp ? Long.MAX_VALUE : TIMEOUT_MS + SLACK_MS, () -> {
                int n = 500;
                long[] started = new long[n];
                long[] ended = new long[n];
                List<CompletableFuture<String>> futures = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    int index = i;
                    started[i] = System.nanoTime();
                    futures.add(map.getAsync("k" + i).whenComplete((value, failure) -> ended[index] = System.nanoTime()));
                }
                long slowest = 0;
                for (int i = 0; i < n; i++) {
                    CompletableFuture<String> future = futures.get(i);
                    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
                    assertInstanceOf(RequestTimeoutException.class, e.getCause());
                    long tookMs = TimeUnit.NANOSECONDS.toMillis(ended[i] - started[i]);
                    assertTrue(tookMs >= TIMEOUT_MS - 1, "call " + i + " gave up early, after " + tookMs + " ms");
                    slowest = Math.max(slowest, tookMs);
                }
                return slowest;
            });
        }
        assertEquals("up", map.getEntry("warm").value(), "the connection is still usable");
    }

    @Test
    void aLateReplyIsIgnored() {
        FakeNode node = closeLater(FakeNode.start("slow"));
        node.script = (c, frame) -> {
            if (frame.body() instanceof Request.Get get && new String(get.key(), java.nio.charset.StandardCharsets.UTF_8).equals("slow")) {
                c.replyLater(frame, TIMEOUT_MS + 200);
                return true;
            }
            return false;
        };
        ShoalClient client = client(node);
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        map.put("slow", "1");
        assertThrows(RequestTimeoutException.class, () -> map.get("slow"));
        await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ofMillis(300)).until(() -> true);
        map.put("fast", "2");
        assertEquals("2", map.get("fast"));
    }

    @Test
    void callsMadeWhileNoNodeIsReachableEndAtTheirTimeout() {
        FakeNode node = closeLater(FakeNode.start("dies"));
        ShoalClient client = client(node);
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        map.put("k", "v");
        node.kill();
        await().atMost(Duration.ofSeconds(5)).until(() -> client.connectedNode().isEmpty());
        assertThrows(RequestTimeoutException.class, () -> map.get("k")); // warm-up
        assertOnTime("get while disconnected", TIMEOUT_MS + SLACK_MS, () -> {
            long start = System.nanoTime();
            RequestTimeoutException e = assertThrows(RequestTimeoutException.class, () -> map.get("k"));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(tookMs >= TIMEOUT_MS - 1, "gave up early, after " + tookMs + " ms");
            assertTrue(e.getMessage().contains("not connected to any node"), e.getMessage());
            return tookMs;
        });
        assertOnTime("putAsync while disconnected", TIMEOUT_MS + SLACK_MS, () -> {
            long start = System.nanoTime();
            long[] ended = new long[1];
            CompletableFuture<Long> put = map.putAsync("k", "w").whenComplete((v, failure) -> ended[0] = System.nanoTime());
            ExecutionException e = assertThrows(ExecutionException.class, () -> put.get(5, TimeUnit.SECONDS));
            assertInstanceOf(RequestTimeoutException.class, e.getCause());
            return TimeUnit.NANOSECONDS.toMillis(ended[0] - start);
        });
    }

    @Test
    void connectGivesUpAfterTheConnectTimeout() {
        FakeNode mute = closeLater(FakeNode.start("mute"));
        mute.script = (c, frame) -> true; // accepts TCP, never answers HELLO
        FakeNode mute2 = closeLater(FakeNode.start("mute2"));
        mute2.script = mute.script;
        for (int round = 0; round < 2; round++) {
            assertOnTime("connect to two mute nodes", round == 0 ? Long.MAX_VALUE : 2 * TIMEOUT_MS + 2 * SLACK_MS, () -> {
                long start = System.nanoTime();
                ShoalException e = assertThrows(ShoalException.class, () -> closeLater(ShoalClient.connect(
                        Clients.config(mute, mute2).connectTimeout(Duration.ofMillis(TIMEOUT_MS)).build())));
                long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(tookMs >= 2 * TIMEOUT_MS - 1, "gave up after " + tookMs + " ms");
                assertTrue(e.getMessage().contains(mute.address()) && e.getMessage().contains(mute2.address())
                        && e.getMessage().contains("connect timeout"), e.getMessage());
                return tookMs;
            });
        }
    }

    @Test
    void noSynchronousCallOutlivesItsTimeoutWithManyCallers() throws Exception {
        FakeNode node = closeLater(FakeNode.start("half"));
        node.script = (c, frame) -> frame.body() instanceof Request.Get get && get.key()[get.key().length - 1] % 2 == 0;
        ShoalClient client = client(node);
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        map.get("1");
        assertThrows(RequestTimeoutException.class, () -> map.get("2"));
        assertOnTime("the slowest of 80 calls from 8 threads", TIMEOUT_MS + SLACK_MS, () -> {
            List<Thread> threads = new ArrayList<>();
            AtomicLong slowest = new AtomicLong();
            for (int t = 0; t < 8; t++) {
                Thread thread = new Thread(() -> {
                    for (int i = 0; i < 10; i++) {
                        long start = System.nanoTime();
                        try {
                            map.get(String.valueOf(i));
                        } catch (RequestTimeoutException e) {
                            // the even keys
                        }
                        slowest.accumulateAndGet(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), Math::max);
                    }
                });
                thread.start();
                threads.add(thread);
            }
            for (Thread thread : threads) {
                try {
                    thread.join(TimeUnit.SECONDS.toMillis(60));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                if (thread.isAlive()) {
                    fail("a caller is stuck");
                }
            }
            return slowest.get();
        });
    }

    /**
     * Runs a timing measurement and passes if it is within {@code boundMs} plus the lateness of a
     * control thread that parks for the request timeout, again and again, while the measurement
     * runs: that is how late this JVM on this machine wakes a waiting thread right now (a busy
     * build machine with two cores, a GC pause), which the client cannot beat. Up to three runs; a
     * client that is late by itself fails every one.
     */
    static void assertOnTime(String what, long boundMs, LongSupplier measureMs) {
        List<String> seen = new ArrayList<>();
        for (int attempt = 0; attempt < 3; attempt++) {
            WakeUpControl control = new WakeUpControl();
            long tookMs;
            try {
                tookMs = measureMs.getAsLong();
            } finally {
                control.stop();
            }
            long allowedMs = boundMs == Long.MAX_VALUE ? boundMs : boundMs + control.maxLateMs();
            seen.add(tookMs + " ms (allowed " + allowedMs + ")");
            if (tookMs <= allowedMs) {
                return;
            }
        }
        fail(what + " took " + seen + " in three runs; allowed: " + boundMs
                + " ms plus how late a parked control thread woke meanwhile");
    }

    /** A thread that parks for the request timeout, again and again, and records how late it wakes. */
    private static final class WakeUpControl {
        private final AtomicLong maxLateNanos = new AtomicLong();
        private volatile boolean stopped;
        private final Thread thread = new Thread(this::run, "wake-up-control");

        WakeUpControl() {
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            long period = TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
            while (!stopped) {
                long start = System.nanoTime();
                long deadline = start + period;
                long left;
                while ((left = deadline - System.nanoTime()) > 0 && !stopped) {
                    java.util.concurrent.locks.LockSupport.parkNanos(left);
                }
                if (!stopped) {
                    long late = System.nanoTime() - deadline;
                    maxLateNanos.accumulateAndGet(late, Math::max);
                }
            }
        }

        void stop() {
            stopped = true;
            java.util.concurrent.locks.LockSupport.unpark(thread);
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        long maxLateMs() {
            return TimeUnit.NANOSECONDS.toMillis(maxLateNanos.get());
        }
    }
}
