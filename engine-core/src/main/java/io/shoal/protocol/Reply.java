package io.shoal.protocol;

import static io.shoal.protocol.Fields.bytes;
import static io.shoal.protocol.Fields.equal;
import static io.shoal.protocol.Fields.hash;
import static io.shoal.protocol.Fields.list;
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
 * A successful reply body (frame flags {@code REPLY}), one record per command of
 * docs/protocol.md sections 4 and 11; the frame carries the request's opcode and id. A field the spec sends
 * only under a condition ("if {@code found}") is {@code null} (arrays) or 0 (numbers) when absent,
 * and the constructor insists on it, so that a reply has exactly one encoding.
 */
public sealed interface Reply extends Message {

    /** The command this reply answers. */
    Opcode opcode();

    /**
     * HELLO reply: the chosen version, the node, whether AUTH must follow (with the node's nonce,
     * 32 zero bytes if not), the frame limit after READY and the cluster's bucket count.
     */
    record Hello(int version, String nodeId, String clusterName, boolean authRequired, byte[] serverNonce,
                 long maxFrameBytes, long bucketCount) implements Reply {
        public Hello {
            u16(version, "version");
            str(nodeId, "nodeId");
            str(clusterName, "clusterName");
            raw32(serverNonce, "serverNonce");
            u32(maxFrameBytes, "maxFrameBytes");
            u32(bucketCount, "bucketCount");
        }

        @Override
        public Opcode opcode() {
            return Opcode.HELLO;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Hello other && version == other.version && nodeId.equals(other.nodeId)
                    && clusterName.equals(other.clusterName) && authRequired == other.authRequired
                    && equal(serverNonce, other.serverNonce) && maxFrameBytes == other.maxFrameBytes
                    && bucketCount == other.bucketCount;
        }

        @Override
        public int hashCode() {
            return Objects.hash(version, nodeId, clusterName, authRequired, hash(serverNonce), maxFrameBytes,
                    bucketCount);
        }

        @Override
        public String toString() {
            return "Hello[version=" + version + ", nodeId=" + nodeId + ", clusterName=" + clusterName
                    + ", authRequired=" + authRequired + ", serverNonce=" + show(serverNonce) + ", maxFrameBytes="
                    + maxFrameBytes + ", bucketCount=" + bucketCount + "]";
        }
    }

    /** AUTH reply: the node's proof (see {@link AuthProofs#serverProof}). */
    record Auth(byte[] serverProof) implements Reply {
        public Auth {
            raw32(serverProof, "serverProof");
        }

        @Override
        public Opcode opcode() {
            return Opcode.AUTH;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Auth other && equal(serverProof, other.serverProof);
        }

        @Override
        public int hashCode() {
            return hash(serverProof);
        }

        @Override
        public String toString() {
            return "Auth[serverProof=" + show(serverProof) + "]";
        }
    }

    /** PING reply: the request's payload. */
    record Ping(long payload) implements Reply {
        @Override
        public Opcode opcode() {
            return Opcode.PING;
        }
    }

    /** GOODBYE reply (empty). */
    record Goodbye() implements Reply {
        @Override
        public Opcode opcode() {
            return Opcode.GOODBYE;
        }
    }

    /** GET reply: {@code value} is present if and only if {@code found}. */
    record Get(boolean found, byte[] value) implements Reply {
        public Get {
            presentIff(found, value, "value", "found");
        }

        @Override
        public Opcode opcode() {
            return Opcode.GET;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Get other && found == other.found && equal(value, other.value);
        }

        @Override
        public int hashCode() {
            return 31 * Boolean.hashCode(found) + hash(value);
        }

        @Override
        public String toString() {
            return "Get[found=" + found + ", value=" + show(value) + "]";
        }
    }

    /** GET_ENTRY reply: the value with its metadata if {@code found}, else null and zeros. */
    record GetEntry(boolean found, long version, long valueHash, long timestampMs, long expiresAtMs, byte[] value)
            implements Reply {
        public GetEntry {
            presentIff(found, value, "value", "found");
            if (!found && (version != 0 || valueHash != 0 || timestampMs != 0 || expiresAtMs != 0)) {
                throw new IllegalArgumentException("a GET_ENTRY reply without found has zero metadata");
            }
        }

        @Override
        public Opcode opcode() {
            return Opcode.GET_ENTRY;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof GetEntry other && found == other.found && version == other.version
                    && valueHash == other.valueHash && timestampMs == other.timestampMs
                    && expiresAtMs == other.expiresAtMs && equal(value, other.value);
        }

        @Override
        public int hashCode() {
            return Objects.hash(found, version, valueHash, timestampMs, expiresAtMs, hash(value));
        }

        @Override
        public String toString() {
            return "GetEntry[found=" + found + ", version=" + version + ", valueHash=" + valueHash
                    + ", timestampMs=" + timestampMs + ", expiresAtMs=" + expiresAtMs + ", value=" + show(value)
                    + "]";
        }
    }

