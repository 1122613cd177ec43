package io.shoal.client;

import io.shoal.ShoalMap;
import io.shoal.protocol.Frame;
import io.shoal.protocol.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Many requests in flight on one connection, replies in any order. */
@Timeout(120)
class PipeliningTest {
    private FakeNode node;
    private ShoalClient client;

    @BeforeEach
    void start() {
        node = FakeNode.start("n1");
        client = Clients.connect(node);
    }

    @AfterEach
    void stop() {
        client.close();
        node.close();
    }

    @Test
    void manyInFlightRepliesShuffled() throws Exception {
        ShoalMap<Integer, String> map = client.map("m", Integer.class, String.class);
        int n = 2_000;
        for (int i = 0; i < n; i++) {
            map.putAsync(i, "value-" + i);
        }
        map.put(-1, "barrier"); // replies of one connection all arrive; the puts above are done too
        List<Frame> held = Collections.synchronizedList(new ArrayList<>());
        node.script = (c, frame) -> {
            if (!(frame.body() instanceof Request.Get)) {
                return false;
            }
            held.add(frame);
            if (held.size() == n) { // every request is in flight: answer them in random order
                List<Frame> all = new ArrayList<>(held);
                Collections.shuffle(all, new Random(42));
                for (Frame request : all) {
                    c.send(c.process(request));
                }
            }
            return true;
        };
        List<CompletableFuture<String>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(map.getAsync(i));
        }
        for (int i = 0; i < n; i++) {
            assertEquals("value-" + i, futures.get(i).get(10, TimeUnit.SECONDS));
        }
        assertEquals(n, held.size(), "all were in flight at once");
        node.script = null;
        assertNull(map.get(n + 1));
    }

    @Test
    void concurrentSynchronousCallersShareTheConnection() throws Exception {
        ShoalMap<String, Long> map = client.map("m", String.class, Long.class);
        ConcurrentHashMap<String, Long> expected = new ConcurrentHashMap<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            threads.add(new Thread(() -> {
                try {
                    for (long i = 0; i < 500; i++) {
                        String key = thread + ":" + i;
                        map.put(key, i);
                        expected.put(key, i);
                        if (map.get(key) != i) {
                            throw new AssertionError("read " + map.get(key) + " for " + key);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(60));
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(expected, new java.util.HashMap<>(map.asMap()));
        assertEquals(1, node.accepted.get(), "one connection");
    }

    /**
     * A rough figure, not a benchmark: pipelined async puts and gets against the fake node (whose
     * store takes one lock) on loopback. Printed for the record; asserts only that pipelining is
     * far faster than one call at a time, measured in the same run.
     */
    @Test
    void pipelinedThroughput() throws Exception {
        ShoalMap<Long, byte[]> map = client.map("bench", Long.class, byte[].class);
        byte[] value = new byte[64];
        runPipelined(map, value, 20_000); // warm-up
        // Best of three rounds, each comparing the two ways in the same moment: the build machine's load varies.
        List<String> rounds = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            int syncOps = 5_000;
            long syncStart = System.nanoTime();
            for (long i = 0; i < syncOps; i++) {
                map.put(i, value);
            }
            double syncPerSecond = syncOps / ((System.nanoTime() - syncStart) / 1e9);
            int ops = 200_000;
            long start = System.nanoTime();
            runPipelined(map, value, ops);
            double perSecond = ops / ((System.nanoTime() - start) / 1e9);
            System.out.printf("PIPELINED %.0f ops/s (puts and gets, 64-byte values, 1024 in flight);"
                    + " one at a time %.0f ops/s%n", perSecond, syncPerSecond);
            rounds.add(Math.round(perSecond) + " vs " + Math.round(syncPerSecond));
            if (perSecond > 2 * syncPerSecond) {
                return;
            }
        }
        fail("pipelined vs one at a time, ops/s: " + rounds);
    }

    private static void runPipelined(ShoalMap<Long, byte[]> map, byte[] value, int ops) throws Exception {
        Semaphore window = new Semaphore(1024);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (long i = 0; i < ops; i++) {
            window.acquire();
            CompletableFuture<?> f = i % 2 == 0 ? map.putAsync(i / 2, value) : map.getAsync(i / 2);
            f.whenComplete((v, e) -> {
                if (e != null) {
                    failure.compareAndSet(null, e);
                }
                window.release();
            });
        }
        if (!window.tryAcquire(1024, 30, TimeUnit.SECONDS)) {
            throw new AssertionError("calls still in flight after 30 s");
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }
}
