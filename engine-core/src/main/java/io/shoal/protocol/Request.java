package io.shoal.protocol;

import static io.shoal.protocol.Fields.bytes;
import static io.shoal.protocol.Fields.equal;
import static io.shoal.protocol.Fields.hash;
import static io.shoal.protocol.Fields.list;
import static io.shoal.protocol.Fields.mapName;
import static io.shoal.protocol.Fields.nonNegative;
import static io.shoal.protocol.Fields.notNull;
import static io.shoal.protocol.Fields.raw32;
import static io.shoal.protocol.Fields.show;
import static io.shoal.protocol.Fields.str;
import static io.shoal.protocol.Fields.u16;
import static io.shoal.protocol.Fields.u32;

import java.util.List;
import java.util.Objects;

/**
 * A request body (frame flags 0), one record per command of docs/protocol.md sections 4 and 11.
 * The client sends the commands of section 4; the node sends {@link Ping} and {@link Goodbye} too,
 * and nodes send each other the cluster messages of section 11 ({@link Join} to {@link FeedDone}). Field names and
 * order follow the spec; {@code map} fields must be valid map names (1 to 255 bytes of UTF-8, no
 * control characters), {@code ttlMs} must not be negative.
 */
public sealed interface Request extends Message {

    /** The command. */
    Opcode opcode();

    /** HELLO: the protocol versions the sender speaks, the cluster it expects, its name for logs. */
    record Hello(int minVersion, int maxVersion, String clusterName, String clientName) implements Request {
        public Hello {
            u16(minVersion, "minVersion");
            u16(maxVersion, "maxVersion");
            str(clusterName, "clusterName");
            str(clientName, "clientName");
        }

        @Override
        public Opcode opcode() {
            return Opcode.HELLO;
        }
    }

    /** AUTH: the client's 32-byte nonce and its proof (see {@link AuthProofs#clientProof}). */
    record Auth(byte[] clientNonce, byte[] clientProof) implements Request {
        public Auth {
            raw32(clientNonce, "clientNonce");
            raw32(clientProof, "clientProof");
        }

        @Override
        public Opcode opcode() {
            return Opcode.AUTH;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Auth other && equal(clientNonce, other.clientNonce)
                    && equal(clientProof, other.clientProof);
        }

        @Override
        public int hashCode() {
            return 31 * hash(clientNonce) + hash(clientProof);
        }

        @Override
        public String toString() {
            return "Auth[clientNonce=" + show(clientNonce) + ", clientProof=" + show(clientProof) + "]";
        }
    }

    /** PING: any payload, echoed by the reply. */
    record Ping(long payload) implements Request {
        @Override
        public Opcode opcode() {
            return Opcode.PING;
        }
    }

    /** GOODBYE: the sender stops; {@code reason} is for people. */
    record Goodbye(String reason) implements Request {
        public Goodbye {
            str(reason, "reason");
        }

        @Override
        public Opcode opcode() {
            return Opcode.GOODBYE;
        }
    }

    /** GET: the value of {@code key}. */
    record Get(String map, byte[] key) implements Request {
        public Get {
            mapName(map);
            bytes(key, "key");
        }

        @Override
        public Opcode opcode() {
            return Opcode.GET;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Get other && map.equals(other.map) && equal(key, other.key);
        }

        @Override
        public int hashCode() {
            return 31 * map.hashCode() + hash(key);
        }

        @Override
        public String toString() {
            return "Get[map=" + map + ", key=" + show(key) + "]";
        }
    }

    /** GET_ENTRY: the value of {@code key} with its metadata. */
    record GetEntry(String map, byte[] key) implements Request {
        public GetEntry {
            mapName(map);
            bytes(key, "key");
        }

        @Override
        public Opcode opcode() {
            return Opcode.GET_ENTRY;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof GetEntry other && map.equals(other.map) && equal(key, other.key);
        }

        @Override
        public int hashCode() {
            return 31 * map.hashCode() + hash(key);
        }

