package io.shoal.client;

import io.shoal.ChangeEvent;
import io.shoal.ChangeListener;
import io.shoal.ChangeType;
import io.shoal.CodecException;
import io.shoal.KeyHash;
import io.shoal.NodeClosedException;
import io.shoal.ShoalEntry;
import io.shoal.ShoalMap;
import io.shoal.Subscription;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every {@link ShoalMap} operation through the client, against a {@link FakeNode}. */
@Timeout(60)
class RemoteMapTest {
    private FakeNode node;
    private ShoalClient client;

    @BeforeEach
    void start() {
        node = FakeNode.start("n1");
        client = ShoalClient.connect(Clients.config(node).kryoClasses(ClientPoint.class, ArrayList.class).build());
    }

    @AfterEach
    void stop() {
        client.close();
        node.close();
    }

    @Test
    void putGetRemoveAndMetadata() {
        ShoalMap<String, String> map = client.map("users", String.class, String.class);
        assertEquals("users", map.name());
        assertNull(map.get("ada"));
        assertNull(map.getEntry("ada"));
        long v1 = map.put("ada", "Ada");
        assertEquals("Ada", map.get("ada"));
        long v2 = map.put("ada", "Ada Lovelace");
        assertTrue(v2 > v1);
        ShoalEntry<String, String> entry = map.getEntry("ada");
        assertEquals("ada", entry.key());
        assertEquals(v2, entry.version());
        assertEquals("Ada Lovelace", entry.value());
        assertEquals(KeyHash.hashUtf8("Ada Lovelace"), entry.valueHash());
        assertEquals(0, entry.expiresAtMs());
        assertTrue(map.containsKey("ada"));
        assertEquals(1, map.size());
        assertTrue(map.remove("ada"));
        assertFalse(map.remove("ada"));
        assertNull(map.get("ada"));
        assertFalse(map.containsKey("ada"));
        assertEquals(0, map.size());
        assertTrue(map.put("ada", "again") > v2, "a re-created key gets a higher version");
        map.clear();
        assertEquals(0, map.size());
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
        assertFalse(map.replace("c", 1, 7L), "no value: nothing to replace");
        assertFalse(map.remove("c", -5), "a negative version matches nothing");
        assertNull(map.putIfAbsent("c", 1L));
        assertEquals(1L, map.putIfAbsent("c", 2L));
    }

    @Test
    void typedMaps() {
        ShoalMap<Long, byte[]> bytes = client.map("bytes", Long.class, byte[].class);
        byte[] value = {1, 2, 3, -1};
        bytes.put(42L, value);
        assertArrayEquals(value, bytes.get(42L));
        ShoalMap<Integer, Integer> ints = client.map("ints", Integer.class, Integer.class);
        ints.put(-7, 7);
        assertEquals(7, ints.get(-7));
        ShoalMap<String, ClientPoint> points = client.map("points", String.class, ClientPoint.class);
        ClientPoint p = new ClientPoint("home", 3, List.of("a", "b"));
        points.put("p", p);
        assertEquals(p, points.get("p"));
        assertEquals(p, points.getEntry("p").value());
        // the same name is the same data, whatever the codecs: a Long is 8 bytes big-endian on the wire
        ShoalMap<byte[], byte[]> raw = client.map("bytes", byte[].class, byte[].class);
        assertArrayEquals(value, raw.get(new byte[] {0, 0, 0, 0, 0, 0, 0, 42}));
    }

