package io.shoal.protocol;

import static io.shoal.protocol.Fields.bytes;
import static io.shoal.protocol.Fields.equal;
import static io.shoal.protocol.Fields.hash;
import static io.shoal.protocol.Fields.list;
import static io.shoal.protocol.Fields.mapName;
import static io.shoal.protocol.Fields.notNull;
import static io.shoal.protocol.Fields.show;
import static io.shoal.protocol.Fields.str;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The values the cluster messages (docs/protocol.md section 11) carry: membership views, partition
 * tables (full or as a difference), replicated changes and migrated entries. Constructors check
 * everything the spec calls malformed for these values (ranges, replica states, a table's bucket
 * order), so every value that exists can be encoded and decodes back equal.
 */
public final class ClusterWire {
    /** The largest bucket count of a cluster; every bucket field is below it. */
    public static final int MAX_BUCKET_COUNT = 65_536;

    /** {@link Replica#state()}: the copy holds every change of its bucket. */
    public static final int UP_TO_DATE = 0;
    /** {@link Replica#state()}: the copy missed changes and is being brought up to date. */
    public static final int OUT_OF_DATE = 1;
    /** {@link Replica#state()}: the node is receiving the bucket (migration) and does not serve it yet. */
    public static final int FEEDING = 2;
    /** {@link Replica#state()}: the copy is being dropped and is served no more. */
    public static final int DISCARDED = 3;

    /** {@link Request.ClusterState#action()}: only ask for the state. */
    public static final int QUERY = 0;
    /** {@link Request.ClusterState#action()}: pause the cluster (writes refused, reads served). */
    public static final int PAUSE = 1;
    /** {@link Request.ClusterState#action()}: resume a paused cluster. */
    public static final int RESUME = 2;

    private ClusterWire() {
    }

    /**
     * One node of a {@link View}: its stable id, how other nodes and clients reach it, its zone (for
     * placing backups away from the primary; may be empty) and its incarnation (rises every time the
     * node starts, so a restarted node replaces its old entry).
     */
    public record Member(String nodeId, String address, String zone, long incarnation) {
        public Member {
            str(nodeId, "nodeId");
            str(address, "address");
            str(zone, "zone");
        }
    }

    /**
     * The membership of the cluster at {@code version}: at most 65,535 members with distinct node
     * ids, in join order; the first is the coordinator.
     */
    public record View(long version, List<Member> members) {
        public View {
            members = list(members, "members", Fields.MAX_U16);
            Set<String> seen = new HashSet<>();
            for (Member member : members) {
                if (!seen.add(member.nodeId())) {
                    throw new IllegalArgumentException("view " + version + " lists node "
                            + Fields.quote(member.nodeId()) + " twice");
                }
            }
        }
    }

    /**
     * One copy of a bucket in a {@link BucketOwners}: the node that holds it and the copy's state
     * ({@link #UP_TO_DATE}, {@link #OUT_OF_DATE}, {@link #FEEDING} or {@link #DISCARDED}).
     */
    public record Replica(String nodeId, int state) {
        public Replica {
            str(nodeId, "nodeId");
            replicaState(state);
        }
    }

    /**
     * The copies of one bucket, primary first, at most 255, each on a different node; no replica
     * at all means every copy of the bucket was lost.
     */
    public record BucketOwners(int bucket, List<Replica> replicas) {
        public BucketOwners {
            checkBucket(bucket, "bucket");
            replicas = list(replicas, "replicas", 0xFF);
            for (int i = 1; i < replicas.size(); i++) { // a few copies: no set needed
                String nodeId = replicas.get(i).nodeId();
                for (int j = 0; j < i; j++) {
                    if (nodeId.equals(replicas.get(j).nodeId())) {
                        throw new IllegalArgumentException("bucket " + bucket + " lists node " + Fields.quote(nodeId)
                                + " twice");
                    }
                }
            }
        }
    }

    /**
     * A partition table at {@code toVersion}. {@code fromVersion} 0 makes it a full table, which
     * lists every bucket {@code 0..bucketCount-1} once, in order; otherwise it is the difference from
     * table {@code fromVersion}: only the buckets that changed, each at most once, in ascending
     * order. {@code bucketCount} is a power of two from 1 to 65,536, {@code backupCount} a u8, and
     * {@code toVersion > fromVersion >= 0}.
     */
    public record Table(long fromVersion, long toVersion, int bucketCount, int backupCount,
                        List<BucketOwners> buckets) {
        public Table {
            String problem = tableHeaderProblem(fromVersion, toVersion, bucketCount, backupCount);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
            buckets = list(buckets, "buckets", bucketCount);
            int previous = -1;
            for (int i = 0; i < buckets.size(); i++) {
                problem = tableBucketProblem(fromVersion == 0, bucketCount, i, previous, buckets.get(i).bucket());
                if (problem != null) {
                    throw new IllegalArgumentException(problem);
                }
                previous = buckets.get(i).bucket();
            }
            if (fromVersion == 0 && buckets.size() != bucketCount) {
                throw new IllegalArgumentException("a full table lists all " + bucketCount + " buckets, this one "
                        + buckets.size());
            }
        }

        /** Whether this is a full table ({@code fromVersion == 0}) rather than a difference. */
        public boolean isFull() {
            return fromVersion == 0;
        }
    }

