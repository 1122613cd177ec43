package io.shoal.client;

import io.shoal.ChangeEvent;
import io.shoal.ChangeListener;
import io.shoal.ChangeType;
import io.shoal.EntryTooLargeException;
import io.shoal.KeyHash;
import io.shoal.MemoryLimitExceededException;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalEntry;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The client against a real node serving over TCP: the assertions of engine-core's
 * {@code ShoalMapTest}, through the client, and what the node and the client see of each other's
 * writes. The node's maps read in-process and through the client are the same data.
 */
@Timeout(120)
class EndToEndTest {
    private static final List<String> KRYO_CLASSES = List.of(ClientPoint.class.getName(), ArrayList.class.getName());
    private ShoalNode node;
    private ShoalClient client;

    static ShoalConfig.Builder nodeConfig() {
        return ShoalConfig.builder()
                .bucketCount(16)
                .set("memory.maxBytes", "256m")
                .set("store.entriesPerBucket", 256)
                .set("transport", "tcp")
                .set("server.port", 0)
                .set("codec.kryo.classes", KRYO_CLASSES);
    }

    static ClientConfig.Builder clientConfig(ShoalNode... nodes) {
        List<String> addresses = new ArrayList<>();
        for (ShoalNode n : nodes) {
            addresses.add(n.serverAddress().orElseThrow());
        }
        return ClientConfig.builder().nodes(addresses).kryoClassNames(KRYO_CLASSES)
                .requestTimeout(Duration.ofSeconds(10))
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200));
    }

    @BeforeEach
    void start() {
        node = Shoal.start(nodeConfig().build());
        client = ShoalClient.connect(clientConfig(node).build());
    }

    @AfterEach
    void stop() {
        client.close();
        node.close();
    }

    @Test
    void putGetRemoveAndMetadata() {
        ShoalMap<String, String> map = client.map("users", String.class, String.class);
        assertNull(map.get("ada"));
        long v1 = map.put("ada", "Ada");
        assertEquals("Ada", map.get("ada"));
        long v2 = map.put("ada", "Ada Lovelace");
        assertTrue(v2 > v1);
        ShoalEntry<String, String> entry = map.getEntry("ada");
        assertEquals(v2, entry.version());
        assertEquals("Ada Lovelace", entry.value());
        assertEquals(KeyHash.hashUtf8("Ada Lovelace"), entry.valueHash());
        assertEquals(0, entry.expiresAtMs());
        assertEquals(1, map.size());
        assertTrue(map.remove("ada"));
        assertFalse(map.remove("ada"));
        assertNull(map.get("ada"));
        assertEquals(0, map.size());
        long v3 = map.put("ada", "again");
        assertTrue(v3 > v2, "a re-created key gets a higher version than before its removal");
        assertEquals("again", node.map("users", String.class, String.class).get("ada"), "the node's own data");
    }

    @Test
    void mapsAreSeparateKeyspaces() {
        ShoalMap<String, String> a = client.map("a", String.class, String.class);
        ShoalMap<String, String> b = client.map("b", String.class, String.class);
        a.put("k", "from a");
        b.put("k", "from b");
        assertEquals("from a", a.get("k"));
        assertEquals("from b", b.get("k"));
        assertEquals(1, a.size());
    }

    @Test
    void checkAndSet() {
        ShoalMap<String, Long> map = client.map("counters", String.class, Long.class);
        map.put("c", 1L);
        ShoalEntry<String, Long> read = map.getEntry("c");
        map.put("c", 5L);
        assertFalse(map.replace("c", read.version(), 2L));
        assertEquals(5L, map.get("c"));
        ShoalEntry<String, Long> fresh = map.getEntry("c");
        assertTrue(map.replace("c", fresh.version(), 6L));
        assertFalse(map.remove("c", fresh.version()));
        assertTrue(map.remove("c", map.getEntry("c").version()));
        assertNull(map.putIfAbsent("c", 1L));
        assertEquals(1L, map.putIfAbsent("c", 2L));
        // the same answers as the node gives in-process
        ShoalMap<String, Long> local = node.map("counters", String.class, Long.class);
        ShoalEntry<String, Long> now = local.getEntry("c");
        assertFalse(map.replace("c", now.version() - 1, 9L));
        assertTrue(map.replace("c", now.version(), 9L));
        assertEquals(9L, local.get("c"));
        assertFalse(local.replace("c", now.version(), 10L), "the client's write moved the version");
    }

    @Test
    void concurrentCheckAndSetLetsOneWriterWinPerVersion() throws Exception {
        ShoalMap<String, Long> map = client.map("cas", String.class, Long.class);
        map.put("n", 0L);
        int threads = 4;
        int incrementsEach = 100;
        AtomicInteger lost = new AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(new Thread(() -> {
                for (int i = 0; i < incrementsEach; i++) {
                    for (int attempt = 0; ; attempt++) {
                        ShoalEntry<String, Long> e = map.getEntry("n");
                        if (map.replace("n", e.version(), e.value() + 1)) {
                            break;
                        }
                        lost.incrementAndGet();
                        if (attempt > 10_000) {
                            throw new AssertionError("no progress");
                        }
                    }
                }
            }));
        }
        workers.forEach(Thread::start);
        for (Thread worker : workers) {
            worker.join(60_000);
        }
        assertEquals((long) threads * incrementsEach, map.get("n"), "no increment lost (" + lost + " retries)");
    }

    @Test
    void typedMaps() {
        ShoalMap<Long, byte[]> bytes = client.map("big", Long.class, byte[].class);
        byte[] value = new byte[300];
        for (long i = 0; i < 2_000; i++) {
            bytes.putAsync(i, value);
        }
        assertEquals(2_000, bytes.size());
        byte[] large = new byte[1 << 20];
        large[12345] = 7;
        bytes.put(-1L, large);
        assertArrayEquals(large, bytes.get(-1L));
        assertArrayEquals(large, node.map("big", Long.class, byte[].class).get(-1L));

        ShoalMap<String, ClientPoint> points = client.map("points", String.class, ClientPoint.class);
        ClientPoint p = new ClientPoint("home", 3, List.of("a", "b"));
        points.put("p", p);
        assertEquals(p, points.get("p"));
        assertEquals(p, node.map("points", String.class, ClientPoint.class).get("p"), "the node reads the client's Kryo bytes");
        node.map("points", String.class, ClientPoint.class).put("q", new ClientPoint("node", 1, List.of()));
        assertEquals("node", points.get("q").label);
    }

    @Test
    void ttlExpires() {
        ShoalMap<String, String> map = client.map("sessions", String.class, String.class);
        map.put("s", "x", Duration.ofMillis(50));
        ShoalEntry<String, String> entry = map.getEntry("s");
        assertTrue(entry == null || entry.expiresAtMs() > 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> map.get("s") == null);
        assertFalse(map.containsKey("s"));
        await().atMost(Duration.ofSeconds(5)).until(() -> map.size() == 0);
    }

    @Test
    void listenersSeeEventsInOrder() {
        ShoalMap<String, String> map = client.map("events", String.class, String.class);
        List<ChangeEvent<String, String>> seen = new CopyOnWriteArrayList<>();
        map.addKeyListener("k", new ChangeListener<>() {
            @Override
            public void onChange(ChangeEvent<String, String> event) {
                seen.add(event);
            }
        });
        for (int i = 0; i < 100; i++) {
            map.put("k", "v" + i);
        }
        map.put("other", "x");
        map.remove("k");
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 101);
        assertEquals(ChangeType.CREATED, seen.get(0).type());
        assertEquals(ChangeType.UPDATED, seen.get(1).type());
        assertEquals(ChangeType.REMOVED, seen.get(100).type());
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i).sequence() > seen.get(i - 1).sequence());
        }
        assertEquals("v99", seen.get(99).value());
        // writes made in-process reach the remote listener too
        node.map("events", String.class, String.class).put("k", "from the node");
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 102);
        assertEquals("from the node", seen.get(101).value());
    }

    @Test
    void limitsComeBackAsTheInProcessExceptions() {
        try (ShoalNode small = Shoal.start(nodeConfig().maxMemoryBytes(1 << 20).set("store.maxValueBytes", "64k").build());
             ShoalClient remote = ShoalClient.connect(clientConfig(small).build())) {
            ShoalMap<Integer, byte[]> map = remote.map("full", Integer.class, byte[].class);
            assertThrows(EntryTooLargeException.class, () -> map.put(-1, new byte[100_000]));
            byte[] value = new byte[1000];
            int stored = 0;
            try {
                while (stored < 10_000) {
                    map.put(stored, value);
                    stored++;
                }
                fail("the limit was never reached");
            } catch (MemoryLimitExceededException expected) {
                assertTrue(expected.getMessage().contains("1048576"), expected.getMessage());
            }
            assertTrue(stored > 500, "stored " + stored);
        }
    }

    @Test
    void asMapIteratesEveryBucket() {
        ShoalMap<String, String> map = client.map("view", String.class, String.class);
        Map<String, String> expected = new HashMap<>();
        for (int i = 0; i < 3_000; i++) {
            expected.put("key-" + i, "value-" + i);
        }
        map.asMap().putAll(expected);
        assertEquals(expected, new HashMap<>(map.asMap()));
        assertEquals(expected, new HashMap<>(node.map("view", String.class, String.class).asMap()));
        assertEquals("value-1", map.asMap().put("key-1", "changed"));
        assertEquals("changed", map.asMap().remove("key-1"));
    }

    @Test
    void nodeInformation() {
        client.map("m", String.class, String.class).put("k", "v");
        assertTrue(client.stats().getOrDefault("entries", 0L) >= 1, client.stats().toString());
        byte[] data = "k".getBytes(StandardCharsets.UTF_8);
        assertEquals(KeyHash.hash(data), client.hashCheck(data).hash());
        assertTrue(client.ping().toMillis() < 5_000);
    }

    @Test
    void pipeliningPays() throws Exception {
        Pipelining.assertPipelinedIsFasterThanOneAtATime(client.map("bench", Long.class, byte[].class));
    }

    @Test
    void aNodeThatStopsSaysGoodbyeAndTheClientMovesToTheNext() {
        try (ShoalNode second = Shoal.start(nodeConfig().build());
             ShoalClient both = ShoalClient.connect(clientConfig(node, second).build())) {
            ShoalMap<String, String> map = both.map("m", String.class, String.class);
            AtomicInteger missed = new AtomicInteger();
            List<String> seen = new CopyOnWriteArrayList<>();
            map.addListener(new ChangeListener<>() {
                @Override
                public void onChange(ChangeEvent<String, String> event) {
                    seen.add(event.value());
                }

                @Override
                public void onEventsMissed() {
                    missed.incrementAndGet();
                }
            });
            map.put("k", "on the first");
            assertEquals(node.serverAddress().orElseThrow(), both.connectedNode().orElseThrow());
            node.close();
            await().atMost(Duration.ofSeconds(10)).until(() -> both.connectedNode()
                    .equals(second.serverAddress()));
            await().atMost(Duration.ofSeconds(5)).until(() -> missed.get() == 1);
            map.put("k", "on the second");
            assertEquals("on the second", second.map("m", String.class, String.class).get("k"));
            await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains("on the second"));
        } finally {
            node = Shoal.start(nodeConfig().build()); // for stop()
        }
    }
}