    /** CONTAINS reply. */
    record Contains(boolean found) implements Reply {
        @Override
        public Opcode opcode() {
            return Opcode.CONTAINS;
        }
    }

    /** PUT reply: the new value's version. */
    record Put(long version) implements Reply {
        @Override
        public Opcode opcode() {
            return Opcode.PUT;
        }
    }

    /**
     * PUT_IF_ABSENT reply: {@code version} is the new value's if {@code applied}, else the existing
     * value's; {@code existing} is present if and only if not {@code applied}.
     */
    record PutIfAbsent(boolean applied, long version, byte[] existing) implements Reply {
        public PutIfAbsent {
            presentIff(!applied, existing, "existing", "not applied");
        }

        @Override
        public Opcode opcode() {
            return Opcode.PUT_IF_ABSENT;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PutIfAbsent other && applied == other.applied && version == other.version
                    && equal(existing, other.existing);
        }

        @Override
        public int hashCode() {
            return Objects.hash(applied, version, hash(existing));
        }

        @Override
        public String toString() {
            return "PutIfAbsent[applied=" + applied + ", version=" + version + ", existing=" + show(existing)
                    + "]";
        }
    }

    /** REPLACE reply: {@code version} is the new value's if {@code applied}, else the current one's (0 if none). */
    record Replace(boolean applied, long version) implements Reply {
        @Override
        public Opcode opcode() {
            return Opcode.REPLACE;
        }
    }

    /** REMOVE reply: {@code version} is the removed value's if {@code removed}, else the current one's (0 if none). */
    record Remove(boolean removed, long version) implements Reply {
        @Override
        public Opcode opcode() {
            return Opcode.REMOVE;
        }
    }

    /** SIZE reply. */
    record Size(long entries) implements Reply {
        @Override
        public Opcode opcode() {
            return Opcode.SIZE;
        }
    }

    /** CLEAR reply (empty). */
    record Clear() implements Reply {
        @Override
        public Opcode opcode() {
            return Opcode.CLEAR;
        }
    }

    /** SCAN reply: a page of entries in scan order, and whether more existed after the last. */
    record Scan(List<ScanEntry> entries, boolean more) implements Reply {
        public Scan {
            entries = list(entries, "entries", Fields.MAX_U32);
        }

        @Override
        public Opcode opcode() {
            return Opcode.SCAN;
        }
    }

    /** One entry of a {@link Scan} reply. */
    record ScanEntry(byte[] key, long version, long timestampMs, long expiresAtMs, byte[] value) {
        public ScanEntry {
            bytes(key, "key");
            bytes(value, "value");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ScanEntry other && equal(key, other.key) && version == other.version
                    && timestampMs == other.timestampMs && expiresAtMs == other.expiresAtMs
                    && equal(value, other.value);
        }

        @Override
        public int hashCode() {
            return Objects.hash(hash(key), version, timestampMs, expiresAtMs, hash(value));
        }

        @Override
        public String toString() {
            return "ScanEntry[key=" + show(key) + ", version=" + version + ", timestampMs=" + timestampMs
                    + ", expiresAtMs=" + expiresAtMs + ", value=" + show(value) + "]";
        }
    }

    /** HASH_CHECK reply: key hash v1 of the data and its bucket under the node's bucket count. */
    record HashCheck(long hash, long bucket) implements Reply {
        public HashCheck {
            u32(bucket, "bucket");
        }

        @Override
        public Opcode opcode() {
            return Opcode.HASH_CHECK;
        }
    }

    /** SUBSCRIBE reply: the new subscription's id (a u32, held as an int with the same bits). */
    record Subscribe(int subscriptionId) implements Reply {
        @Override
        public Opcode opcode() {
            return Opcode.SUBSCRIBE;
        }
    }

    /** UNSUBSCRIBE reply. */
    record Unsubscribe(boolean existed) implements Reply {
        @Override
        public Opcode opcode() {
            return Opcode.UNSUBSCRIBE;
        }
    }

    /** STATS reply: named counters (at most 65,535); a client ignores names it does not know. */
    record Stats(List<Stat> stats) implements Reply {
        public Stats {
            stats = list(stats, "stats", Fields.MAX_U16);
        }

        @Override
        public Opcode opcode() {
            return Opcode.STATS;
        }
    }

    /** One counter of a {@link Stats} reply. */
    record Stat(String name, long value) {
        public Stat {
            str(name, "name");
        }
    }

    /** LOAD_LEVELS reply: one entry per node (at most 65,535). */
    record LoadLevels(List<LoadLevel> levels) implements Reply {
        public LoadLevels {
            levels = list(levels, "levels", Fields.MAX_U16);
        }

