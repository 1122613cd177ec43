package io.shoal.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/** Random valid frames of every kind, for round-trip and truncation tests. */
final class RandomFrames {

    /** One kind of frame and how to make a random one. */
    record Kind(String name, Function<SplittableRandom, Frame> generator) {
        Frame next(SplittableRandom random) {
            return generator.apply(random);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static final String[] PIECES = {"a", "z", "0", "-", ".", "é", "ß", "€", "中", "😀", "\uFFFD", " "};
    private static final String[] STRING_ONLY_PIECES = {"\u0000", "\n", "\u007F", "\u0085"};

    private static final List<Kind> KINDS = build();

    private RandomFrames() {
    }

    static List<Kind> kinds() {
        return KINDS;
    }

    static Frame any(SplittableRandom random) {
        return KINDS.get(random.nextInt(KINDS.size())).next(random);
    }

    static byte[] bytes(SplittableRandom r) {
        int roll = r.nextInt(100);
        int length = roll < 10 ? 0 : roll < 70 ? 1 + r.nextInt(16) : roll < 98 ? r.nextInt(300) : r.nextInt(70_000);
        byte[] bytes = new byte[length];
        r.nextBytes(bytes);
        return bytes;
    }

    static byte[] raw32(SplittableRandom r) {
        byte[] bytes = new byte[32];
        r.nextBytes(bytes);
        return bytes;
    }

    /** Any encodable string, control characters included; sometimes long. */
    static String str(SplittableRandom r) {
        int pieces = r.nextInt(10) == 0 ? r.nextInt(2000) : r.nextInt(12);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < pieces; i++) {
            s.append(r.nextInt(8) == 0 ? STRING_ONLY_PIECES[r.nextInt(STRING_ONLY_PIECES.length)]
                    : PIECES[r.nextInt(PIECES.length)]);
        }
        return s.toString();
    }

    /** A valid map name: 1 to 255 bytes, no control characters. */
    static String mapName(SplittableRandom r) {
        StringBuilder s = new StringBuilder(PIECES[r.nextInt(PIECES.length)]);
        int pieces = r.nextInt(10) == 0 ? r.nextInt(200) : r.nextInt(8);
        for (int i = 0; i < pieces; i++) {
            String piece = PIECES[r.nextInt(PIECES.length)];
            if (Fields.utf8Length(s.toString()) + Fields.utf8Length(piece) > Fields.MAX_MAP_NAME_BYTES) {
                break;
            }
            s.append(piece);
        }
        return s.toString();
    }

    static long i64(SplittableRandom r) {
        switch (r.nextInt(6)) {
            case 0:
                return 0;
            case 1:
                return Long.MIN_VALUE;
            case 2:
                return Long.MAX_VALUE;
            case 3:
                return r.nextInt(1000);
            default:
                return r.nextLong();
        }
    }

    static long nonNegative(SplittableRandom r) {
        long value = i64(r);
        return value == Long.MIN_VALUE ? 0 : Math.abs(value);
    }

    static long u32(SplittableRandom r) {
        return r.nextBoolean() ? r.nextInt(1000) : r.nextLong(Fields.MAX_U32 + 1);
    }

    static int id(SplittableRandom r) {
        return r.nextBoolean() ? r.nextInt(100) : r.nextInt();
    }

    static int u16(SplittableRandom r) {
        return r.nextBoolean() ? r.nextInt(4) : r.nextInt(Fields.MAX_U16 + 1);
    }

    private static <E> E pick(SplittableRandom r, E[] values) {
        return values[r.nextInt(values.length)];
    }

    private static <T> List<T> list(SplittableRandom r, int max, Function<SplittableRandom, T> element) {
        int count = r.nextInt(4) == 0 ? 0 : r.nextInt(max + 1);
        List<T> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            list.add(element.apply(r));
        }
        return list;
    }

    static int bucket(SplittableRandom r) {
        return r.nextBoolean() ? r.nextInt(8) : r.nextInt(ClusterWire.MAX_BUCKET_COUNT);
    }