        @Override
        public String toString() {
            return "GetEntry[map=" + map + ", key=" + show(key) + "]";
        }
    }

    /** CONTAINS: whether {@code key} has a value. */
    record Contains(String map, byte[] key) implements Request {
        public Contains {
            mapName(map);
            bytes(key, "key");
        }

        @Override
        public Opcode opcode() {
            return Opcode.CONTAINS;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Contains other && map.equals(other.map) && equal(key, other.key);
        }

        @Override
        public int hashCode() {
            return 31 * map.hashCode() + hash(key);
        }

        @Override
        public String toString() {
            return "Contains[map=" + map + ", key=" + show(key) + "]";
        }
    }

    /** PUT: store {@code value} under {@code key}; {@code ttlMs} 0 = no expiry. */
    record Put(String map, byte[] key, byte[] value, long ttlMs) implements Request {
        public Put {
            mapName(map);
            bytes(key, "key");
            bytes(value, "value");
            nonNegative(ttlMs, "ttlMs");
        }

        @Override
        public Opcode opcode() {
            return Opcode.PUT;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Put other && map.equals(other.map) && equal(key, other.key)
                    && equal(value, other.value) && ttlMs == other.ttlMs;
        }

        @Override
        public int hashCode() {
            return Objects.hash(map, hash(key), hash(value), ttlMs);
        }

        @Override
        public String toString() {
            return "Put[map=" + map + ", key=" + show(key) + ", value=" + show(value) + ", ttlMs=" + ttlMs + "]";
        }
    }

    /** PUT_IF_ABSENT: store {@code value} only if {@code key} has none; {@code ttlMs} 0 = no expiry. */
    record PutIfAbsent(String map, byte[] key, byte[] value, long ttlMs) implements Request {
        public PutIfAbsent {
            mapName(map);
            bytes(key, "key");
            bytes(value, "value");
            nonNegative(ttlMs, "ttlMs");
        }

        @Override
        public Opcode opcode() {
            return Opcode.PUT_IF_ABSENT;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PutIfAbsent other && map.equals(other.map) && equal(key, other.key)
                    && equal(value, other.value) && ttlMs == other.ttlMs;
        }

        @Override
        public int hashCode() {
            return Objects.hash(map, hash(key), hash(value), ttlMs);
        }

        @Override
        public String toString() {
            return "PutIfAbsent[map=" + map + ", key=" + show(key) + ", value=" + show(value) + ", ttlMs="
                    + ttlMs + "]";
        }
    }

    /**
     * REPLACE: replace a present value, if {@code condition} holds for {@code expected};
     * {@code ttlMs} 0 = no expiry.
     */
    record Replace(String map, byte[] key, byte[] value, long ttlMs, Condition condition, long expected)
            implements Request {
        public Replace {
            mapName(map);
            bytes(key, "key");
            bytes(value, "value");
            nonNegative(ttlMs, "ttlMs");
            notNull(condition, "condition");
        }

        @Override
        public Opcode opcode() {
            return Opcode.REPLACE;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Replace other && map.equals(other.map) && equal(key, other.key)
                    && equal(value, other.value) && ttlMs == other.ttlMs && condition == other.condition
                    && expected == other.expected;
        }

        @Override
        public int hashCode() {
            return Objects.hash(map, hash(key), hash(value), ttlMs, condition, expected);
        }

        @Override
        public String toString() {
            return "Replace[map=" + map + ", key=" + show(key) + ", value=" + show(value) + ", ttlMs=" + ttlMs
                    + ", condition=" + condition + ", expected=" + expected + "]";
        }
    }

    /** REMOVE: remove the value of {@code key}, if {@code condition} holds for {@code expected}. */
    record Remove(String map, byte[] key, Condition condition, long expected) implements Request {
        public Remove {
            mapName(map);
            bytes(key, "key");
            notNull(condition, "condition");
        }

        @Override
        public Opcode opcode() {
            return Opcode.REMOVE;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Remove other && map.equals(other.map) && equal(key, other.key)
                    && condition == other.condition && expected == other.expected;
        }

