package io.shoal.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The message records refuse what the wire cannot carry, compare arrays by content, and the
 * constants match the tables of docs/protocol.md.
 */
class ProtocolModelTest {
    private static final byte[] K = {1};
    private static final byte[] NONCE = new byte[32];

    private static void invalid(Executable construct) {
        assertThrows(IllegalArgumentException.class, construct);
    }

    @Test
    void opcodesAreTheSpecsTable() {
        Map<String, Integer> spec = new LinkedHashMap<>();
        spec.put("HELLO", 0x01);
        spec.put("AUTH", 0x02);
        spec.put("PING", 0x03);
        spec.put("GOODBYE", 0x04);
        spec.put("GET", 0x10);
        spec.put("GET_ENTRY", 0x11);
        spec.put("CONTAINS", 0x12);
        spec.put("PUT", 0x13);
        spec.put("PUT_IF_ABSENT", 0x14);
        spec.put("REPLACE", 0x15);
        spec.put("REMOVE", 0x16);
        spec.put("SIZE", 0x17);
        spec.put("CLEAR", 0x18);
        spec.put("SCAN", 0x19);
        spec.put("HASH_CHECK", 0x20);
        spec.put("SUBSCRIBE", 0x30);
        spec.put("UNSUBSCRIBE", 0x31);
        spec.put("EVENT", 0x32);
        spec.put("EVENTS_DROPPED", 0x33);
        spec.put("SERVER_INFO", 0x40);
        spec.put("STATS", 0x41);
        spec.put("LOAD_LEVELS", 0x42);
        spec.put("JOIN", 0x50);
        spec.put("VIEW", 0x51);
        spec.put("HEARTBEAT", 0x52);
        spec.put("TABLE", 0x53);
        spec.put("TABLE_FETCH", 0x54);
        spec.put("REPLICATE", 0x55);
        spec.put("MIGRATE_CHUNK", 0x56);
        spec.put("BUCKET_DIGEST", 0x57);
        spec.put("LEAVE", 0x58);
        spec.put("CLUSTER_STATE", 0x59);
        spec.put("FEED_DONE", 0x5A);
        assertEquals(spec, Arrays.stream(Opcode.values()).collect(Collectors.toMap(Opcode::name, Opcode::code,
                (a, b) -> a, LinkedHashMap::new)));
        assertEquals(List.of(Opcode.EVENT, Opcode.EVENTS_DROPPED, Opcode.SERVER_INFO),
                Arrays.stream(Opcode.values()).filter(Opcode::isPush).collect(Collectors.toList()));
        for (int code = 0; code < 256; code++) {
            Opcode opcode = Opcode.lookup(code);
            assertTrue(opcode == null || opcode.code() == code);
        }
        assertEquals(null, Opcode.lookup(0));
    }

    @Test
    void errorCodesAreTheSpecsTable() {
        Map<Integer, Boolean> closes = new LinkedHashMap<>();
        for (int code = 1; code <= 11; code++) {
            closes.put(code, true);
        }
        for (int code = 20; code <= 25; code++) {
            closes.put(code, false);
        }
        for (int code = 30; code <= 37; code++) {
            closes.put(code, false);
        }
        closes.put(99, false);
        assertEquals(closes, Arrays.stream(ErrorCode.values()).collect(Collectors.toMap(ErrorCode::code,
                ErrorCode::closesConnection, (a, b) -> a, LinkedHashMap::new)));
        assertEquals(ErrorCode.MALFORMED_FRAME, ErrorCode.lookup(1));
        assertEquals(ErrorCode.INTERNAL_ERROR, ErrorCode.lookup(99));
        assertEquals(null, ErrorCode.lookup(0));
        assertEquals(null, ErrorCode.lookup(100));
        assertEquals(null, ErrorCode.lookup(-1));
    }