    static ClusterWire.View view(SplittableRandom r) {
        List<ClusterWire.Member> members = new ArrayList<>();
        List<String> nodeIds = nodeIds(r, 6);
        for (String nodeId : nodeIds) {
            members.add(new ClusterWire.Member(nodeId, str(r), str(r), i64(r)));
        }
        return new ClusterWire.View(i64(r), members);
    }

    /** Up to {@code max} distinct node ids. */
    private static List<String> nodeIds(SplittableRandom r, int max) {
        List<String> ids = new ArrayList<>();
        int count = r.nextInt(4) == 0 ? 0 : r.nextInt(max + 1);
        for (int i = 0; i < count; i++) {
            String id = r.nextBoolean() ? "n" + r.nextInt(100) : str(r);
            if (!ids.contains(id)) {
                ids.add(id);
            }
        }
        return ids;
    }

    private static ClusterWire.BucketOwners owners(SplittableRandom r, int bucket) {
        List<ClusterWire.Replica> replicas = new ArrayList<>();
        for (String nodeId : nodeIds(r, 4)) {
            replicas.add(new ClusterWire.Replica(nodeId, r.nextInt(4)));
        }
        return new ClusterWire.BucketOwners(bucket, replicas);
    }

    /** A full table (small bucket counts mostly) or a difference (any bucket count, few buckets). */
    static ClusterWire.Table table(SplittableRandom r, boolean full) {
        int backupCount = r.nextBoolean() ? r.nextInt(3) : r.nextInt(256);
        List<ClusterWire.BucketOwners> buckets = new ArrayList<>();
        if (full) {
            int bucketCount = 1 << (r.nextInt(20) == 0 ? 10 : r.nextInt(6));
            for (int bucket = 0; bucket < bucketCount; bucket++) {
                buckets.add(owners(r, bucket));
            }
            return new ClusterWire.Table(0, 1 + r.nextLong(Long.MAX_VALUE), bucketCount, backupCount, buckets);
        }
        int bucketCount = 1 << r.nextInt(17);
        int bucket = -1;
        int changed = r.nextInt(6);
        for (int i = 0; i < changed; i++) {
            int left = bucketCount - 1 - bucket;
            if (left == 0) {
                break;
            }
            bucket += 1 + (r.nextBoolean() ? 0 : r.nextInt(left));
            buckets.add(owners(r, bucket));
        }
        long fromVersion = r.nextBoolean() ? 1 + r.nextInt(100) : 1 + r.nextLong(Long.MAX_VALUE - 1);
        long toVersion = fromVersion + 1 + r.nextLong(Long.MAX_VALUE - fromVersion);
        return new ClusterWire.Table(fromVersion, toVersion, bucketCount, backupCount, buckets);
    }

    static ClusterWire.Change change(SplittableRandom r) {
        EventType type = pick(r, EventType.values());
        return new ClusterWire.Change(bucket(r), i64(r), type.code(), mapName(r), bytes(r),
                ClusterWire.carriesValue(type.code()) ? bytes(r) : null, i64(r), i64(r));
    }

    static ClusterWire.Entry entry(SplittableRandom r) {
        return new ClusterWire.Entry(mapName(r), bytes(r), bytes(r), i64(r), i64(r), i64(r));
    }