    /**
     * One change replicated from a bucket's primary: the bucket's sequence number after it, its
     * {@link EventType} code ({@code changeType}), the map and key, and for
     * {@link EventType#CREATED} and {@link EventType#UPDATED} the new value; for the removals
     * ({@link EventType#REMOVED}, {@link EventType#EXPIRED}, {@link EventType#EVICTED}) {@code value}
     * is {@code null}.
     */
    public record Change(int bucket, long sequence, int changeType, String map, byte[] key, byte[] value,
                         long timestampMs, long expiresAtMs) {
        public Change {
            checkBucket(bucket, "bucket");
            EventType type = EventType.lookup(changeType);
            if (type == null) {
                throw new IllegalArgumentException("changeType must be an event type code 1 to 5: " + changeType);
            }
            mapName(map);
            bytes(key, "key");
            if (carriesValue(changeType)) {
                notNull(value, "value (present for " + type + ")");
            } else if (value != null) {
                throw new IllegalArgumentException("value must be null for a " + type + " change");
            }
        }

        /** The change's type. */
        public EventType type() {
            return EventType.lookup(changeType);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Change other && bucket == other.bucket && sequence == other.sequence
                    && changeType == other.changeType && map.equals(other.map) && equal(key, other.key)
                    && equal(value, other.value) && timestampMs == other.timestampMs
                    && expiresAtMs == other.expiresAtMs;
        }

        @Override
        public int hashCode() {
            return Objects.hash(bucket, sequence, changeType, map, hash(key), hash(value), timestampMs, expiresAtMs);
        }

        @Override
        public String toString() {
            return "Change[bucket=" + bucket + ", sequence=" + sequence + ", changeType=" + changeType + ", map="
                    + map + ", key=" + show(key) + ", value=" + show(value) + ", timestampMs=" + timestampMs
                    + ", expiresAtMs=" + expiresAtMs + "]";
        }
    }

    /** One entry of a bucket sent by a migration chunk, with its metadata. */
    public record Entry(String map, byte[] key, byte[] value, long version, long timestampMs, long expiresAtMs) {
        public Entry {
            mapName(map);
            bytes(key, "key");
            bytes(value, "value");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry other && map.equals(other.map) && equal(key, other.key)
                    && equal(value, other.value) && version == other.version && timestampMs == other.timestampMs
                    && expiresAtMs == other.expiresAtMs;
        }

        @Override
        public int hashCode() {
            return Objects.hash(map, hash(key), hash(value), version, timestampMs, expiresAtMs);
        }

        @Override
        public String toString() {
            return "Entry[map=" + map + ", key=" + show(key) + ", value=" + show(value) + ", version=" + version
                    + ", timestampMs=" + timestampMs + ", expiresAtMs=" + expiresAtMs + "]";
        }
    }

    // ------------------------------------------------------------------------------------------
    // Checks shared by the constructors and the decoder

    /** Whether a change of this event type code carries a value (CREATED and UPDATED do). */
    static boolean carriesValue(int changeType) {
        return changeType == EventType.CREATED.code() || changeType == EventType.UPDATED.code();
    }

    static int checkBucket(int value, String field) {
        if (value < 0 || value >= MAX_BUCKET_COUNT) {
            throw new IllegalArgumentException(field + " must be 0 to 65535: " + value);
        }
        return value;
    }

    static int replicaState(int value) {
        if (value < UP_TO_DATE || value > DISCARDED) {
            throw new IllegalArgumentException("replica state must be 0 to 3: " + value);
        }
        return value;
    }

    static int clusterAction(int value) {
        if (value < QUERY || value > RESUME) {
            throw new IllegalArgumentException("action must be 0 (query), 1 (pause) or 2 (resume): " + value);
        }
        return value;
    }

    /** What is wrong with a table's fixed fields, or {@code null}. */
    static String tableHeaderProblem(long fromVersion, long toVersion, long bucketCount, int backupCount) {
        if (fromVersion < 0) {
            return "fromVersion must not be negative: " + fromVersion;
        }
        if (toVersion <= fromVersion) {
            return "toVersion " + toVersion + " must be greater than fromVersion " + fromVersion;
        }
        if (bucketCount < 1 || bucketCount > MAX_BUCKET_COUNT || (bucketCount & (bucketCount - 1)) != 0) {
            return "bucketCount must be a power of two from 1 to 65536: " + bucketCount;
        }
        if (backupCount < 0 || backupCount > 0xFF) {
            return "backupCount must be a u8 (0..255): " + backupCount;
        }
        return null;
    }

    /**
     * What is wrong with the {@code index}th bucket of a table ({@code full} or a difference) whose
     * previous entry named {@code previous} (-1 for none), or {@code null}.
     */
    static String tableBucketProblem(boolean full, long bucketCount, int index, long previous, long bucket) {
        if (bucket >= bucketCount) {
            return "bucket " + bucket + " is not below bucketCount " + bucketCount;
        }
        if (full && bucket != index) {
            return "a full table lists buckets 0.." + (bucketCount - 1) + " in order: entry " + index
                    + " is bucket " + bucket;
        }
        if (!full && bucket <= previous) {
            return "a difference lists each bucket at most once, in ascending order: bucket " + bucket
                    + " follows bucket " + previous;
        }
        return null;
    }
}
