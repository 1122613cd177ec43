package io.shoal.cluster;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which nodes hold a copy of each bucket, in which state, at one version: for every bucket an
 * ordered list of {@link Replica replicas}, primary first, then backups.
 *
 * <p>Design: immutable. One array of immutable replica lists indexed by bucket, plus a bit set of
 * lost buckets; a change copies the array (one reference per bucket) and shares every unchanged
 * list. A bucket is <em>lost</em> when it had owners in an earlier version and has none now: the
 * flag is carried from version to version (and in {@link TableDiff}s) so that a bucket whose data
 * died with its nodes is never mistaken for one that was simply never assigned. Giving a lost
 * bucket replicas again clears the flag. Every way to build a table validates the bucket range,
 * distinct nodes within a bucket and a strictly increasing version.
 */
public final class PartitionTable {

    /**
     * One copy of a bucket.
     *
     * @param nodeId the node holding it, not empty
     * @param state  its state
     */
    public record Replica(String nodeId, ReplicaState state) {
        public Replica {
            Objects.requireNonNull(nodeId, "nodeId");
            Objects.requireNonNull(state, "state");
            if (nodeId.isEmpty()) {
                throw new IllegalArgumentException("nodeId must not be empty");
            }
        }

        static Replica upToDate(String nodeId) {
            return new Replica(nodeId, ReplicaState.UP_TO_DATE);
        }

        static Replica feeding(String nodeId) {
            return new Replica(nodeId, ReplicaState.FEEDING);
        }

        boolean isUpToDate() {
            return state == ReplicaState.UP_TO_DATE;
        }

        Replica withState(ReplicaState newState) {
            return newState == state ? this : new Replica(nodeId, newState);
        }
    }

    private final long version;
    private final int backupCount;
    private final List<Replica>[] replicas;
    private final BitSet lost;
    private final Set<String> nodes;

    private PartitionTable(long version, int backupCount, List<Replica>[] replicas, BitSet lost) {
        this.version = version;
        this.backupCount = backupCount;
        this.replicas = replicas;
        this.lost = lost;
        TreeSet<String> all = new TreeSet<>();
        for (List<Replica> list : replicas) {
            for (Replica r : list) {
                all.add(r.nodeId());
            }
        }
        this.nodes = Collections.unmodifiableSortedSet(all);
    }

    /**
     * A table at version 0 in which no bucket has an owner and none is lost.
     *
     * @throws IllegalArgumentException if bucketCount is not positive or backupCount is negative
     */
    static PartitionTable empty(int bucketCount, int backupCount) {
        if (bucketCount < 1) {
            throw new IllegalArgumentException("bucketCount must be positive: " + bucketCount);
        }
        if (backupCount < 0) {
            throw new IllegalArgumentException("backupCount must not be negative: " + backupCount);
        }
        List<Replica>[] lists = newArray(bucketCount);
        Arrays.fill(lists, List.of());
        return new PartitionTable(0, backupCount, lists, new BitSet(bucketCount));
    }

    public long version() {
        return version;
    }

    public int bucketCount() {
        return replicas.length;
    }

    /** How many backups each bucket should have besides its primary (when there are enough nodes). */
    public int backupCount() {
        return backupCount;
    }

    /** The bucket's replicas, primary first; empty if it has no copy (lost or not yet assigned). */
    public List<Replica> replicas(int bucket) {
        return replicas[checkBucket(bucket)];
    }

    /** The primary's node id, or null if the bucket has no replica. */
    public String primary(int bucket) {
        List<Replica> list = replicas(bucket);
        return list.isEmpty() ? null : list.get(0).nodeId();
    }

    /** Whether the bucket had owners in an earlier version and has none now. */
    public boolean isLost(int bucket) {
        return lost.get(checkBucket(bucket));
    }

    /** The lost buckets, ascending. */
    List<Integer> lostBuckets() {
        List<Integer> result = new ArrayList<>();
        for (int b = lost.nextSetBit(0); b >= 0; b = lost.nextSetBit(b + 1)) {
            result.add(b);
        }
        return result;
    }

    /** Every node that holds a replica of some bucket, in any state; sorted by node id. */
    Set<String> nodes() {
        return nodes;
    }

    /** The state of the node's replica of the bucket, or null if it holds none. */
    public ReplicaState stateOf(int bucket, String nodeId) {
        for (Replica r : replicas(bucket)) {
            if (r.nodeId().equals(nodeId)) {
                return r.state();
            }
        }
        return null;
    }

    /**
     * The buckets (ascending) where the node holds a replica in any state, or only those where it
     * is the primary.
     */
    List<Integer> bucketsOf(String nodeId, boolean primaryOnly) {
        Objects.requireNonNull(nodeId, "nodeId");
        List<Integer> result = new ArrayList<>();
        for (int b = 0; b < replicas.length; b++) {
            List<Replica> list = replicas[b];
            int limit = primaryOnly ? Math.min(1, list.size()) : list.size();
            for (int i = 0; i < limit; i++) {
                if (list.get(i).nodeId().equals(nodeId)) {
                    result.add(b);
                    break;
                }
            }
        }
        return result;
    }