    @Test
    void enumCodesAreTheSpecs() {
        assertEquals(List.of(0, 1, 2), Arrays.stream(Condition.values()).map(Condition::code).collect(Collectors.toList()));
        assertEquals(List.of(0, 1, 2),
                Arrays.stream(SubscriptionKind.values()).map(SubscriptionKind::code).collect(Collectors.toList()));
        assertEquals(List.of(1, 2, 3, 4, 5),
                Arrays.stream(EventType.values()).map(EventType::code).collect(Collectors.toList()));
        for (int code = -1; code < 300; code++) {
            assertEquals(code >= 0 && code <= 2, Condition.lookup(code) != null);
            assertEquals(code >= 0 && code <= 2, SubscriptionKind.lookup(code) != null);
            assertEquals(code >= 1 && code <= 5, EventType.lookup(code) != null);
        }
    }

    @Test
    void mapNamesAreOneTo255BytesWithoutControlCharacters() {
        for (String bad : List.of("", "a".repeat(256), "é".repeat(128), "a\u0000", "\u001f", "\u007f", "\u0080",
                "\u009f", "tab\t")) {
            invalid(() -> new Request.Get(bad, K));
            invalid(() -> new Request.Size(bad));
            invalid(() -> new Request.Subscribe(bad, SubscriptionKind.KEY, K));
        }
        new Request.Get("a".repeat(255), K);
        new Request.Get("\u00a0é😀", K);
        assertThrows(NullPointerException.class, () -> new Request.Get(null, K));
        assertThrows(NullPointerException.class, () -> new Request.Get("m", null));
    }

    @Test
    void stringsMustBeEncodableAndFitAU16Length() {
        invalid(() -> new Request.Goodbye("\uD800")); // unpaired high surrogate
        invalid(() -> new Request.Goodbye("a\uDC00b")); // unpaired low surrogate
        invalid(() -> new Request.Goodbye("\uDBFF\uD800"));
        invalid(() -> new Request.Goodbye("x".repeat(65_536)));
        invalid(() -> new Request.Goodbye("€".repeat(21_846))); // 65,538 bytes
        new Request.Goodbye("€".repeat(21_845)); // 65,535 bytes
        new Request.Goodbye("\uD83D\uDE00\u0000");
        invalid(() -> new ErrorReply(0, ErrorCode.AUTH_TIMEOUT, "\uD800"));
        invalid(() -> new Reply.Stat("\uDFFF", 1));
        invalid(() -> new Push.NodeAddress("n", "\uD800"));
    }

    @Test
    void numbersMustFitTheirWireTypes() {
        invalid(() -> new Request.Hello(-1, 1, "", ""));
        invalid(() -> new Request.Hello(1, 65_536, "", ""));
        invalid(() -> new Request.Scan("m", -1, null, 1));
        invalid(() -> new Request.Scan("m", 1L << 32, null, 1));
        invalid(() -> new Request.Scan("m", 0, null, 0));
        invalid(() -> new Request.Scan("m", 0, null, 65_537));
        new Request.Scan("m", 0xFFFF_FFFFL, null, 65_536);
        invalid(() -> new Reply.Hello(1, "n", "c", false, NONCE, 1L << 32, 1));
        invalid(() -> new Reply.Hello(1, "n", "c", false, NONCE, 1, -1));
        invalid(() -> new Reply.HashCheck(0, 1L << 32));
        invalid(() -> new Push.Event(1, EventType.CREATED, -1, 0, 0, K, false, null, 0));
        invalid(() -> new ErrorReply(256, ErrorCode.MALFORMED_FRAME, ""));
        invalid(() -> new ErrorReply(-1, ErrorCode.MALFORMED_FRAME, ""));
        invalid(() -> new Request.Put("m", K, K, -1));
        invalid(() -> new Request.PutIfAbsent("m", K, K, Long.MIN_VALUE));
        invalid(() -> new Request.Replace("m", K, K, -1, Condition.NONE, 0));
    }

