package io.shoal.client;

import io.shoal.KeyHash;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The smart client's routing snapshot (see {@link SmartRouter}): for every bucket of the partition
 * table the client fetched last, the {@link Peer} that is the bucket's primary, or {@code null}
 * when every copy of the bucket was lost. Immutable: a new table makes a new snapshot, published
 * through a volatile field, so the hot path reads it without a lock and allocates nothing.
 */
final class RoutingTable {
    /** Before the first table, and without smart routing: nothing is routed. */
    static final RoutingTable NONE = new RoutingTable(0, new Peer[0]);

    /** The version of the partition table this snapshot was made from; 0 for {@link #NONE}. */
    final long version;
    private final Peer[] primaryByBucket;

    /** {@code primaryByBucket.length} is the table's bucket count: a power of two, or 0 for {@link #NONE}. */
    RoutingTable(long version, Peer[] primaryByBucket) {
        this.version = version;
        this.primaryByBucket = primaryByBucket;
    }

    int bucketCount() {
        return primaryByBucket.length;
    }

    /** The primary of the bucket of {@code key} (encoded key bytes), or {@code null} if lost or no table. */
    Peer primaryOf(byte[] key) {
        Peer[] primaries = primaryByBucket;
        if (primaries.length == 0) {
            return null;
        }
        return primaries[KeyHash.bucketOf(KeyHash.hash(key), primaries.length)];
    }

    /** The address of {@code bucket}'s primary, or {@code null} if the bucket is lost, unknown or its node's address is. */
    String addressOf(int bucket) {
        if (bucket < 0 || bucket >= primaryByBucket.length) {
            return null;
        }
        Peer peer = primaryByBucket[bucket];
        return peer == null ? null : peer.address;
    }

    /** The node id of {@code bucket}'s primary, or {@code null} if the bucket is lost or unknown. */
    String nodeIdOf(int bucket) {
        if (bucket < 0 || bucket >= primaryByBucket.length) {
            return null;
        }
        Peer peer = primaryByBucket[bucket];
        return peer == null ? null : peer.nodeId;
    }

    @Override
    public String toString() {
        return "RoutingTable{version=" + version + ", buckets=" + primaryByBucket.length + '}';
    }

    /**
     * One node the client routes to: its id, the address the cluster reports for it, and the
     * client's connection to it. The same object stays with a node id across tables and
     * reconnections; {@link SmartRouter} changes its fields, the hot path only reads them.
     */
    static final class Peer {
        final String nodeId;
        /** From SERVER_INFO (or the HELLO of a connection to it); {@code null} while unknown. */
        volatile String address;
        /** The client's READY connection to this node (until it ends); {@code null} if none. */
        volatile NodeConnection connection;
        /** Whether an attempt to connect to the node is under way. */
        final AtomicBoolean connecting = new AtomicBoolean();
        /** No attempt before this ({@link System#nanoTime()}): the reconnection backoff. */
        volatile long nextAttemptNanos = System.nanoTime();
        /** The current backoff; 0 after a success. Guarded by this peer. */
        long backoffNanos;

        Peer(String nodeId) {
            this.nodeId = nodeId;
        }

        @Override
        public String toString() {
            NodeConnection c = connection;
            return "Peer{" + nodeId + " at " + address + (c != null && c.isReady() ? ", connected" : "") + '}';
        }
    }
}