    @Test
    void codecAndArgumentErrorsAreTheInProcessOnes() {
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        assertThrows(NullPointerException.class, () -> map.get(null));
        assertThrows(NullPointerException.class, () -> map.put("k", null));
        assertThrows(IllegalArgumentException.class, () -> map.put("k", "v", Duration.ofSeconds(-1)));
        assertThrows(CodecException.class, () -> map.put("\ud800", "lone surrogate"));
        assertThrows(CodecException.class, () -> client.map("m", String.class, Thread.class));
        assertThrows(IllegalArgumentException.class, () -> client.map("", String.class, String.class));
        assertThrows(IllegalArgumentException.class, () -> client.map("a\nb", String.class, String.class));
        CompletableFuture<Long> failed = map.putAsync(null, "v");
        ExecutionException e = assertThrows(ExecutionException.class, failed::get);
        assertInstanceOf(NullPointerException.class, e.getCause());
        ShoalMap<String, ClientPoint> points = client.map("points", String.class, ClientPoint.class);
        ShoalMap<String, byte[]> raw = client.map("points", String.class, byte[].class);
        raw.put("garbage", new byte[] {(byte) 0xFF, 1});
        assertThrows(CodecException.class, () -> points.get("garbage"));
    }

    @Test
    void ttlIsSent() {
        ShoalMap<String, String> map = client.map("sessions", String.class, String.class);
        long before = System.currentTimeMillis();
        map.put("s", "x", Duration.ofMinutes(1));
        long expires = map.getEntry("s").expiresAtMs();
        assertTrue(expires >= before + 60_000 && expires <= System.currentTimeMillis() + 60_000, "expires " + expires);
        map.put("short", "x", Duration.ofMillis(30));
        await().atMost(Duration.ofSeconds(5)).until(() -> map.get("short") == null);
    }

    @Test
    void asyncVariants() throws Exception {
        ShoalMap<String, String> map = client.map("async", String.class, String.class);
        long v = map.putAsync("k", "v").get();
        assertEquals("v", map.getAsync("k").get());
        assertEquals(v, map.getEntryAsync("k").get().version());
        assertEquals("v", map.putIfAbsentAsync("k", "w").get());
        assertTrue(map.replaceAsync("k", v, "w").get());
        assertFalse(map.removeAsync("k", v).get());
        assertTrue(map.putAsync("t", "x", Duration.ofMinutes(1)).get() > 0);
        assertTrue(map.removeAsync("k").get());
        assertNull(map.getAsync("k").get());
        assertNull(map.getEntryAsync("k").get());
    }

    @Test
    void asMapView() {
        ShoalMap<String, String> map = client.map("view", String.class, String.class);
        ConcurrentMap<String, String> view = map.asMap();
        assertNull(view.put("a", "1"));
        assertEquals("1", view.put("a", "2"));
        assertEquals("2", view.putIfAbsent("a", "3"));
        assertTrue(view.replace("a", "2", "4"));
        assertEquals("4", view.replace("a", "5"));
        assertFalse(view.remove("a", "4"));
        assertEquals("5", view.remove("a"));
        assertNull(view.get(42), "a key of another type is absent");
        Map<String, String> expected = new HashMap<>();
        for (int i = 0; i < 1_000; i++) {
            expected.put("key-" + i, "value-" + i);
        }
        view.putAll(expected);
        assertEquals(expected, new HashMap<>(view), "iteration over every bucket, in pages");
        assertEquals(1_000, view.size());
        view.keySet().removeIf(k -> k.endsWith("7"));
        assertEquals(900, view.size());
        view.compute("key-1", (k, old) -> old + "!");
        assertEquals("value-1!", view.get("key-1"));
        view.clear();
        assertTrue(view.isEmpty());
    }

