package io.shoal.core;

import io.shoal.KeyHash;
import io.shoal.ShoalNode;
import io.shoal.protocol.Condition;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.Frame;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every data and information command over TCP, and the errors they map to (docs/protocol.md 4.2, 4.4, 5). */
class ServerDataTest {
    private static final int MAX_KEY_BYTES = 1024;
    private static final int MAX_VALUE_BYTES = 64 * 1024;
    private static final int MAX_FRAME_BYTES = 256 * 1024;
    private static ShoalNode node;
    private final List<RawClient> clients = new ArrayList<>();
    private RawClient client;

    @BeforeAll
    static void startNode() {
        node = ServerNodes.start(Map.of("node.id", "data-1", "store.maxKeyBytes", MAX_KEY_BYTES,
                "store.maxValueBytes", MAX_VALUE_BYTES, "server.maxFrameBytes", MAX_FRAME_BYTES,
                "expiry.sweepIntervalMs", 20));
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @BeforeEach
    void connect() {
        client = connected();
    }

    @AfterEach
    void closeClients() {
        clients.forEach(RawClient::close);
    }

    private RawClient connected() {
        RawClient c = RawClient.connect(ServerNodes.address(node));
        clients.add(c);
        c.hello();
        return c;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private long put(String map, String key, String value) {
        return client.call(new Request.Put(map, b(key), b(value), 0), Reply.Put.class).version();
    }

    @Test
    void putGetGetEntryContains() {
        assertEquals(new Reply.Get(false, null), client.call(new Request.Get("basics", b("k")), Reply.Get.class));
        assertFalse(client.call(new Request.Contains("basics", b("k")), Reply.Contains.class).found());
        long before = System.currentTimeMillis();
        long version = put("basics", "k", "v");
        assertTrue(version > 0);
        assertArrayEquals(b("v"), client.call(new Request.Get("basics", b("k")), Reply.Get.class).value());
        assertTrue(client.call(new Request.Contains("basics", b("k")), Reply.Contains.class).found());
        Reply.GetEntry entry = client.call(new Request.GetEntry("basics", b("k")), Reply.GetEntry.class);
        assertTrue(entry.found());
        assertEquals(version, entry.version());
        assertEquals(KeyHash.hash(b("v")), entry.valueHash());
        assertTrue(entry.timestampMs() >= before && entry.timestampMs() <= System.currentTimeMillis());
        assertEquals(0, entry.expiresAtMs());
        assertArrayEquals(b("v"), entry.value());
        assertTrue(put("basics", "k", "w") > version, "versions rise");
        assertEquals(new Reply.GetEntry(false, 0, 0, 0, 0, null),
                client.call(new Request.GetEntry("basics", b("absent")), Reply.GetEntry.class));
        assertEquals("w", node.map("basics", String.class, String.class).get("k"), "the same data as the embedded API");
    }

    @Test
    void emptyKeysAndValuesAndBinaryBytesRoundTrip() {
        byte[] key = {0, (byte) 0xFF, 0x7F, (byte) 0x80};
        client.call(new Request.Put("binary", new byte[0], new byte[0], 0), Reply.Put.class);
        client.call(new Request.Put("binary", key, key, 0), Reply.Put.class);
        assertArrayEquals(new byte[0], client.call(new Request.Get("binary", new byte[0]), Reply.Get.class).value());
        assertArrayEquals(key, client.call(new Request.Get("binary", key), Reply.Get.class).value());
    }

    @Test
    void timeToLive() {
        long before = System.currentTimeMillis();
        client.call(new Request.Put("ttl", b("long"), b("v"), 60_000), Reply.Put.class);
        long expiresAt = client.call(new Request.GetEntry("ttl", b("long")), Reply.GetEntry.class).expiresAtMs();
        assertTrue(expiresAt >= before + 60_000 && expiresAt <= System.currentTimeMillis() + 60_000, "expiresAt " + expiresAt);
        client.call(new Request.Put("ttl", b("short"), b("v"), 1), Reply.Put.class);
        await().atMost(Duration.ofSeconds(5)).until(() ->
                !client.call(new Request.Get("ttl", b("short")), Reply.Get.class).found());
    }

    @Test
    void negativeTtlIsAnInvalidArgumentAndTheConnectionStays() {
        ErrorReply error = client.expectRawError(RawSocket.Wire.request(0x13).str("ttl").bytes("k").bytes("v")
                .i64(-1).build(), ErrorCode.INVALID_ARGUMENT);
        assertTrue(error.message().contains("ttlMs"), error.message());
        assertEquals(1, client.call(new Request.Ping(1), Reply.Ping.class).payload());
    }

    @Test
    void putIfAbsent() {
        Reply.PutIfAbsent first = client.call(new Request.PutIfAbsent("pia", b("k"), b("v1"), 0), Reply.PutIfAbsent.class);
        assertTrue(first.applied());
        Reply.PutIfAbsent second = client.call(new Request.PutIfAbsent("pia", b("k"), b("v2"), 0), Reply.PutIfAbsent.class);
        assertEquals(new Reply.PutIfAbsent(false, first.version(), b("v1")), second);
        assertArrayEquals(b("v1"), client.call(new Request.Get("pia", b("k")), Reply.Get.class).value());
    }

    @Test
    void replaceWithEveryCondition() {
        assertEquals(new Reply.Replace(false, 0), replace("k", "x", Condition.NONE, 0), "nothing to replace");
        assertEquals(new Reply.Replace(false, 0), replace("k", "x", Condition.VERSION, 1));
        assertEquals(new Reply.Replace(false, 0), replace("k", "x", Condition.VALUE_HASH, KeyHash.hash(b("x"))));
        long v1 = put("replace", "k", "a");
        Reply.Replace any = replace("k", "b", Condition.NONE, 0);
        assertTrue(any.applied());
        assertTrue(any.version() > v1);
        assertEquals(new Reply.Replace(false, any.version()), replace("k", "c", Condition.VERSION, v1), "stale version");
        Reply.Replace byVersion = replace("k", "c", Condition.VERSION, any.version());
        assertTrue(byVersion.applied());
        assertEquals(new Reply.Replace(false, byVersion.version()),
                replace("k", "d", Condition.VALUE_HASH, KeyHash.hash(b("b"))), "stale value hash");
        Reply.Replace byHash = replace("k", "d", Condition.VALUE_HASH, KeyHash.hash(b("c")));
        assertTrue(byHash.applied());
        assertTrue(byHash.version() > byVersion.version());
        assertArrayEquals(b("d"), client.call(new Request.Get("replace", b("k")), Reply.Get.class).value());
        assertEquals(new Reply.Replace(false, byHash.version()), replace("k", "e", Condition.VERSION, -5));
    }

    private Reply.Replace replace(String key, String value, Condition condition, long expected) {
        return client.call(new Request.Replace("replace", b(key), b(value), 0, condition, expected), Reply.Replace.class);
    }

    @Test
    void removeWithEveryCondition() {
        assertEquals(new Reply.Remove(false, 0), remove("k", Condition.NONE, 0));
        long v1 = put("remove", "k", "a");
        assertEquals(new Reply.Remove(true, v1), remove("k", Condition.NONE, 0), "the removed value's version");
        assertNull(client.call(new Request.Get("remove", b("k")), Reply.Get.class).value());
        long v2 = put("remove", "k", "b");
        assertEquals(new Reply.Remove(false, v2), remove("k", Condition.VERSION, v1));
        assertEquals(new Reply.Remove(false, v2), remove("k", Condition.VERSION, -1), "a negative version matches nothing");
        assertEquals(new Reply.Remove(false, v2), remove("k", Condition.VERSION, 0));
        assertEquals(new Reply.Remove(true, v2), remove("k", Condition.VERSION, v2));
        long v3 = put("remove", "k", "c");
        assertEquals(new Reply.Remove(false, v3), remove("k", Condition.VALUE_HASH, KeyHash.hash(b("b"))));
        assertEquals(new Reply.Remove(true, v3), remove("k", Condition.VALUE_HASH, KeyHash.hash(b("c"))));
        assertEquals(new Reply.Remove(false, 0), remove("k", Condition.VALUE_HASH, KeyHash.hash(b("c"))));
        assertEquals(new Reply.Remove(false, 0), remove("k", Condition.VERSION, v3));
    }

    private Reply.Remove remove(String key, Condition condition, long expected) {
        return client.call(new Request.Remove("remove", b(key), condition, expected), Reply.Remove.class);
    }

    @Test
    void sizeAndClear() {
        for (int i = 0; i < 50; i++) {
            put("sized", "k" + i, "v");
        }
        for (int i = 0; i < 7; i++) {
            put("other", "k" + i, "v");
        }
        assertEquals(50, client.call(new Request.Size("sized"), Reply.Size.class).entries());
        client.call(new Request.Clear("sized"), Reply.Clear.class);
        assertEquals(0, client.call(new Request.Size("sized"), Reply.Size.class).entries());
        assertFalse(client.call(new Request.Contains("sized", b("k3")), Reply.Contains.class).found());
        assertEquals(7, client.call(new Request.Size("other"), Reply.Size.class).entries(), "other maps keep theirs");
        assertEquals(0, client.call(new Request.Size("never-written"), Reply.Size.class).entries());
    }

    @Test
    void scanPagesThroughEveryBucketInKeyHashOrder() {
        Map<String, Integer> bucketOf = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            String key = "key-" + i;
            put("scanned", key, "value-" + i);
            bucketOf.put(key, (int) (KeyHash.hash(b(key)) & 15));
        }
        put("not-scanned", "key-1", "x");
        Set<String> seen = new HashSet<>();
        for (int bucket = 0; bucket < 16; bucket++) {
            Request.ScanCursor cursor = null;
            long lastHash = 0;
            byte[] lastKey = null;
            for (int page = 0; page < 100; page++) {
                Reply.Scan scan = client.call(new Request.Scan("scanned", bucket, cursor, 7), Reply.Scan.class);
                assertTrue(scan.entries().size() <= 7);
                for (Reply.ScanEntry entry : scan.entries()) {
                    String key = new String(entry.key(), StandardCharsets.UTF_8);
                    long hash = KeyHash.hash(entry.key());
                    assertEquals(bucket, bucketOf.get(key), key + " is in its bucket");
                    assertTrue(seen.add(key), key + " seen twice");
                    assertArrayEquals(b("value-" + key.substring(4)), entry.value());
                    assertTrue(entry.version() > 0 && entry.timestampMs() > 0);
                    if (lastKey != null) {
                        int order = Long.compareUnsigned(lastHash, hash);
                        assertTrue(order < 0 || (order == 0 && Arrays.compareUnsigned(lastKey, entry.key()) < 0), "scan order");
                    }
                    lastHash = hash;
                    lastKey = entry.key();
                }
                if (!scan.more()) {
                    break;
                }
                assertFalse(scan.entries().isEmpty());
                cursor = new Request.ScanCursor(lastHash, lastKey);
            }
        }
        assertEquals(bucketOf.keySet(), seen);
    }

    @Test
    void aScanPageStopsAtTheFrameLimit() {
        byte[] value = new byte[40 * 1024];
        int bucket = -1;
        int written = 0;
        for (int i = 0; written < 12 && i < 10_000; i++) {
            byte[] key = b("big-" + i);
            int b = (int) (KeyHash.hash(key) & 15);
            if (bucket < 0) {
                bucket = b;
            }
            if (b == bucket) {
                client.call(new Request.Put("large", key, value, 0), Reply.Put.class);
                written++;
            }
        }
        Reply.Scan page = client.call(new Request.Scan("large", bucket, null, 100), Reply.Scan.class);
        int sizeBytes = io.shoal.protocol.ProtocolCodec.encodedSizeBytes(new Frame(1, page));
        assertTrue(sizeBytes <= MAX_FRAME_BYTES, sizeBytes + " bytes");
        assertTrue(sizeBytes + value.length + 32 > MAX_FRAME_BYTES, "as many as fit in server.maxFrameBytes: "
                + page.entries().size());
        assertTrue(page.more());
    }

    @Test
    void scanRefusesABucketOrPageSizeOutOfRange() {
        ErrorReply error = client.expectError(new Request.Scan("m", 16, null, 10), ErrorCode.INVALID_ARGUMENT);
        assertTrue(error.message().contains("bucket 16"), error.message());
        client.expectRawError(RawSocket.Wire.request(0x19).str("m").u32(0).u8(0).u32(0).build(),
                ErrorCode.INVALID_ARGUMENT);
        client.expectRawError(RawSocket.Wire.request(0x19).str("m").u32(0).u8(0).u32(65_537).build(),
                ErrorCode.INVALID_ARGUMENT);
        assertEquals(1, client.call(new Request.Ping(1), Reply.Ping.class).payload(), "still open");
    }

    @Test
    void hashCheckMatchesTheSpecVector() {
        Reply.HashCheck check = client.call(new Request.HashCheck(b("k")), Reply.HashCheck.class);
        assertEquals(0xc3d31922c50b1b63L, check.hash());
        assertEquals(0xc3d31922c50b1b63L & 15, check.bucket());
    }

    @Test
    void badMapNamesAreInvalidArgumentsAndNonAsciiNamesWork() {
        for (String name : List.of("", "tab\there", "x".repeat(256), "del\u007f", "c1\u0085")) {
            byte[] frame = RawSocket.Wire.request(0x10).str(name).bytes("k").build();
            client.expectRawError(frame, ErrorCode.INVALID_ARGUMENT);
        }
        client.call(new Request.Put("карта", b("k"), b("v"), 0), Reply.Put.class);
        assertArrayEquals(b("v"), client.call(new Request.Get("карта", b("k")), Reply.Get.class).value());
        assertTrue(node.mapNames().contains("карта"));
    }

    @Test
    void oversizedKeysAndValuesGetEntryTooLargeAndTheConnectionStays() {
        byte[] bigKey = new byte[MAX_KEY_BYTES + 1];
        client.expectError(new Request.Get("big", bigKey), ErrorCode.ENTRY_TOO_LARGE);
        client.expectError(new Request.Put("big", bigKey, b("v"), 0), ErrorCode.ENTRY_TOO_LARGE);
        ErrorReply value = client.expectError(new Request.Put("big", b("k"), new byte[MAX_VALUE_BYTES + 1], 0),
                ErrorCode.ENTRY_TOO_LARGE);
        assertTrue(value.message().contains("store.maxValueBytes"), value.message());
        client.expectError(new Request.Replace("big", b("k"), new byte[MAX_VALUE_BYTES + 1], 0, Condition.NONE, 0),
                ErrorCode.ENTRY_TOO_LARGE);
        client.call(new Request.Put("big", new byte[MAX_KEY_BYTES], new byte[MAX_VALUE_BYTES], 0), Reply.Put.class);
        assertEquals(MAX_VALUE_BYTES, client.call(new Request.Get("big", new byte[MAX_KEY_BYTES]), Reply.Get.class).value().length);
    }

    @Test
    void pipelinedRequestsAllGetTheirReplies() {
        int[] puts = new int[200];
        for (int i = 0; i < puts.length; i++) {
            puts[i] = client.send(new Request.Put("pipelined", b("k" + (i % 20)), b("v" + i), 0));
        }
        int[] gets = new int[200];
        for (int i = 0; i < gets.length; i++) {
            gets[i] = client.send(new Request.Get("pipelined", b("k" + (i % 20))));
        }
        long[] lastVersion = new long[20];
        for (int i = 0; i < puts.length; i++) {
            long version = assertInstanceOf(Reply.Put.class, client.replyTo(puts[i]).body()).version();
            assertTrue(version > lastVersion[i % 20], "versions of a key rise in request order");
            lastVersion[i % 20] = version;
        }
        for (int i = 0; i < gets.length; i++) {
            Reply.Get get = assertInstanceOf(Reply.Get.class, client.replyTo(gets[i]).body());
            assertArrayEquals(b("v" + (180 + i % 20)), get.value());
        }
    }

    @Test
    void statsAndLoadLevels() {
        put("stats", "k", "v");
        Map<String, Long> stats = new HashMap<>();
        for (Reply.Stat stat : client.call(new Request.Stats(), Reply.Stats.class).stats()) {
            stats.put(stat.name(), stat.value());
        }
        assertTrue(stats.keySet().containsAll(List.of("entries", "memoryUsedBytes", "memoryMaxBytes", "evictions",
                "expirations", "eventsDropped", "connections", "connectionsAccepted", "subscriptions",
                "subscriberEventsDropped", "requests", "opsPerSecond", "storeResizes", "bucketCount", "uptimeMs")), stats::toString);
        assertEquals(node.stats().entries(), stats.get("entries"));
        assertEquals(64L << 20, stats.get("memoryMaxBytes"));
        assertEquals(16, stats.get("bucketCount"));
        assertTrue(stats.get("connections") >= 1 && stats.get("requests") >= 1, stats::toString);

        List<Reply.LoadLevel> levels = client.call(new Request.LoadLevels(), Reply.LoadLevels.class).levels();
        assertEquals(1, levels.size());
        Reply.LoadLevel level = levels.get(0);
        assertEquals("data-1", level.nodeId());
        assertEquals(node.stats().entries(), level.entries());
        assertEquals(64L << 20, level.memoryMaxBytes());
        assertTrue(level.memoryUsedBytes() > 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            for (int i = 0; i < 20; i++) {
                client.send(new Request.Get("stats", b("k")));
            }
            return client.call(new Request.LoadLevels(), Reply.LoadLevels.class).levels().get(0).opsPerSecond() > 0;
        });
    }

    @Test
    void unknownOpcodeClosesTheConnection() {
        client.sendRaw(RawSocket.Wire.frame(0x7E, 0, 9).build());
        Frame reply = client.replyTo(9);
        ErrorReply error = assertInstanceOf(ErrorReply.class, reply.body());
        assertEquals(ErrorCode.UNKNOWN_OPCODE, error.code());
        assertEquals(0x7E, error.opcode());
        client.awaitClosed();
    }

    @Test
    void anotherClientIsServedWhileOneMisbehaves() {
        RawClient other = connected();
        client.sendRaw(new byte[] {0x10, 0, 0});
        client.awaitClosed();
        assertEquals(3, other.call(new Request.Ping(3), Reply.Ping.class).payload());
    }
}
