package io.shoal.cluster;

import io.shoal.cluster.PartitionTable.Replica;
import io.shoal.protocol.ClusterWire;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Converts partition tables to and from their wire form (TABLE, docs/protocol.md section 11). */
final class TableWire {
    private TableWire() {
    }

    /** The whole table ({@code fromVersion} 0): every bucket, lost ones with no replicas. */
    static ClusterWire.Table full(PartitionTable table) {
        List<ClusterWire.BucketOwners> buckets = new ArrayList<>(table.bucketCount());
        for (int b = 0; b < table.bucketCount(); b++) {
            buckets.add(owners(b, table.replicas(b)));
        }
        return new ClusterWire.Table(0, table.version(), table.bucketCount(), table.backupCount(), buckets);
    }

    /** The buckets that differ between {@code before} and {@code after}, as a difference from {@code before}'s version. */
    static ClusterWire.Table difference(PartitionTable before, PartitionTable after) {
        if (before.version() == 0) {
            return full(after);
        }
        TableDiff diff = before.diff(after);
        List<ClusterWire.BucketOwners> buckets = new ArrayList<>(diff.buckets().size());
        for (Map.Entry<Integer, List<Replica>> bucket : diff.buckets().entrySet()) {
            buckets.add(owners(bucket.getKey(), bucket.getValue()));
        }
        return new ClusterWire.Table(diff.fromVersion(), diff.toVersion(), after.bucketCount(), after.backupCount(),
                buckets);
    }

    /** A full table from the wire. */
    static PartitionTable fromWire(ClusterWire.Table wire) {
        PartitionTable empty = PartitionTable.empty(wire.bucketCount(), wire.backupCount());
        return empty.apply(new TableDiff(0, wire.toVersion(), replicasByBucket(wire)));
    }

    /** A difference from the wire, to apply to the table of version {@code wire.fromVersion()}. */
    static TableDiff diffFromWire(ClusterWire.Table wire) {
        return new TableDiff(wire.fromVersion(), wire.toVersion(), replicasByBucket(wire));
    }

    private static TreeMap<Integer, List<Replica>> replicasByBucket(ClusterWire.Table wire) {
        TreeMap<Integer, List<Replica>> buckets = new TreeMap<>();
        for (ClusterWire.BucketOwners owners : wire.buckets()) {
            List<Replica> replicas = new ArrayList<>(owners.replicas().size());
            for (ClusterWire.Replica r : owners.replicas()) {
                replicas.add(new Replica(r.nodeId(), ReplicaState.ofCode(r.state())));
            }
            buckets.put(owners.bucket(), List.copyOf(replicas));
        }
        return buckets;
    }

    private static ClusterWire.BucketOwners owners(int bucket, List<Replica> replicas) {
        List<ClusterWire.Replica> wire = new ArrayList<>(replicas.size());
        for (Replica r : replicas) {
            wire.add(new ClusterWire.Replica(r.nodeId(), r.state().code()));
        }
        return new ClusterWire.BucketOwners(bucket, wire);
    }
}