        @Override
        public Opcode opcode() {
            return Opcode.LOAD_LEVELS;
        }
    }

    /** One node's load in a {@link LoadLevels} reply. */
    record LoadLevel(String nodeId, long entries, long memoryUsedBytes, long memoryMaxBytes, long opsPerSecond) {
        public LoadLevel {
            str(nodeId, "nodeId");
        }
    }

    // ------------------------------------------------------------------------------------------
    // Cluster messages (section 11)

    /**
     * JOIN reply: if {@code accepted}, the current view and the full table (which include the new
     * member) and {@code coordinatorAddress} is {@code ""}; if not, {@code coordinatorAddress} is
     * where to send the JOIN ({@code ""} if the seed knows no coordinator yet) and {@code view} and
     * {@code table} are {@code null}.
     */
    record Join(boolean accepted, String coordinatorAddress, ClusterWire.View view, ClusterWire.Table table)
            implements Reply {
        public Join {
            str(coordinatorAddress, "coordinatorAddress");
            if (accepted) {
                notNull(view, "view (present when accepted)");
                notNull(table, "table (present when accepted)");
                if (!coordinatorAddress.isEmpty()) {
                    throw new IllegalArgumentException("coordinatorAddress must be empty when accepted");
                }
                if (!table.isFull()) {
                    throw new IllegalArgumentException("the table of an accepted JOIN is a full table (fromVersion 0),"
                            + " not a difference from " + table.fromVersion());
                }
            } else if (view != null || table != null) {
                throw new IllegalArgumentException("view and table must be null unless accepted");
            }
        }

        @Override
        public Opcode opcode() {
            return Opcode.JOIN;
        }
    }

    /** VIEW reply: the view version the receiver holds after it. */
    record View(long viewVersion) implements Reply {
        @Override
        public Opcode opcode() {
            return Opcode.VIEW;
        }
    }

    /** HEARTBEAT reply: the view and table versions the receiver holds. */
    record Heartbeat(long viewVersion, long tableVersion) implements Reply {
        @Override
        public Opcode opcode() {
            return Opcode.HEARTBEAT;
        }
    }

    /** TABLE reply: the table version the receiver holds after applying the table. */
    record Table(long tableVersion) implements Reply {
        @Override
        public Opcode opcode() {
            return Opcode.TABLE;
        }
    }

    /** TABLE_FETCH reply: the full partition table. */
    record TableFetch(ClusterWire.Table table) implements Reply {
        public TableFetch {
            notNull(table, "table");
            if (!table.isFull()) {
                throw new IllegalArgumentException("a TABLE_FETCH reply carries a full table (fromVersion 0), not a "
                        + "difference from " + table.fromVersion());
            }
        }

        @Override
        public Opcode opcode() {
            return Opcode.TABLE_FETCH;
        }
    }

    /** REPLICATE reply: how many of the changes were applied or already present (a u16). */
    record Replicate(int applied) implements Reply {
        public Replicate {
            u16(applied, "applied");
        }

        @Override
        public Opcode opcode() {
            return Opcode.REPLICATE;
        }
    }

    /** MIGRATE_CHUNK reply: how many entries of the chunk were received (a u32, at most 2^31 - 1). */
    record MigrateChunk(int received) implements Reply {
        public MigrateChunk {
            nonNegative(received, "received");
        }

        @Override
        public Opcode opcode() {
            return Opcode.MIGRATE_CHUNK;
        }
    }

    /**
     * BUCKET_DIGEST reply: the receiver's copy of {@code bucket} is at {@code sequence}, holds
     * {@code entries} entries and has this {@code digest}.
     */
    record BucketDigest(int bucket, long sequence, long entries, long digest) implements Reply {
        public BucketDigest {
            ClusterWire.checkBucket(bucket, "bucket");
        }

        @Override
        public Opcode opcode() {
            return Opcode.BUCKET_DIGEST;
        }
    }

    /** LEAVE reply (empty). */
    record Leave() implements Reply {
        @Override
        public Opcode opcode() {
            return Opcode.LEAVE;
        }
    }

    /** CLUSTER_STATE reply: whether the cluster is paused (after the action) and its table version. */
    record ClusterState(boolean paused, long tableVersion) implements Reply {
        @Override
        public Opcode opcode() {
            return Opcode.CLUSTER_STATE;
        }
    }

    /** FEED_DONE reply (empty). */
    record FeedDone() implements Reply {
        @Override
        public Opcode opcode() {
            return Opcode.FEED_DONE;
        }
    }

    private static void presentIff(boolean condition, byte[] field, String fieldName, String conditionName) {
        if (condition) {
            notNull(field, fieldName + " (present when " + conditionName + ")");
        } else if (field != null) {
            throw new IllegalArgumentException(fieldName + " must be null unless " + conditionName);
        }
    }
}