    private static List<Kind> build() {
        List<Kind> kinds = new ArrayList<>();
        // requests
        request(kinds, "HELLO", r -> new Request.Hello(u16(r), u16(r), str(r), str(r)));
        request(kinds, "AUTH", r -> new Request.Auth(raw32(r), raw32(r)));
        request(kinds, "PING", r -> new Request.Ping(i64(r)));
        request(kinds, "GOODBYE", r -> new Request.Goodbye(str(r)));
        request(kinds, "GET", r -> new Request.Get(mapName(r), bytes(r)));
        request(kinds, "GET_ENTRY", r -> new Request.GetEntry(mapName(r), bytes(r)));
        request(kinds, "CONTAINS", r -> new Request.Contains(mapName(r), bytes(r)));
        request(kinds, "PUT", r -> new Request.Put(mapName(r), bytes(r), bytes(r), nonNegative(r)));
        request(kinds, "PUT_IF_ABSENT", r -> new Request.PutIfAbsent(mapName(r), bytes(r), bytes(r), nonNegative(r)));
        request(kinds, "REPLACE", r -> new Request.Replace(mapName(r), bytes(r), bytes(r), nonNegative(r),
                pick(r, Condition.values()), i64(r)));
        request(kinds, "REMOVE", r -> new Request.Remove(mapName(r), bytes(r), pick(r, Condition.values()), i64(r)));
        request(kinds, "SIZE", r -> new Request.Size(mapName(r)));
        request(kinds, "CLEAR", r -> new Request.Clear(mapName(r)));
        request(kinds, "SCAN", r -> new Request.Scan(mapName(r), u32(r),
                r.nextBoolean() ? null : new Request.ScanCursor(i64(r), bytes(r)), 1 + r.nextInt(65_536)));
        request(kinds, "HASH_CHECK", r -> new Request.HashCheck(bytes(r)));
        request(kinds, "SUBSCRIBE", r -> {
            SubscriptionKind kind = pick(r, SubscriptionKind.values());
            return new Request.Subscribe(mapName(r), kind, kind == SubscriptionKind.ALL ? new byte[0] : bytes(r));
        });
        request(kinds, "UNSUBSCRIBE", r -> new Request.Unsubscribe(id(r)));
        request(kinds, "STATS", r -> new Request.Stats());
        request(kinds, "LOAD_LEVELS", r -> new Request.LoadLevels());
        request(kinds, "JOIN", r -> new Request.Join(str(r), str(r), str(r), i64(r)));
        request(kinds, "VIEW", r -> new Request.View(view(r)));
        request(kinds, "HEARTBEAT", r -> new Request.Heartbeat(str(r), i64(r), i64(r)));
        request(kinds, "TABLE", r -> new Request.Table(table(r, r.nextBoolean())));
        request(kinds, "TABLE_FETCH", r -> new Request.TableFetch());
        request(kinds, "REPLICATE", r -> new Request.Replicate(list(r, 5, RandomFrames::change)));
        request(kinds, "MIGRATE_CHUNK", r -> new Request.MigrateChunk(bucket(r), i64(r), i64(r), r.nextBoolean(),
                list(r, 5, RandomFrames::entry)));
        request(kinds, "BUCKET_DIGEST", r -> new Request.BucketDigest(bucket(r)));
        request(kinds, "LEAVE", r -> new Request.Leave(str(r), str(r)));
        request(kinds, "CLUSTER_STATE", r -> new Request.ClusterState(r.nextInt(3)));
        request(kinds, "FEED_DONE", r -> new Request.FeedDone(bucket(r), i64(r), str(r), i64(r)));

        // replies
        reply(kinds, "HELLO", r -> new Reply.Hello(u16(r), str(r), str(r), r.nextBoolean(), raw32(r), u32(r), u32(r)));
        reply(kinds, "AUTH", r -> new Reply.Auth(raw32(r)));
        reply(kinds, "PING", r -> new Reply.Ping(i64(r)));
        reply(kinds, "GOODBYE", r -> new Reply.Goodbye());
        reply(kinds, "GET", r -> r.nextBoolean() ? new Reply.Get(true, bytes(r)) : new Reply.Get(false, null));
        reply(kinds, "GET_ENTRY", r -> r.nextBoolean()
                ? new Reply.GetEntry(true, i64(r), i64(r), i64(r), i64(r), bytes(r))
                : new Reply.GetEntry(false, 0, 0, 0, 0, null));
        reply(kinds, "CONTAINS", r -> new Reply.Contains(r.nextBoolean()));
        reply(kinds, "PUT", r -> new Reply.Put(i64(r)));
        reply(kinds, "PUT_IF_ABSENT", r -> r.nextBoolean() ? new Reply.PutIfAbsent(true, i64(r), null)
                : new Reply.PutIfAbsent(false, i64(r), bytes(r)));
        reply(kinds, "REPLACE", r -> new Reply.Replace(r.nextBoolean(), i64(r)));
        reply(kinds, "REMOVE", r -> new Reply.Remove(r.nextBoolean(), i64(r)));
        reply(kinds, "SIZE", r -> new Reply.Size(i64(r)));
        reply(kinds, "CLEAR", r -> new Reply.Clear());
        reply(kinds, "SCAN", r -> new Reply.Scan(list(r, 5, e -> new Reply.ScanEntry(bytes(e), i64(e), i64(e),
                i64(e), bytes(e))), r.nextBoolean()));
        reply(kinds, "HASH_CHECK", r -> new Reply.HashCheck(i64(r), u32(r)));
        reply(kinds, "SUBSCRIBE", r -> new Reply.Subscribe(id(r)));
        reply(kinds, "UNSUBSCRIBE", r -> new Reply.Unsubscribe(r.nextBoolean()));
        reply(kinds, "STATS", r -> new Reply.Stats(list(r, 8, e -> new Reply.Stat(str(e), i64(e)))));
        reply(kinds, "LOAD_LEVELS", r -> new Reply.LoadLevels(list(r, 4, e -> new Reply.LoadLevel(str(e), i64(e),
                i64(e), i64(e), i64(e)))));
        reply(kinds, "JOIN", r -> r.nextBoolean() ? new Reply.Join(true, "", view(r), table(r, true))
                : new Reply.Join(false, str(r), null, null));
        reply(kinds, "VIEW", r -> new Reply.View(i64(r)));
        reply(kinds, "HEARTBEAT", r -> new Reply.Heartbeat(i64(r), i64(r)));
        reply(kinds, "TABLE", r -> new Reply.Table(i64(r)));
        reply(kinds, "TABLE_FETCH", r -> new Reply.TableFetch(table(r, true)));
        reply(kinds, "REPLICATE", r -> new Reply.Replicate(u16(r)));
        reply(kinds, "MIGRATE_CHUNK", r -> new Reply.MigrateChunk(r.nextBoolean() ? r.nextInt(100)
                : r.nextInt(Integer.MAX_VALUE) + 1));
        reply(kinds, "BUCKET_DIGEST", r -> new Reply.BucketDigest(bucket(r), i64(r), i64(r), i64(r)));
        reply(kinds, "LEAVE", r -> new Reply.Leave());
        reply(kinds, "CLUSTER_STATE", r -> new Reply.ClusterState(r.nextBoolean(), i64(r)));
        reply(kinds, "FEED_DONE", r -> new Reply.FeedDone());

        // error replies: any opcode byte, any code
        kinds.add(new Kind("error reply", r -> new Frame(id(r),
                new ErrorReply(r.nextInt(256), pick(r, ErrorCode.values()), str(r)))));
        kinds.add(new Kind("connection error", r -> new Frame(0,
                new ErrorReply(0, pick(r, ErrorCode.values()), str(r)))));

        // pushes
        kinds.add(new Kind("EVENT push", r -> {
            boolean hasValue = r.nextBoolean();
            return new Frame(0, new Push.Event(id(r), pick(r, EventType.values()), u32(r), i64(r), i64(r), bytes(r),
                    hasValue, hasValue ? bytes(r) : null, hasValue ? i64(r) : 0));
        }));
        kinds.add(new Kind("EVENTS_DROPPED push", r -> new Frame(0, new Push.EventsDropped(id(r), i64(r)))));
        kinds.add(new Kind("SERVER_INFO push", r -> new Frame(0, new Push.ServerInfo(i64(r),
                list(r, 6, e -> new Push.NodeAddress(str(e), str(e)))))));
        return List.copyOf(kinds);
    }

    private static void request(List<Kind> kinds, String name, Function<SplittableRandom, Request> body) {
        kinds.add(new Kind(name + " request", r -> new Frame(id(r), body.apply(r))));
    }

    private static void reply(List<Kind> kinds, String name, Function<SplittableRandom, Reply> body) {
        kinds.add(new Kind(name + " reply", r -> new Frame(id(r), body.apply(r))));
    }
}