    @Test
    void noncesAndProofsAreExactly32Bytes() {
        invalid(() -> new Request.Auth(new byte[31], NONCE));
        invalid(() -> new Request.Auth(NONCE, new byte[33]));
        invalid(() -> new Reply.Auth(new byte[0]));
        invalid(() -> new Reply.Hello(1, "n", "c", true, new byte[16], 1, 1));
        invalid(() -> AuthProofs.clientProof(new byte[] {1}, new byte[31], NONCE));
        invalid(() -> AuthProofs.serverProof(new byte[] {1}, NONCE, new byte[33]));
        invalid(() -> AuthProofs.clientProof(new byte[0], NONCE, NONCE));
        assertEquals(32, AuthProofs.clientProof(new byte[] {1}, NONCE, NONCE).length);
        assertFalse(Arrays.equals(AuthProofs.clientProof(new byte[] {1}, NONCE, NONCE),
                AuthProofs.serverProof(new byte[] {1}, NONCE, NONCE)), "the labels differ");
    }

    @Test
    void conditionalFieldsArePresentExactlyWhenTheSpecSendsThem() {
        assertThrows(NullPointerException.class, () -> new Reply.Get(true, null));
        invalid(() -> new Reply.Get(false, K));
        assertThrows(NullPointerException.class, () -> new Reply.GetEntry(true, 1, 1, 1, 1, null));
        invalid(() -> new Reply.GetEntry(false, 0, 0, 0, 0, K));
        invalid(() -> new Reply.GetEntry(false, 1, 0, 0, 0, null));
        invalid(() -> new Reply.GetEntry(false, 0, 0, 0, 1, null));
        invalid(() -> new Reply.PutIfAbsent(true, 1, K));
        assertThrows(NullPointerException.class, () -> new Reply.PutIfAbsent(false, 1, null));
        assertThrows(NullPointerException.class, () -> new Push.Event(1, EventType.CREATED, 0, 0, 0, K, true, null, 0));
        invalid(() -> new Push.Event(1, EventType.REMOVED, 0, 0, 0, K, false, K, 0));
        invalid(() -> new Push.Event(1, EventType.REMOVED, 0, 0, 0, K, false, null, 5));
        invalid(() -> new Request.Subscribe("m", SubscriptionKind.ALL, K));
        new Request.Subscribe("m", SubscriptionKind.ALL, new byte[0]);
        new Request.Subscribe("m", SubscriptionKind.PREFIX, new byte[0]);
    }

    @Test
    void listsAreCopiedAndBoundedByTheirCount() {
        List<Reply.Stat> stats = new ArrayList<>(List.of(new Reply.Stat("a", 1)));
        Reply.Stats reply = new Reply.Stats(stats);
        stats.add(new Reply.Stat("b", 2));
        assertEquals(1, reply.stats().size());
        assertThrows(UnsupportedOperationException.class, () -> reply.stats().add(new Reply.Stat("c", 3)));
        invalid(() -> new Reply.Stats(Collections.nCopies(65_536, new Reply.Stat("a", 1))));
        new Reply.Stats(Collections.nCopies(65_535, new Reply.Stat("a", 1)));
        invalid(() -> new Push.ServerInfo(1, Collections.nCopies(65_536, new Push.NodeAddress("n", "a"))));
        invalid(() -> new Reply.LoadLevels(Collections.nCopies(65_536, new Reply.LoadLevel("n", 0, 0, 0, 0))));
        assertThrows(NullPointerException.class, () -> new Reply.Scan(Arrays.asList((Reply.ScanEntry) null), false));
    }

    @Test
    void framesDeriveOpcodeAndFlagsFromTheirBody() {
        assertEquals(new FrameHeader(0x10, 0, 5), new Frame(5, new Request.Get("m", K)).header());
        assertEquals(new FrameHeader(0x10, 1, 5), new Frame(5, new Reply.Get(false, null)).header());
        assertEquals(new FrameHeader(0x10, 3, 5), new Frame(5, new ErrorReply(0x10, ErrorCode.MEMORY_LIMIT, "")).header());
        assertEquals(new FrameHeader(0x33, 4, 0), new Frame(0, new Push.EventsDropped(1, 1)).header());
        assertTrue(new Frame(5, new Request.Stats()).header().isRequest());
        assertTrue(new Frame(5, new Reply.Stats(List.of())).header().isReply());
        assertTrue(new Frame(5, new ErrorReply(0, ErrorCode.SHUTTING_DOWN, "")).header().isError());
        assertTrue(new Frame(0, new Push.EventsDropped(1, 1)).header().isPush());
        invalid(() -> new Frame(1, new Push.EventsDropped(1, 1)));
        assertThrows(NullPointerException.class, () -> new Frame(1, null));
    }