    /**
     * A new table at {@code newVersion} in which the given buckets have the given replica lists and
     * every other bucket is unchanged. A bucket given an empty list becomes lost if it had replicas
     * (or was already lost); a bucket given replicas is no longer lost.
     *
     * @throws IllegalArgumentException naming the bad value if newVersion is not greater than this
     *                                  version, a bucket is out of range, or a node appears twice in
     *                                  one bucket
     */
    PartitionTable withBuckets(long newVersion, Map<Integer, List<Replica>> changes) {
        Objects.requireNonNull(changes, "changes");
        if (newVersion <= version) {
            throw new IllegalArgumentException("new version " + newVersion + " must be greater than the table's version "
                    + version);
        }
        List<Replica>[] next = replicas.clone();
        BitSet nextLost = (BitSet) lost.clone();
        for (Map.Entry<Integer, List<Replica>> e : changes.entrySet()) {
            int bucket = checkBucket(Objects.requireNonNull(e.getKey(), "bucket"));
            List<Replica> list = checkReplicas(bucket, e.getValue());
            if (list.isEmpty()) {
                if (!replicas[bucket].isEmpty()) {
                    nextLost.set(bucket);
                }
            } else {
                nextLost.clear(bucket);
            }
            next[bucket] = list;
        }
        return new PartitionTable(newVersion, backupCount, next, nextLost);
    }

    /**
     * The buckets whose replicas or lost flag differ in {@code newer}, as a diff from this version to
     * newer's. Applying it to this table yields a table equal to {@code newer}.
     *
     * @throws IllegalArgumentException if newer has another bucket or backup count, or is not newer
     */
    TableDiff diff(PartitionTable newer) {
        Objects.requireNonNull(newer, "newer");
        if (newer.bucketCount() != bucketCount() || newer.backupCount != backupCount) {
            throw new IllegalArgumentException("cannot diff a table of " + newer.bucketCount() + " buckets and "
                    + newer.backupCount + " backups against one of " + bucketCount() + " buckets and " + backupCount
                    + " backups");
        }
        if (newer.version <= version) {
            throw new IllegalArgumentException("table version " + newer.version + " is not newer than " + version);
        }
        TreeMap<Integer, List<Replica>> changed = new TreeMap<>();
        TreeSet<Integer> lostNow = new TreeSet<>();
        for (int b = 0; b < replicas.length; b++) {
            boolean isLostNow = newer.lost.get(b);
            if (!replicas[b].equals(newer.replicas[b]) || lost.get(b) != isLostNow) {
                changed.put(b, newer.replicas[b]);
                if (isLostNow) {
                    lostNow.add(b);
                }
            }
        }
        return new TableDiff(version, newer.version, changed, lostNow);
    }

    /** This table as a diff from version 0: applied to {@link #empty} with the same counts it yields this table. */
    TableDiff fullDiff() {
        if (version == 0) {
            throw new IllegalStateException("a table at version 0 has nothing to send");
        }
        return empty(bucketCount(), backupCount).diff(this);
    }

    /**
     * The table the diff produces: every bucket in the diff gets the diff's replica list and lost
     * flag exactly, every other bucket is unchanged.
     *
     * @throws IllegalStateException    naming both versions if the diff does not start at this version
     * @throws IllegalArgumentException naming the bad value if a bucket is out of range or a node
     *                                  appears twice in one bucket
     */
    PartitionTable apply(TableDiff diff) {
        Objects.requireNonNull(diff, "diff");
        if (diff.fromVersion() != version) {
            throw new IllegalStateException("diff from version " + diff.fromVersion() + " to " + diff.toVersion()
                    + " does not apply to table version " + version);
        }
        List<Replica>[] next = replicas.clone();
        BitSet nextLost = (BitSet) lost.clone();
        for (Map.Entry<Integer, List<Replica>> e : diff.buckets().entrySet()) {
            int bucket = checkBucket(e.getKey());
            next[bucket] = checkReplicas(bucket, e.getValue());
            nextLost.set(bucket, diff.lost().contains(bucket));
        }
        return new PartitionTable(diff.toVersion(), backupCount, next, nextLost);
    }

    /** One line per bucket, for diagnostics and test failure messages. */
    String describe() {
        StringBuilder sb = new StringBuilder(toString());
        for (int b = 0; b < replicas.length; b++) {
            sb.append('\n').append(b).append(": ");
            if (lost.get(b)) {
                sb.append("LOST");
            }
            for (Replica r : replicas[b]) {
                sb.append(r.nodeId());
                if (!r.isUpToDate()) {
                    sb.append('(').append(r.state()).append(')');
                }
                sb.append(' ');
            }
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof PartitionTable other)) {
            return false;
        }
        return version == other.version && backupCount == other.backupCount && lost.equals(other.lost)
                && Arrays.equals(replicas, other.replicas);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, backupCount, lost, Arrays.hashCode(replicas));
    }

    @Override
    public String toString() {
        return "PartitionTable[version=" + version + ", buckets=" + replicas.length + ", backups=" + backupCount
                + ", nodes=" + nodes + ", lost=" + lost.cardinality() + "]";
    }

    private int checkBucket(int bucket) {
        if (bucket < 0 || bucket >= replicas.length) {
            throw new IllegalArgumentException("bucket " + bucket + " out of range [0, " + replicas.length + ")");
        }
        return bucket;
    }

    private static List<Replica> checkReplicas(int bucket, List<Replica> list) {
        Objects.requireNonNull(list, () -> "replicas of bucket " + bucket);
        List<Replica> copy = List.copyOf(list);
        Set<String> seen = new HashSet<>();
        for (Replica r : copy) {
            if (!seen.add(r.nodeId())) {
                throw new IllegalArgumentException("node " + r.nodeId() + " appears twice in bucket " + bucket + ": "
                        + copy);
            }
        }
        return copy;
    }

    @SuppressWarnings("unchecked")
    private static List<Replica>[] newArray(int length) {
        return (List<Replica>[]) new List<?>[length];
    }
}