    @Test
    void listenersGetDecodedEventsInOrderOffTheIoThread() {
        ShoalMap<String, String> map = client.map("events", String.class, String.class);
        List<ChangeEvent<String, String>> seen = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        Subscription key = map.addKeyListener("k", new ChangeListener<>() {
            @Override
            public void onChange(ChangeEvent<String, String> event) {
                seen.add(event);
                threads.add(Thread.currentThread().getName());
            }
        });
        List<ChangeEvent<String, String>> prefixed = new CopyOnWriteArrayList<>();
        map.addPrefixListener("pre", new ChangeListener<>() {
            @Override
            public void onChange(ChangeEvent<String, String> event) {
                prefixed.add(event);
            }
        });
        List<ChangeEvent<String, String>> all = new CopyOnWriteArrayList<>();
        map.addListener(new ChangeListener<>() {
            @Override
            public void onChange(ChangeEvent<String, String> event) {
                all.add(event);
            }
        });
        for (int i = 0; i < 100; i++) {
            map.put("k", "v" + i);
        }
        map.put("prefix-1", "x");
        map.put("other", "x");
        map.remove("k");
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 101 && all.size() == 103);
        assertEquals(ChangeType.CREATED, seen.get(0).type());
        assertEquals(ChangeType.UPDATED, seen.get(1).type());
        assertEquals(ChangeType.REMOVED, seen.get(100).type());
        assertNull(seen.get(100).value());
        assertEquals("v99", seen.get(99).value());
        assertEquals("events", seen.get(0).mapName());
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i).sequence() > seen.get(i - 1).sequence());
        }
        assertTrue(threads.stream().allMatch(t -> t.endsWith("-events")), threads.get(0));
        await().atMost(Duration.ofSeconds(5)).until(() -> prefixed.size() == 1);
        assertEquals("prefix-1", prefixed.get(0).key());

        key.close();
        key.close(); // idempotent
        map.put("k", "after close");
        map.put("prefix-2", "y");
        await().atMost(Duration.ofSeconds(5)).until(() -> prefixed.size() == 2);
        assertEquals(101, seen.size(), "no event after close");
        await().atMost(Duration.ofSeconds(5)).until(() -> node.requestsOf(io.shoal.protocol.Request.Unsubscribe.class) == 1);
    }

    @Test
    void aListenerThatThrowsKeepsGettingEvents() {
        ShoalMap<String, String> map = client.map("throwing", String.class, String.class);
        List<String> seen = new CopyOnWriteArrayList<>();
        map.addListener(new ChangeListener<>() {
            @Override
            public void onChange(ChangeEvent<String, String> event) {
                seen.add(event.key());
                throw new IllegalStateException("listener bug");
            }
        });
        map.put("a", "1");
        map.put("b", "2");
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.equals(List.of("a", "b")));
    }

    @Test
    void nodeInformation() {
        assertTrue(client.ping().compareTo(Duration.ofSeconds(5)) < 0);
        client.map("m", String.class, String.class).put("k", "v");
        Map<String, Long> stats = client.stats();
        assertEquals(1L, stats.get("entries"));
        assertEquals(7L, stats.get("someFutureCounter"));
        byte[] data = "k".getBytes(StandardCharsets.UTF_8);
        assertEquals(KeyHash.hash(data), client.hashCheck(data).hash());
        assertEquals(List.of(node.address()), client.nodes());
        assertEquals(node.address(), client.connectedNode().orElseThrow());
        assertFalse(client.isClosed());
        assertNotNull(client.toString());
    }

    @Test
    void serverInfoAddsNodes() {
        FakeNode other = FakeNode.start("n2");
        try {
            other.serverInfo = FakeNode.nodes("n2", other.address(), "n3", "127.0.0.1:1");
            try (ShoalClient second = Clients.connect(other)) {
                await().atMost(Duration.ofSeconds(5)).until(() -> second.nodes().size() == 2);
                assertEquals(List.of(other.address(), "127.0.0.1:1"), second.nodes());
            }
        } finally {
            other.close();
        }
    }

    @Test
    void callsAfterCloseThrowNodeClosed() {
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        client.close();
        client.close(); // idempotent
        assertTrue(client.isClosed());
        assertThrows(NodeClosedException.class, () -> map.get("k"));
        assertThrows(NodeClosedException.class, () -> map.addListener(new ChangeListener<>() {
        }));
        ExecutionException e = assertThrows(ExecutionException.class, () -> map.putAsync("k", "v").get());
        assertInstanceOf(NodeClosedException.class, e.getCause());
        assertTrue(client.connectedNode().isEmpty());
    }
}