        @Override
        public int hashCode() {
            return Objects.hash(map, hash(key), condition, expected);
        }

        @Override
        public String toString() {
            return "Remove[map=" + map + ", key=" + show(key) + ", condition=" + condition + ", expected="
                    + expected + "]";
        }
    }

    /** SIZE: the number of live entries of the map on the node. */
    record Size(String map) implements Request {
        public Size {
            mapName(map);
        }

        @Override
        public Opcode opcode() {
            return Opcode.SIZE;
        }
    }

    /** CLEAR: remove every entry of the map. */
    record Clear(String map) implements Request {
        public Clear {
            mapName(map);
        }

        @Override
        public Opcode opcode() {
            return Opcode.CLEAR;
        }
    }

    /**
     * SCAN: one page of one bucket of a map, at most {@code maxEntries} (1 to 65,536) entries after
     * {@code cursor}; {@code cursor} is {@code null} for the first page ({@code hasCursor} false).
     */
    record Scan(String map, long bucket, ScanCursor cursor, int maxEntries) implements Request {
        public Scan {
            mapName(map);
            u32(bucket, "bucket");
            Fields.scanMaxEntries(maxEntries);
        }

        @Override
        public Opcode opcode() {
            return Opcode.SCAN;
        }
    }

    /** Where a {@link Scan} page starts: after the entry with this key hash and key. */
    record ScanCursor(long afterHash, byte[] afterKey) {
        public ScanCursor {
            bytes(afterKey, "afterKey");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ScanCursor other && afterHash == other.afterHash && equal(afterKey, other.afterKey);
        }

        @Override
        public int hashCode() {
            return 31 * Long.hashCode(afterHash) + hash(afterKey);
        }

        @Override
        public String toString() {
            return "ScanCursor[afterHash=" + afterHash + ", afterKey=" + show(afterKey) + "]";
        }
    }

    /** HASH_CHECK: the node's key hash of {@code data} and its bucket. */
    record HashCheck(byte[] data) implements Request {
        public HashCheck {
            bytes(data, "data");
        }

        @Override
        public Opcode opcode() {
            return Opcode.HASH_CHECK;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof HashCheck other && equal(data, other.data);
        }

        @Override
        public int hashCode() {
            return hash(data);
        }

        @Override
        public String toString() {
            return "HashCheck[data=" + show(data) + "]";
        }
    }

    /** SUBSCRIBE: events of the map, a key or a prefix; {@code match} is empty for {@link SubscriptionKind#ALL}. */
    record Subscribe(String map, SubscriptionKind kind, byte[] match) implements Request {
        public Subscribe {
            mapName(map);
            notNull(kind, "kind");
            bytes(match, "match");
            if (kind == SubscriptionKind.ALL && match.length != 0) {
                throw new IllegalArgumentException("match must be empty for kind ALL, has " + match.length
                        + " bytes");
            }
        }

        @Override
        public Opcode opcode() {
            return Opcode.SUBSCRIBE;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Subscribe other && map.equals(other.map) && kind == other.kind
                    && equal(match, other.match);
        }

        @Override
        public int hashCode() {
            return Objects.hash(map, kind, hash(match));
        }

        @Override
        public String toString() {
            return "Subscribe[map=" + map + ", kind=" + kind + ", match=" + show(match) + "]";
        }
    }

    /** UNSUBSCRIBE: end the subscription (a u32 id, held as an int with the same bits). */
    record Unsubscribe(int subscriptionId) implements Request {
        @Override
        public Opcode opcode() {
            return Opcode.UNSUBSCRIBE;
        }
    }

    /** STATS: the node's counters. */
    record Stats() implements Request {
        @Override
        public Opcode opcode() {
            return Opcode.STATS;
        }
    }

