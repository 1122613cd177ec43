package io.shoal.core;

import io.shoal.cluster.PartitionTable;
import io.shoal.cluster.ReplicaState;
import io.shoal.protocol.ClusterWire;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What this node does for each bucket under one partition table: serve it (primary), keep a copy
 * (backup, or being fed), or nothing; where the primary is; and, for the buckets it is primary
 * of, which nodes its changes go to.
 *
 * <p>Design: immutable, built once per table on the cluster thread and published through a
 * volatile field, so the data path reads one array element per request and never locks.
 */
final class Ownership {
    static final byte NONE = 0;
    static final byte PRIMARY = 1;
    static final byte BACKUP = 2;
    static final byte FEEDING = 3;
    static final byte OUT_OF_DATE = 4;

    /** One other copy a primary sends its changes to. */
    record Target(String nodeId, String address, ReplicaState state) {
    }

    final long tableVersion;
    private final byte[] roles;
    /** Address of each bucket's primary; null where the bucket is lost. */
    private final String[] primaryAddress;
    private final String[] primaryId;
    private final boolean[] lost;
    /** For buckets this node is primary of: the other copies, in table order; empty elsewhere. */
    private final List<Target>[] targets;

    @SuppressWarnings("unchecked")
    private Ownership(long tableVersion, int buckets) {
        this.tableVersion = tableVersion;
        this.roles = new byte[buckets];
        this.primaryAddress = new String[buckets];
        this.primaryId = new String[buckets];
        this.lost = new boolean[buckets];
        this.targets = new List[buckets];
    }

    /** A node on its own: primary of every bucket (before it joins, or without a cluster). */
    static Ownership alone(int buckets, String selfId, String selfAddress) {
        Ownership o = new Ownership(0, buckets);
        java.util.Arrays.fill(o.roles, PRIMARY);
        java.util.Arrays.fill(o.primaryAddress, selfAddress);
        java.util.Arrays.fill(o.primaryId, selfId);
        java.util.Arrays.fill(o.targets, List.of());
        return o;
    }

    static Ownership of(ClusterWire.View view, PartitionTable table, String selfId) {
        Map<String, String> addresses = new HashMap<>();
        for (ClusterWire.Member m : view.members()) {
            addresses.put(m.nodeId(), m.address());
        }
        Ownership o = new Ownership(table.version(), table.bucketCount());
        for (int b = 0; b < table.bucketCount(); b++) {
            List<PartitionTable.Replica> replicas = table.replicas(b);
            o.lost[b] = table.isLost(b);
            o.targets[b] = List.of();
            if (replicas.isEmpty()) {
                continue;
            }
            PartitionTable.Replica primary = replicas.get(0);
            o.primaryId[b] = primary.nodeId();
            o.primaryAddress[b] = addresses.get(primary.nodeId());
            for (int i = 0; i < replicas.size(); i++) {
                PartitionTable.Replica r = replicas.get(i);
                if (!r.nodeId().equals(selfId)) {
                    continue;
                }
                o.roles[b] = i == 0 ? PRIMARY : switch (r.state()) {
                    case UP_TO_DATE -> BACKUP;
                    case FEEDING -> FEEDING;
                    case OUT_OF_DATE -> OUT_OF_DATE;
                    case DISCARDED -> NONE;
                };
            }
            if (o.roles[b] == PRIMARY) {
                List<Target> copies = new ArrayList<>();
                for (int i = 1; i < replicas.size(); i++) {
                    PartitionTable.Replica r = replicas.get(i);
                    String address = addresses.get(r.nodeId());
                    if (r.state() != ReplicaState.DISCARDED && address != null) {
                        copies.add(new Target(r.nodeId(), address, r.state()));
                    }
                }
                o.targets[b] = List.copyOf(copies);
            }
        }
        return o;
    }

    int bucketCount() {
        return roles.length;
    }

    boolean isPrimary(int bucket) {
        return roles[bucket] == PRIMARY;
    }

    /** Whether this node holds a copy it must keep up to date (primary, backup, fed, or behind). */
    boolean holds(int bucket) {
        return roles[bucket] != NONE;
    }

    boolean isLost(int bucket) {
        return lost[bucket];
    }

    /** The primary's address, or null if the bucket is lost. */
    String primaryAddress(int bucket) {
        return primaryAddress[bucket];
    }

    String primaryId(int bucket) {
        return primaryId[bucket];
    }

    List<Target> targets(int bucket) {
        return targets[bucket];
    }
}
