package io.shoal.protocol;

import static io.shoal.protocol.Frame.FLAG_ERROR;
import static io.shoal.protocol.Frame.FLAG_PUSH;
import static io.shoal.protocol.Frame.FLAG_REPLY;

import io.shoal.KeyHash;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One frame of every kind, with fixed readable inputs: the test vectors of docs/protocol.md
 * section 9. Each has the record the codec must decode it to and the bytes written field by field
 * by {@link WireBuilder}.
 */
final class ProtocolSamples {

    record Sample(String name, String description, Frame frame, WireBuilder wire) {
        byte[] bytes() {
            return wire.toBytes();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static final byte[] K = utf8("k");
    static final byte[] V = utf8("v");
    static final byte[] W = utf8("w");
    static final String SECRET = "secret";
    static final byte[] SERVER_NONCE = counting(0x00);
    static final byte[] CLIENT_NONCE = counting(0x20);
    static final byte[] CLIENT_PROOF = AuthProofs.clientProof(utf8(SECRET), SERVER_NONCE, CLIENT_NONCE);
    static final byte[] SERVER_PROOF = AuthProofs.serverProof(utf8(SECRET), CLIENT_NONCE, SERVER_NONCE);
    static final long TIMESTAMP_MS = 1_700_000_000_000L;
    static final int BUCKET_COUNT = 256;
    static final long HASH_K = KeyHash.hash(K);
    static final long BUCKET_K = KeyHash.bucketOf(HASH_K, BUCKET_COUNT);
    static final long HASH_V = KeyHash.hash(V);

    // the cluster of the section 11 vectors: n1 (coordinator) and n2, two buckets, one backup
    static final String ADDRESS_1 = "127.0.0.1:7401";
    static final String ADDRESS_2 = "127.0.0.1:7402";
    static final ClusterWire.View VIEW = new ClusterWire.View(2, List.of(
            new ClusterWire.Member("n1", ADDRESS_1, "z1", 1), new ClusterWire.Member("n2", ADDRESS_2, "z2", 1)));
    static final ClusterWire.Table FULL_TABLE = new ClusterWire.Table(0, 3, 2, 1, List.of(
            new ClusterWire.BucketOwners(0, List.of(new ClusterWire.Replica("n1", ClusterWire.UP_TO_DATE),
                    new ClusterWire.Replica("n2", ClusterWire.UP_TO_DATE))),
            new ClusterWire.BucketOwners(1, List.of(new ClusterWire.Replica("n1", ClusterWire.UP_TO_DATE),
                    new ClusterWire.Replica("n2", ClusterWire.FEEDING)))));
    static final ClusterWire.Table TABLE_DIFFERENCE = new ClusterWire.Table(3, 4, 2, 1, List.of(
            new ClusterWire.BucketOwners(1, List.of(new ClusterWire.Replica("n2", ClusterWire.UP_TO_DATE),
                    new ClusterWire.Replica("n1", ClusterWire.DISCARDED)))));
    /** The BUCKET_DIGEST of a bucket holding only map "m", key "k", value "v" at version 7 (section 11). */
    static final long DIGEST_K = bucketDigestTerm("m", K, 7, HASH_V);

    static final Set<Integer> CONDITIONS = Set.of(0, 1, 2);
    static final Set<Integer> KINDS = Set.of(0, 1, 2);
    static final Set<Integer> EVENT_TYPES = Set.of(1, 2, 3, 4, 5);
    static final Set<Integer> REPLICA_STATES = Set.of(0, 1, 2, 3);
    static final Set<Integer> CLUSTER_ACTIONS = Set.of(0, 1, 2);
    static final Set<Integer> ERROR_CODES =
            Arrays.stream(ErrorCode.values()).map(ErrorCode::code).collect(Collectors.toUnmodifiableSet());

    private static final List<Sample> ALL = build();

    private ProtocolSamples() {
    }

    static List<Sample> all() {
        return ALL;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** 32 bytes first, first+1, ..., first+31. */
    static byte[] counting(int first) {
        byte[] bytes = new byte[32];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (first + i);
        }
        return bytes;
    }

    /** One entry's term of a bucket digest, written from the words of docs/protocol.md section 11. */
    static long bucketDigestTerm(String map, byte[] key, long version, long valueHash) {
        byte[] frame = WireBuilder.frame(0, 0, 0).str("map", map).bytes("key", key).i64("version", version)
                .i64("valueHash", valueHash).toBytes();
        return KeyHash.hash(frame, Frame.HEADER_BYTES, frame.length - Frame.HEADER_BYTES);
    }

    private static WireBuilder view(WireBuilder out, ClusterWire.View view) {
        out.i64("version", view.version()).count16("memberCount", view.members().size());
        for (ClusterWire.Member member : view.members()) {
            out.str("nodeId", member.nodeId()).str("address", member.address()).str("zone", member.zone())
                    .i64("incarnation", member.incarnation());
        }
        return out;
    }

    private static WireBuilder table(WireBuilder out, ClusterWire.Table table) {
        out.i64("fromVersion", table.fromVersion()).i64("toVersion", table.toVersion())
                .u32("bucketCount", table.bucketCount()).u8("backupCount", table.backupCount())
                .count32("entryCount", table.buckets().size());
        for (ClusterWire.BucketOwners owners : table.buckets()) {
            out.u32("bucket", owners.bucket()).count8("replicaCount", owners.replicas().size());
            for (ClusterWire.Replica replica : owners.replicas()) {
                out.str("nodeId", replica.nodeId()).enumU8("state", replica.state(), REPLICA_STATES);
            }
        }
        return out;
    }

    private static WireBuilder request(Opcode opcode) {
        return WireBuilder.frame(opcode.code(), 0, 1);
    }

    private static WireBuilder reply(Opcode opcode) {
        return WireBuilder.frame(opcode.code(), FLAG_REPLY, 1);
    }

    private static WireBuilder push(Opcode opcode) {
        return WireBuilder.frame(opcode.code(), FLAG_PUSH, 0);
    }

    private static List<Sample> build() {
        List<Sample> all = new ArrayList<>();
        // requests (id 1)
        all.add(new Sample("hello", "HELLO request, id 1: versions 1 to 1, any cluster (\"\"), client \"cli\"",
                new Frame(1, new Request.Hello(1, 1, "", "cli")),
                request(Opcode.HELLO).u16("minVersion", 1).u16("maxVersion", 1).str("clusterName", "")
                        .str("clientName", "cli")));
        all.add(new Sample("auth", "AUTH request: clientNonce 20..3f, clientProof for secret \"secret\" (see below)",
                new Frame(1, new Request.Auth(CLIENT_NONCE, CLIENT_PROOF)),
                request(Opcode.AUTH).raw("clientNonce", CLIENT_NONCE).raw("clientProof", CLIENT_PROOF)));
        all.add(new Sample("ping", "PING request: payload 42",
                new Frame(1, new Request.Ping(42)), request(Opcode.PING).i64("payload", 42)));
        all.add(new Sample("goodbye", "GOODBYE request: reason \"bye\"",
                new Frame(1, new Request.Goodbye("bye")), request(Opcode.GOODBYE).str("reason", "bye")));
        all.add(new Sample("get", "GET request: map \"m\", key \"k\"",
                new Frame(1, new Request.Get("m", K)), request(Opcode.GET).str("map", "m").bytes("key", K)));
        all.add(new Sample("get-entry", "GET_ENTRY request: map \"m\", key \"k\"",
                new Frame(1, new Request.GetEntry("m", K)),
                request(Opcode.GET_ENTRY).str("map", "m").bytes("key", K)));
        all.add(new Sample("contains", "CONTAINS request: map \"m\", key \"k\"",
                new Frame(1, new Request.Contains("m", K)),
                request(Opcode.CONTAINS).str("map", "m").bytes("key", K)));
        all.add(new Sample("put", "PUT request: map \"m\", key \"k\", value \"v\", ttlMs 0 (no expiry)",
                new Frame(1, new Request.Put("m", K, V, 0)),
                request(Opcode.PUT).str("map", "m").bytes("key", K).bytes("value", V).i64("ttlMs", 0)));
        all.add(new Sample("put-if-absent", "PUT_IF_ABSENT request: map \"m\", key \"k\", value \"v\", ttlMs 60000",
                new Frame(1, new Request.PutIfAbsent("m", K, V, 60_000)),
                request(Opcode.PUT_IF_ABSENT).str("map", "m").bytes("key", K).bytes("value", V)
                        .i64("ttlMs", 60_000)));
        all.add(new Sample("replace",
                "REPLACE request: map \"m\", key \"k\", value \"w\", ttlMs 0, condition 1 (version), expected 1",
                new Frame(1, new Request.Replace("m", K, W, 0, Condition.VERSION, 1)),
                request(Opcode.REPLACE).str("map", "m").bytes("key", K).bytes("value", W).i64("ttlMs", 0)
                        .enumU8("condition", 1, CONDITIONS).i64("expected", 1)));
        all.add(new Sample("remove", "REMOVE request: map \"m\", key \"k\", condition 0 (none), expected 0",
                new Frame(1, new Request.Remove("m", K, Condition.NONE, 0)),
                request(Opcode.REMOVE).str("map", "m").bytes("key", K).enumU8("condition", 0, CONDITIONS)
                        .i64("expected", 0)));
        all.add(new Sample("size", "SIZE request: map \"m\"",
                new Frame(1, new Request.Size("m")), request(Opcode.SIZE).str("map", "m")));
        all.add(new Sample("clear", "CLEAR request: map \"m\"",
                new Frame(1, new Request.Clear("m")), request(Opcode.CLEAR).str("map", "m")));
        all.add(new Sample("scan", "SCAN request: map \"m\", bucket 3, no cursor, maxEntries 100",
                new Frame(1, new Request.Scan("m", 3, null, 100)),
                request(Opcode.SCAN).str("map", "m").u32("bucket", 3).bool("hasCursor", false)
                        .u32("maxEntries", 100)));
        all.add(new Sample("scan-cursor",
                "SCAN request: map \"m\", bucket 3, after (key hash of \"k\", \"k\"), maxEntries 100",
                new Frame(1, new Request.Scan("m", 3, new Request.ScanCursor(HASH_K, K), 100)),
                request(Opcode.SCAN).str("map", "m").u32("bucket", 3).bool("hasCursor", true)
                        .i64("afterHash", HASH_K).bytes("afterKey", K).u32("maxEntries", 100)));
        all.add(new Sample("hash-check", "HASH_CHECK request: data \"k\"",
                new Frame(1, new Request.HashCheck(K)), request(Opcode.HASH_CHECK).bytes("data", K)));
        all.add(new Sample("subscribe", "SUBSCRIBE request: map \"m\", kind 2 (prefix), match \"k\"",
                new Frame(1, new Request.Subscribe("m", SubscriptionKind.PREFIX, K)),
                request(Opcode.SUBSCRIBE).str("map", "m").enumU8("kind", 2, KINDS).bytes("match", K)));
        all.add(new Sample("unsubscribe", "UNSUBSCRIBE request: subscriptionId 1",
                new Frame(1, new Request.Unsubscribe(1)), request(Opcode.UNSUBSCRIBE).u32("subscriptionId", 1)));
        all.add(new Sample("stats", "STATS request (empty body)",
                new Frame(1, new Request.Stats()), request(Opcode.STATS)));
        all.add(new Sample("load-levels", "LOAD_LEVELS request (empty body)",
                new Frame(1, new Request.LoadLevels()), request(Opcode.LOAD_LEVELS)));
        all.add(new Sample("join", "JOIN request: node \"n2\" at \"127.0.0.1:7402\", zone \"z2\", incarnation 1",
                new Frame(1, new Request.Join("n2", ADDRESS_2, "z2", 1)),
                request(Opcode.JOIN).str("nodeId", "n2").str("address", ADDRESS_2).str("zone", "z2")
                        .i64("incarnation", 1)));
        all.add(new Sample("view", "VIEW request: version 2, members n1 (coordinator, \"127.0.0.1:7401\", zone \"z1\","
                + " incarnation 1) and n2 (\"127.0.0.1:7402\", zone \"z2\", incarnation 1)",
                new Frame(1, new Request.View(VIEW)), view(request(Opcode.VIEW), VIEW)));
        all.add(new Sample("heartbeat", "HEARTBEAT request: node \"n2\", viewVersion 2, tableVersion 3",
                new Frame(1, new Request.Heartbeat("n2", 2, 3)),
                request(Opcode.HEARTBEAT).str("nodeId", "n2").i64("viewVersion", 2).i64("tableVersion", 3)));
        all.add(new Sample("table", "TABLE request: full table (fromVersion 0), toVersion 3, 2 buckets, 1 backup:"
                + " bucket 0 on n1, n2 (both UP_TO_DATE), bucket 1 on n1 (UP_TO_DATE) and n2 (FEEDING)",
                new Frame(1, new Request.Table(FULL_TABLE)), table(request(Opcode.TABLE), FULL_TABLE)));
        all.add(new Sample("table-difference", "TABLE request: difference from version 3 to 4, 2 buckets, 1 backup:"
                + " bucket 1 now on n2 (UP_TO_DATE), then n1 (DISCARDED)",
                new Frame(1, new Request.Table(TABLE_DIFFERENCE)), table(request(Opcode.TABLE), TABLE_DIFFERENCE)));
        all.add(new Sample("table-fetch", "TABLE_FETCH request (empty body)",
                new Frame(1, new Request.TableFetch()), request(Opcode.TABLE_FETCH)));
        all.add(new Sample("replicate", "REPLICATE request: 2 changes of bucket 1: sequence 8 UPDATED map \"m\" key"
                + " \"k\" value \"w\", timestampMs 1700000000000, expiresAtMs 0; sequence 9 REMOVED key \"k\"",
                new Frame(1, new Request.Replicate(List.of(
                        new ClusterWire.Change(1, 8, EventType.UPDATED.code(), "m", K, W, TIMESTAMP_MS, 0),
                        new ClusterWire.Change(1, 9, EventType.REMOVED.code(), "m", K, null, TIMESTAMP_MS, 0)))),
                request(Opcode.REPLICATE).count16("count", 2)
                        .u32("bucket", 1).i64("sequence", 8).enumU8("changeType", 2, EVENT_TYPES).str("map", "m")
                        .bytes("key", K).bool("hasValue", true).bytes("value", W).i64("timestampMs", TIMESTAMP_MS)
                        .i64("expiresAtMs", 0)
                        .u32("bucket", 1).i64("sequence", 9).enumU8("changeType", 3, EVENT_TYPES).str("map", "m")
                        .bytes("key", K).bool("hasValue", false).i64("timestampMs", TIMESTAMP_MS)
                        .i64("expiresAtMs", 0)));
        all.add(new Sample("migrate-chunk", "MIGRATE_CHUNK request: bucket 1, tableVersion 4, sequence 7, last,"
                + " 1 entry: map \"m\", key \"k\", value \"v\", version 7, timestampMs 1700000000000, expiresAtMs 0",
                new Frame(1, new Request.MigrateChunk(1, 4, 7, true,
                        List.of(new ClusterWire.Entry("m", K, V, 7, TIMESTAMP_MS, 0)))),
                request(Opcode.MIGRATE_CHUNK).u32("bucket", 1).i64("tableVersion", 4).i64("sequence", 7)
                        .bool("last", true).count32("count", 1).str("map", "m").bytes("key", K).bytes("value", V)
                        .i64("version", 7).i64("timestampMs", TIMESTAMP_MS).i64("expiresAtMs", 0)));
        all.add(new Sample("bucket-digest", "BUCKET_DIGEST request: bucket 1",
                new Frame(1, new Request.BucketDigest(1)), request(Opcode.BUCKET_DIGEST).u32("bucket", 1)));
        all.add(new Sample("leave", "LEAVE request: node \"n2\", reason \"shutdown\"",
                new Frame(1, new Request.Leave("n2", "shutdown")),
                request(Opcode.LEAVE).str("nodeId", "n2").str("reason", "shutdown")));
        all.add(new Sample("cluster-state", "CLUSTER_STATE request: action 1 (pause)",
                new Frame(1, new Request.ClusterState(ClusterWire.PAUSE)),
                request(Opcode.CLUSTER_STATE).enumU8("action", 1, CLUSTER_ACTIONS)));
        all.add(new Sample("feed-done", "FEED_DONE request: bucket 1, tableVersion 4, receiver \"n2\", sequence 7",
                new Frame(1, new Request.FeedDone(1, 4, "n2", 7)),
                request(Opcode.FEED_DONE).u32("bucket", 1).i64("tableVersion", 4).str("receiverNodeId", "n2")
                        .i64("sequence", 7)));

        // replies (id 1)
        all.add(new Sample("hello-reply", "HELLO reply: version 1, node \"n1\", cluster \"c\", auth required,"
                + " serverNonce 00..1f, maxFrameBytes 16 MiB, bucketCount 256",
                new Frame(1, new Reply.Hello(1, "n1", "c", true, SERVER_NONCE, 16L << 20, BUCKET_COUNT)),
                reply(Opcode.HELLO).u16("version", 1).str("nodeId", "n1").str("clusterName", "c")
                        .bool("authRequired", true).raw("serverNonce", SERVER_NONCE)
                        .u32("maxFrameBytes", 16L << 20).u32("bucketCount", BUCKET_COUNT)));
        all.add(new Sample("auth-reply", "AUTH reply: serverProof (see below)",
                new Frame(1, new Reply.Auth(SERVER_PROOF)), reply(Opcode.AUTH).raw("serverProof", SERVER_PROOF)));
        all.add(new Sample("ping-reply", "PING reply: payload 42",
                new Frame(1, new Reply.Ping(42)), reply(Opcode.PING).i64("payload", 42)));
        all.add(new Sample("goodbye-reply", "GOODBYE reply (empty body)",
                new Frame(1, new Reply.Goodbye()), reply(Opcode.GOODBYE)));
        all.add(new Sample("get-reply", "GET reply: found, value \"v\"",
                new Frame(1, new Reply.Get(true, V)), reply(Opcode.GET).bool("found", true).bytes("value", V)));
        all.add(new Sample("get-reply-absent", "GET reply: not found",
                new Frame(1, new Reply.Get(false, null)), reply(Opcode.GET).bool("found", false)));
        all.add(new Sample("get-entry-reply", "GET_ENTRY reply: found, version 1, valueHash (key hash v1 of \"v\"),"
                + " timestampMs 1700000000000, expiresAtMs 0, value \"v\"",
                new Frame(1, new Reply.GetEntry(true, 1, HASH_V, TIMESTAMP_MS, 0, V)),
                reply(Opcode.GET_ENTRY).bool("found", true).i64("version", 1).i64("valueHash", HASH_V)
                        .i64("timestampMs", TIMESTAMP_MS).i64("expiresAtMs", 0).bytes("value", V)));
        all.add(new Sample("get-entry-reply-absent", "GET_ENTRY reply: not found",
                new Frame(1, new Reply.GetEntry(false, 0, 0, 0, 0, null)),
                reply(Opcode.GET_ENTRY).bool("found", false)));
        all.add(new Sample("contains-reply", "CONTAINS reply: found",
                new Frame(1, new Reply.Contains(true)), reply(Opcode.CONTAINS).bool("found", true)));
        all.add(new Sample("put-reply", "PUT reply: version 1",
                new Frame(1, new Reply.Put(1)), reply(Opcode.PUT).i64("version", 1)));
        all.add(new Sample("put-if-absent-reply", "PUT_IF_ABSENT reply: applied, version 2",
                new Frame(1, new Reply.PutIfAbsent(true, 2, null)),
                reply(Opcode.PUT_IF_ABSENT).bool("applied", true).i64("version", 2)));
        all.add(new Sample("put-if-absent-reply-existing", "PUT_IF_ABSENT reply: not applied, version 1, existing \"v\"",
                new Frame(1, new Reply.PutIfAbsent(false, 1, V)),
                reply(Opcode.PUT_IF_ABSENT).bool("applied", false).i64("version", 1).bytes("existing", V)));
        all.add(new Sample("replace-reply", "REPLACE reply: applied, version 3",
                new Frame(1, new Reply.Replace(true, 3)),
                reply(Opcode.REPLACE).bool("applied", true).i64("version", 3)));
        all.add(new Sample("remove-reply", "REMOVE reply: removed, version 3",
                new Frame(1, new Reply.Remove(true, 3)), reply(Opcode.REMOVE).bool("removed", true).i64("version", 3)));
        all.add(new Sample("size-reply", "SIZE reply: 1 entry",
                new Frame(1, new Reply.Size(1)), reply(Opcode.SIZE).i64("entries", 1)));
        all.add(new Sample("clear-reply", "CLEAR reply (empty body)",
                new Frame(1, new Reply.Clear()), reply(Opcode.CLEAR)));
        all.add(new Sample("scan-reply", "SCAN reply: 1 entry (key \"k\", version 3, timestampMs 1700000000000,"
                + " expiresAtMs 0, value \"w\"), no more",
                new Frame(1, new Reply.Scan(List.of(new Reply.ScanEntry(K, 3, TIMESTAMP_MS, 0, W)), false)),
                reply(Opcode.SCAN).count32("count", 1).bytes("key", K).i64("version", 3)
                        .i64("timestampMs", TIMESTAMP_MS).i64("expiresAtMs", 0).bytes("value", W)
                        .bool("more", false)));
        all.add(new Sample("hash-check-reply",
                "HASH_CHECK reply: hash " + String.format("%016x", HASH_K) + " (of \"k\", docs/keyhash.md), bucket "
                        + BUCKET_K + " of 256",
                new Frame(1, new Reply.HashCheck(HASH_K, BUCKET_K)),
                reply(Opcode.HASH_CHECK).i64("hash", HASH_K).u32("bucket", BUCKET_K)));
        all.add(new Sample("subscribe-reply", "SUBSCRIBE reply: subscriptionId 1",
                new Frame(1, new Reply.Subscribe(1)), reply(Opcode.SUBSCRIBE).u32("subscriptionId", 1)));
        all.add(new Sample("unsubscribe-reply", "UNSUBSCRIBE reply: existed",
                new Frame(1, new Reply.Unsubscribe(true)), reply(Opcode.UNSUBSCRIBE).bool("existed", true)));
        all.add(new Sample("stats-reply", "STATS reply: 1 counter, entries = 1",
                new Frame(1, new Reply.Stats(List.of(new Reply.Stat("entries", 1)))),
                reply(Opcode.STATS).count16("count", 1).str("name", "entries").i64("value", 1)));
        all.add(new Sample("load-levels-reply", "LOAD_LEVELS reply: node \"n1\": 1 entry, 66 bytes used of 1 MiB,"
                + " 10 ops/s",
                new Frame(1, new Reply.LoadLevels(List.of(new Reply.LoadLevel("n1", 1, 66, 1L << 20, 10)))),
                reply(Opcode.LOAD_LEVELS).count16("count", 1).str("nodeId", "n1").i64("entries", 1)
                        .i64("memoryUsedBytes", 66).i64("memoryMaxBytes", 1L << 20).i64("opsPerSecond", 10)));
        all.add(new Sample("join-reply", "JOIN reply: accepted, the view of the VIEW vector, the full table of the"
                + " TABLE vector",
                new Frame(1, new Reply.Join(true, "", VIEW, FULL_TABLE)),
                table(view(reply(Opcode.JOIN).bool("accepted", true), VIEW), FULL_TABLE)));
        all.add(new Sample("join-reply-redirect", "JOIN reply: not accepted, send the JOIN to the coordinator at"
                + " \"127.0.0.1:7401\"",
                new Frame(1, new Reply.Join(false, ADDRESS_1, null, null)),
                reply(Opcode.JOIN).bool("accepted", false).str("coordinatorAddress", ADDRESS_1)));
        all.add(new Sample("view-reply", "VIEW reply: viewVersion 2",
                new Frame(1, new Reply.View(2)), reply(Opcode.VIEW).i64("viewVersion", 2)));
        all.add(new Sample("heartbeat-reply", "HEARTBEAT reply: viewVersion 2, tableVersion 3",
                new Frame(1, new Reply.Heartbeat(2, 3)),
                reply(Opcode.HEARTBEAT).i64("viewVersion", 2).i64("tableVersion", 3)));
        all.add(new Sample("table-reply", "TABLE reply: tableVersion 4",
                new Frame(1, new Reply.Table(4)), reply(Opcode.TABLE).i64("tableVersion", 4)));
        all.add(new Sample("table-fetch-reply", "TABLE_FETCH reply: the full table of the TABLE vector",
                new Frame(1, new Reply.TableFetch(FULL_TABLE)), table(reply(Opcode.TABLE_FETCH), FULL_TABLE)));
        all.add(new Sample("replicate-reply", "REPLICATE reply: 2 changes applied",
                new Frame(1, new Reply.Replicate(2)), reply(Opcode.REPLICATE).u16("applied", 2)));
        all.add(new Sample("migrate-chunk-reply", "MIGRATE_CHUNK reply: 1 entry received",
                new Frame(1, new Reply.MigrateChunk(1)), reply(Opcode.MIGRATE_CHUNK).u32("received", 1)));
        all.add(new Sample("bucket-digest-reply", "BUCKET_DIGEST reply: bucket 1 at sequence 7 holds 1 entry (map"
                + " \"m\", key \"k\", value \"v\", version 7), digest " + String.format("%016x", DIGEST_K),
                new Frame(1, new Reply.BucketDigest(1, 7, 1, DIGEST_K)),
                reply(Opcode.BUCKET_DIGEST).u32("bucket", 1).i64("sequence", 7).i64("entries", 1)
                        .i64("digest", DIGEST_K)));
        all.add(new Sample("leave-reply", "LEAVE reply (empty body)",
                new Frame(1, new Reply.Leave()), reply(Opcode.LEAVE)));
        all.add(new Sample("cluster-state-reply", "CLUSTER_STATE reply: paused, tableVersion 4",
                new Frame(1, new Reply.ClusterState(true, 4)),
                reply(Opcode.CLUSTER_STATE).bool("paused", true).i64("tableVersion", 4)));
        all.add(new Sample("feed-done-reply", "FEED_DONE reply (empty body)",
                new Frame(1, new Reply.FeedDone()), reply(Opcode.FEED_DONE)));

        // errors
        all.add(new Sample("error-reply", "error reply to a PUT, id 1: code 21 (ENTRY_TOO_LARGE), \"value too large\"",
                new Frame(1, new ErrorReply(Opcode.PUT.code(), ErrorCode.ENTRY_TOO_LARGE, "value too large")),
                WireBuilder.frame(Opcode.PUT.code(), FLAG_REPLY | FLAG_ERROR, 1)
                        .enumU16("code", 21, ERROR_CODES).str("message", "value too large")));
        all.add(new Sample("connection-error", "connection error (opcode 0, id 0): code 7 (AUTH_TIMEOUT), \"too late\"",
                new Frame(0, new ErrorReply(0, ErrorCode.AUTH_TIMEOUT, "too late")),
                WireBuilder.frame(0, FLAG_REPLY | FLAG_ERROR, 0)
                        .enumU16("code", 7, ERROR_CODES).str("message", "too late")));

        // pushes (id 0)
        all.add(new Sample("event", "EVENT push: subscription 1, CREATED, bucket " + BUCKET_K + ", sequence 1,"
                + " timestampMs 1700000000000, key \"k\", value \"v\", expiresAtMs 0",
                new Frame(0, new Push.Event(1, EventType.CREATED, BUCKET_K, 1, TIMESTAMP_MS, K, true, V, 0)),
                push(Opcode.EVENT).u32("subscriptionId", 1).enumU8("type", 1, EVENT_TYPES).u32("bucket", BUCKET_K)
                        .i64("sequence", 1).i64("timestampMs", TIMESTAMP_MS).bytes("key", K)
                        .bool("hasValue", true).bytes("value", V).i64("expiresAtMs", 0)));
        all.add(new Sample("event-removed", "EVENT push: subscription 1, REMOVED, bucket " + BUCKET_K
                + ", sequence 4, timestampMs 1700000000000, key \"k\", no value",
                new Frame(0, new Push.Event(1, EventType.REMOVED, BUCKET_K, 4, TIMESTAMP_MS, K, false, null, 0)),
                push(Opcode.EVENT).u32("subscriptionId", 1).enumU8("type", 3, EVENT_TYPES).u32("bucket", BUCKET_K)
                        .i64("sequence", 4).i64("timestampMs", TIMESTAMP_MS).bytes("key", K)
                        .bool("hasValue", false)));
        all.add(new Sample("events-dropped", "EVENTS_DROPPED push: subscription 1, 2 events",
                new Frame(0, new Push.EventsDropped(1, 2)),
                push(Opcode.EVENTS_DROPPED).u32("subscriptionId", 1).i64("count", 2)));
        all.add(new Sample("server-info", "SERVER_INFO push: tableVersion 1, node \"n1\" at \"127.0.0.1:7401\"",
                new Frame(0, new Push.ServerInfo(1, List.of(new Push.NodeAddress("n1", "127.0.0.1:7401")))),
                push(Opcode.SERVER_INFO).i64("tableVersion", 1).count16("count", 1).str("nodeId", "n1")
                        .str("address", "127.0.0.1:7401")));
        return List.copyOf(all);
    }
}
