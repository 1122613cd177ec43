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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void pipeliningPays() throws Exception {
        Pipelining.assertPipelinedIsFasterThanOneAtATime(client.map("bench", Long.class, byte[].class));
    }
}