    /** LOAD_LEVELS: each node's load. */
    record LoadLevels() implements Request {
        @Override
        public Opcode opcode() {
            return Opcode.LOAD_LEVELS;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Cluster messages (section 11)

    /** JOIN: a node asks a seed to let it into the cluster. */
    record Join(String nodeId, String address, String zone, long incarnation) implements Request {
        public Join {
            str(nodeId, "nodeId");
            str(address, "address");
            str(zone, "zone");
        }

        @Override
        public Opcode opcode() {
            return Opcode.JOIN;
        }
    }

    /** VIEW: the coordinator tells a member the new membership view. */
    record View(ClusterWire.View view) implements Request {
        public View {
            notNull(view, "view");
        }

        @Override
        public Opcode opcode() {
            return Opcode.VIEW;
        }
    }

    /** HEARTBEAT: a sign of life, with the view and table versions the sender holds. */
    record Heartbeat(String nodeId, long viewVersion, long tableVersion) implements Request {
        public Heartbeat {
            str(nodeId, "nodeId");
        }

        @Override
        public Opcode opcode() {
            return Opcode.HEARTBEAT;
        }
    }

    /** TABLE: the coordinator sends a member a full partition table or a difference. */
    record Table(ClusterWire.Table table) implements Request {
        public Table {
            notNull(table, "table");
        }

        @Override
        public Opcode opcode() {
            return Opcode.TABLE;
        }
    }

    /** TABLE_FETCH: ask for the full partition table. */
    record TableFetch() implements Request {
        @Override
        public Opcode opcode() {
            return Opcode.TABLE_FETCH;
        }
    }

    /** REPLICATE: changes from a bucket's primary (at most 65,535), in per-bucket sequence order. */
    record Replicate(List<ClusterWire.Change> changes) implements Request {
        public Replicate {
            changes = list(changes, "changes", Fields.MAX_U16);
        }

        @Override
        public Opcode opcode() {
            return Opcode.REPLICATE;
        }
    }

    /**
     * MIGRATE_CHUNK: entries of {@code bucket} from its primary to a receiving node, as of
     * {@code sequence} under table {@code tableVersion}; {@code last} on the final chunk.
     */
    record MigrateChunk(int bucket, long tableVersion, long sequence, boolean last, List<ClusterWire.Entry> entries)
            implements Request {
        public MigrateChunk {
            ClusterWire.checkBucket(bucket, "bucket");
            entries = list(entries, "entries", Integer.MAX_VALUE);
        }

        @Override
        public Opcode opcode() {
            return Opcode.MIGRATE_CHUNK;
        }
    }

    /** BUCKET_DIGEST: the receiver's digest of its copy of {@code bucket} (anti-entropy). */
    record BucketDigest(int bucket) implements Request {
        public BucketDigest {
            ClusterWire.checkBucket(bucket, "bucket");
        }

        @Override
        public Opcode opcode() {
            return Opcode.BUCKET_DIGEST;
        }
    }

    /** LEAVE: a node tells the coordinator it leaves the cluster (graceful shutdown). */
    record Leave(String nodeId, String reason) implements Request {
        public Leave {
            str(nodeId, "nodeId");
            str(reason, "reason");
        }

        @Override
        public Opcode opcode() {
            return Opcode.LEAVE;
        }
    }

    /**
     * CLUSTER_STATE: {@link ClusterWire#QUERY} (0), {@link ClusterWire#PAUSE} (1) or
     * {@link ClusterWire#RESUME} (2) the cluster.
     */
    record ClusterState(int action) implements Request {
        public ClusterState {
            ClusterWire.clusterAction(action);
        }

        @Override
        public Opcode opcode() {
            return Opcode.CLUSTER_STATE;
        }
    }

    /**
     * FEED_DONE: the primary of {@code bucket} tells the coordinator that {@code receiverNodeId} holds
     * every change of the bucket up to {@code sequence}, under table {@code tableVersion}.
     */
    record FeedDone(int bucket, long tableVersion, String receiverNodeId, long sequence) implements Request {
        public FeedDone {
            ClusterWire.checkBucket(bucket, "bucket");
            str(receiverNodeId, "receiverNodeId");
        }

        @Override
        public Opcode opcode() {
            return Opcode.FEED_DONE;
        }
    }
}