    @Test
    void arraysCompareByContentAndPrintAsHex() {
        assertEquals(new Request.Put("m", new byte[] {1, 2}, new byte[] {3}, 0),
                new Request.Put("m", new byte[] {1, 2}, new byte[] {3}, 0));
        assertEquals(new Request.Put("m", new byte[] {1, 2}, new byte[] {3}, 0).hashCode(),
                new Request.Put("m", new byte[] {1, 2}, new byte[] {3}, 0).hashCode());
        assertNotEquals(new Request.Put("m", new byte[] {1, 2}, new byte[] {3}, 0),
                new Request.Put("m", new byte[] {1, 2}, new byte[] {4}, 0));
        assertNotEquals(new Request.Get("m", K), new Request.GetEntry("m", K));
        assertEquals(new Reply.Scan(List.of(new Reply.ScanEntry(new byte[] {1}, 1, 2, 3, new byte[0])), true),
                new Reply.Scan(List.of(new Reply.ScanEntry(new byte[] {1}, 1, 2, 3, new byte[0])), true));
        assertEquals("Get[map=m, key=0x6b00ff]", new Request.Get("m", new byte[] {0x6b, 0, -1}).toString());
        assertEquals("HashCheck[data=0x(0 bytes)]", new Request.HashCheck(new byte[0]).toString());
        assertTrue(new Request.HashCheck(new byte[100]).toString().endsWith("..(100 bytes)]"));
        assertEquals("Get[found=false, value=null]", new Reply.Get(false, null).toString());
    }

    // ------------------------------------------------------------------------------------------
    // cluster values and messages (section 11)

    private static final ClusterWire.Replica N1 = new ClusterWire.Replica("n1", ClusterWire.UP_TO_DATE);
    private static final ClusterWire.Replica N2 = new ClusterWire.Replica("n2", ClusterWire.FEEDING);

    private static ClusterWire.BucketOwners owners(int bucket) {
        return new ClusterWire.BucketOwners(bucket, List.of(N1, N2));
    }

    private static ClusterWire.Table full(int bucketCount) {
        List<ClusterWire.BucketOwners> buckets = new ArrayList<>();
        for (int bucket = 0; bucket < bucketCount; bucket++) {
            buckets.add(owners(bucket));
        }
        return new ClusterWire.Table(0, 1, bucketCount, 1, buckets);
    }

    @Test
    void clusterConstantsAreTheSpecs() {
        assertEquals(List.of(0, 1, 2, 3), List.of(ClusterWire.UP_TO_DATE, ClusterWire.OUT_OF_DATE, ClusterWire.FEEDING,
                ClusterWire.DISCARDED));
        assertEquals(List.of(0, 1, 2), List.of(ClusterWire.QUERY, ClusterWire.PAUSE, ClusterWire.RESUME));
        assertEquals(65_536, ClusterWire.MAX_BUCKET_COUNT);
    }

    @Test
    void viewsAndTablesKeepTheirRules() {
        ClusterWire.Member n1 = new ClusterWire.Member("n1", "a:1", "", 1);
        invalid(() -> new ClusterWire.View(1, List.of(n1, new ClusterWire.Member("n1", "b:2", "z", 2))));
        invalid(() -> new ClusterWire.View(1, Collections.nCopies(65_536, n1)));
        assertThrows(NullPointerException.class, () -> new ClusterWire.Member(null, "a", "", 1));
        invalid(() -> new ClusterWire.Member("n", "a", "\uD800", 1));

        invalid(() -> new ClusterWire.Replica("n1", -1));
        invalid(() -> new ClusterWire.Replica("n1", 4));
        invalid(() -> new ClusterWire.BucketOwners(-1, List.of()));
        invalid(() -> new ClusterWire.BucketOwners(65_536, List.of()));
        invalid(() -> new ClusterWire.BucketOwners(0, List.of(N1, N1)));
        List<ClusterWire.Replica> many = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            many.add(new ClusterWire.Replica("n" + i, 0));
        }
        invalid(() -> new ClusterWire.BucketOwners(0, many));
        new ClusterWire.BucketOwners(0, many.subList(0, 255));
        new ClusterWire.BucketOwners(65_535, List.of());

        full(1);
        full(4);
        invalid(() -> new ClusterWire.Table(-1, 1, 1, 1, List.of(owners(0))));
        invalid(() -> new ClusterWire.Table(0, 0, 1, 1, List.of(owners(0))));
        invalid(() -> new ClusterWire.Table(5, 5, 1, 1, List.of()));
        invalid(() -> new ClusterWire.Table(5, 4, 1, 1, List.of()));
        for (int bucketCount : new int[] {0, -1, 3, 6, 131_072, Integer.MIN_VALUE}) {
            invalid(() -> new ClusterWire.Table(1, 2, bucketCount, 1, List.of()));
        }
        invalid(() -> new ClusterWire.Table(1, 2, 4, -1, List.of()));
        invalid(() -> new ClusterWire.Table(1, 2, 4, 256, List.of()));
        new ClusterWire.Table(1, 2, 65_536, 255, List.of(owners(65_535)));
        // full tables: every bucket once, in order
        invalid(() -> new ClusterWire.Table(0, 1, 2, 1, List.of(owners(0))));
        invalid(() -> new ClusterWire.Table(0, 1, 2, 1, List.of(owners(1), owners(0))));
        invalid(() -> new ClusterWire.Table(0, 1, 2, 1, List.of(owners(0), owners(0))));
        invalid(() -> new ClusterWire.Table(0, 1, 2, 1, List.of(owners(0), owners(1), owners(2))));
        // differences: changed buckets at most once, ascending, below bucketCount
        new ClusterWire.Table(1, 2, 4, 1, List.of(owners(1), owners(3)));
        invalid(() -> new ClusterWire.Table(1, 2, 4, 1, List.of(owners(3), owners(1))));
        invalid(() -> new ClusterWire.Table(1, 2, 4, 1, List.of(owners(1), owners(1))));
        invalid(() -> new ClusterWire.Table(1, 2, 4, 1, List.of(owners(4))));
        assertTrue(full(2).isFull());
        assertFalse(new ClusterWire.Table(1, 2, 4, 1, List.of()).isFull());
    }

    @Test
    void changesAndEntriesKeepTheirRules() {
        new ClusterWire.Change(0, 1, EventType.CREATED.code(), "m", K, K, 0, 0);
        new ClusterWire.Change(0, 1, EventType.UPDATED.code(), "m", K, new byte[0], 0, 0);
        for (EventType removal : List.of(EventType.REMOVED, EventType.EXPIRED, EventType.EVICTED)) {
            new ClusterWire.Change(0, 1, removal.code(), "m", K, null, 0, 0);
            invalid(() -> new ClusterWire.Change(0, 1, removal.code(), "m", K, K, 0, 0));
        }
        assertThrows(NullPointerException.class, () -> new ClusterWire.Change(0, 1, 1, "m", K, null, 0, 0));
        invalid(() -> new ClusterWire.Change(0, 1, 0, "m", K, null, 0, 0));
        invalid(() -> new ClusterWire.Change(0, 1, 6, "m", K, null, 0, 0));
        invalid(() -> new ClusterWire.Change(65_536, 1, 3, "m", K, null, 0, 0));
        invalid(() -> new ClusterWire.Change(0, 1, 3, "", K, null, 0, 0));
        assertThrows(NullPointerException.class, () -> new ClusterWire.Change(0, 1, 3, "m", null, null, 0, 0));
        invalid(() -> new ClusterWire.Entry("a\u0000", K, K, 1, 0, 0));
        assertThrows(NullPointerException.class, () -> new ClusterWire.Entry("m", K, null, 1, 0, 0));
        assertEquals(EventType.EXPIRED, new ClusterWire.Change(0, 1, 4, "m", K, null, 0, 0).type());
    }

    @Test
    void clusterMessagesKeepTheirRules() {
        invalid(() -> new Request.MigrateChunk(-1, 1, 1, true, List.of()));
        invalid(() -> new Request.BucketDigest(65_536));
        invalid(() -> new Request.FeedDone(65_536, 1, "n1", 1));
        invalid(() -> new Request.ClusterState(3));
        invalid(() -> new Request.ClusterState(-1));
        ClusterWire.Change change = new ClusterWire.Change(0, 1, 3, "m", K, null, 0, 0);
        invalid(() -> new Request.Replicate(Collections.nCopies(65_536, change)));
        new Request.Replicate(Collections.nCopies(65_535, change));
        assertThrows(NullPointerException.class, () -> new Request.View(null));
        assertThrows(NullPointerException.class, () -> new Request.Table(null));
        assertThrows(NullPointerException.class, () -> new Request.Join("n", null, "", 1));

        ClusterWire.View view = new ClusterWire.View(1, List.of(new ClusterWire.Member("n1", "a:1", "", 1)));
        ClusterWire.Table difference = new ClusterWire.Table(1, 2, 2, 1, List.of());
        new Reply.Join(true, "", view, full(2));
        new Reply.Join(false, "a:1", null, null);
        new Reply.Join(false, "", null, null);
        invalid(() -> new Reply.Join(true, "a:1", view, full(2)));
        invalid(() -> new Reply.Join(true, "", view, difference));
        assertThrows(NullPointerException.class, () -> new Reply.Join(true, "", null, full(2)));
        assertThrows(NullPointerException.class, () -> new Reply.Join(true, "", view, null));
        invalid(() -> new Reply.Join(false, "a:1", view, null));
        invalid(() -> new Reply.Join(false, "a:1", null, full(2)));
        assertThrows(NullPointerException.class, () -> new Reply.Join(false, null, null, null));
        invalid(() -> new Reply.TableFetch(difference));
        new Reply.TableFetch(full(2));
        invalid(() -> new Reply.Replicate(65_536));
        invalid(() -> new Reply.Replicate(-1));
        invalid(() -> new Reply.MigrateChunk(-1));
        new Reply.MigrateChunk(Integer.MAX_VALUE);
        invalid(() -> new Reply.BucketDigest(-1, 0, 0, 0));
    }

    @Test
    void clusterArraysCompareByContentAndPrintAsHex() {
        ClusterWire.Change a = new ClusterWire.Change(1, 2, 1, "m", new byte[] {1}, new byte[] {2}, 3, 4);
        ClusterWire.Change b = new ClusterWire.Change(1, 2, 1, "m", new byte[] {1}, new byte[] {2}, 3, 4);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, new ClusterWire.Change(1, 2, 1, "m", new byte[] {1}, new byte[] {3}, 3, 4));
        assertEquals(new Request.Replicate(List.of(a)), new Request.Replicate(List.of(b)));
        assertEquals("Change[bucket=1, sequence=2, changeType=1, map=m, key=0x01, value=0x02, timestampMs=3,"
                + " expiresAtMs=4]", a.toString());
        ClusterWire.Entry e = new ClusterWire.Entry("m", new byte[] {1}, new byte[0], 5, 6, 7);
        assertEquals(e, new ClusterWire.Entry("m", new byte[] {1}, new byte[0], 5, 6, 7));
        assertEquals(e.hashCode(), new ClusterWire.Entry("m", new byte[] {1}, new byte[0], 5, 6, 7).hashCode());
        assertNotEquals(e, new ClusterWire.Entry("m", new byte[] {2}, new byte[0], 5, 6, 7));
        assertEquals("Entry[map=m, key=0x01, value=0x(0 bytes), version=5, timestampMs=6, expiresAtMs=7]",
                e.toString());
        assertEquals(new Frame(1, new Request.MigrateChunk(1, 1, 1, true, List.of(e))),
                new Frame(1, new Request.MigrateChunk(1, 1, 1, true,
                        List.of(new ClusterWire.Entry("m", new byte[] {1}, new byte[0], 5, 6, 7)))));
    }
}
