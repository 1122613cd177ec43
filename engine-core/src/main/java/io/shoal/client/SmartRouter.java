package io.shoal.client;

import io.shoal.protocol.ClusterWire;
import io.shoal.protocol.Push;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Smart routing for a {@link ClientImpl} ({@link ClientConfig#smartRouting()}): the client's copy
 * of the partition table, one connection per node, and the connection each keyed request goes to.
 *
 * <p>Design. The table is a {@link RoutingTable}, an immutable bucket-to-{@link RoutingTable.Peer}
 * snapshot in a volatile field; a peer holds a node's address and the client's connection to it.
 * {@link #trySendRouted} (the calling thread, no lock, no allocation) hashes the key, reads the
 * bucket's peer and sends on its connection if that is READY; otherwise the caller sends on the
 * default connection as without smart routing, and, if the peer has no connection, one is opened
 * in the background (not before the peer's backoff has passed). A connection becomes a peer's when
 * it is READY, whoever opened it: the default connection too, so each node gets one connection.
 *
 * <p>The table is fetched (TABLE_FETCH, one at a time) when the default connection is made and
 * when a SERVER_INFO push on any connection announces a newer table version, from the connection
 * that announced it; a fetch asked for while one runs is made after it, and the keep-alive tick
 * fetches again if a newer version was announced but no fetch brought it. A fetched table older
 * than the one held is ignored. Node addresses come from SERVER_INFO (the highest table version's
 * list wins), and from the HELLO of each connection for a node not listed yet.
 *
 * <p>The monitor of this object guards the peers and the addresses; it is never held together
 * with the client's, nor while sending or waiting.
 */
final class SmartRouter {
    private static final Logger LOG = LoggerFactory.getLogger(SmartRouter.class);

    private final ClientImpl client;
    private final String name;
    private final long backoffInitialNanos;
    private final long backoffMaxNanos;
    private volatile RoutingTable routes = RoutingTable.NONE;
    private final AtomicBoolean fetching = new AtomicBoolean();
    private volatile boolean fetchAgain;
    /** The highest table version a SERVER_INFO announced, and the connection it came on. */
    private volatile long announcedVersion;
    private volatile NodeConnection announcedBy;
    // Guarded by this:
    private final Map<String, RoutingTable.Peer> peers = new HashMap<>();
    private final Map<String, String> addressById = new HashMap<>();
    private long addressesVersion = Long.MIN_VALUE;

    SmartRouter(ClientImpl client, String name) {
        this.client = client;
        this.name = name;
        this.backoffInitialNanos = client.config.reconnectBackoffInitial().toNanos();
        this.backoffMaxNanos = client.config.reconnectBackoffMax().toNanos();
    }

    /** The routing snapshot in use. */
    RoutingTable routes() {
        return routes;
    }

    // ---------------------------------------------------------------------------------------
    // The hot path

    /**
     * Sends {@code call} on the connection of its key's primary. Returns {@code false} (the call
     * was not sent) if the request names no key, the bucket has no known primary, or the primary's
     * connection is not READY; then the caller sends it on the default connection.
     */
    boolean trySendRouted(Call call) {
        RoutingTable table = routes;
        if (table.bucketCount() == 0 || call.internal || call.subscription != null) {
            return false;
        }
        byte[] key = keyOf(call.request);
        if (key == null) {
            return false;
        }
        RoutingTable.Peer peer = table.primaryOf(key);
        if (peer == null) {
            return false;
        }
        NodeConnection c = peer.connection;
        if (c != null && c.trySend(call)) {
            return true;
        }
        if (c == null || c.isClosed()) {
            connect(peer);
        }
        return false;
    }

    /** The key of a keyed data request, or {@code null} for any other request. */
    static byte[] keyOf(Request request) {
        return switch (request.opcode()) {
            case GET -> ((Request.Get) request).key();
            case GET_ENTRY -> ((Request.GetEntry) request).key();
            case CONTAINS -> ((Request.Contains) request).key();
            case PUT -> ((Request.Put) request).key();
            case PUT_IF_ABSENT -> ((Request.PutIfAbsent) request).key();
            case REPLACE -> ((Request.Replace) request).key();
            case REMOVE -> ((Request.Remove) request).key();
            default -> null;
        };
    }

    /** Opens a connection to {@code peer} in the background, unless one is being opened or its backoff has not passed. */
    private void connect(RoutingTable.Peer peer) {
        String address = peer.address;
        if (address == null || client.isClosed() || System.nanoTime() - peer.nextAttemptNanos < 0
                || !peer.connecting.compareAndSet(false, true)) {
            return;
        }
        CompletableFuture<NodeConnection> attempt;
        try {
            attempt = client.attempt(address);
        } catch (RuntimeException e) {
            peer.connecting.set(false);
            LOG.debug("{}: cannot connect to {}: {}", name, address, e.toString());
            return;
        }
        attempt.whenComplete((c, failure) -> {
            boolean connected = failure == null && peer.connection == c;
            long backoff;
            synchronized (peer) {
                if (connected) {
                    peer.backoffNanos = 0;
                } else {
                    peer.backoffNanos = peer.backoffNanos == 0 ? backoffInitialNanos
                            : Math.min(backoffMaxNanos, peer.backoffNanos * 2);
                    peer.nextAttemptNanos = System.nanoTime() + peer.backoffNanos;
                }
                backoff = peer.backoffNanos;
            }
            peer.connecting.set(false);
            if (connected) {
                LOG.debug("{}: connected to {} for the buckets it serves", name, c.describe());
            } else if (!client.isClosed()) {
                LOG.debug("{}: cannot connect to node {} at {} ({}); its keys go through the connected node, next"
                        + " attempt in {} ms", name, peer.nodeId, address, failure != null ? failure.toString()
                        : "it is node " + c.nodeId, backoff / 1_000_000);
            }
        });
    }

    // ---------------------------------------------------------------------------------------
    // Connections

    /** A connection became READY (on the thread that completed its handshake): it becomes its node's peer connection. */
    NodeConnection adopted(NodeConnection c) {
        String nodeId = c.nodeId;
        if (nodeId.isEmpty()) {
            return c;
        }
        synchronized (this) {
            if (c.isClosed()) {
                return c;
            }
            addressById.putIfAbsent(nodeId, c.address);
            RoutingTable.Peer peer = peers.computeIfAbsent(nodeId, RoutingTable.Peer::new);
            if (peer.address == null) {
                peer.address = c.address;
            }
            NodeConnection current = peer.connection;
            if (current == null || current.isClosed()) {
                peer.connection = c;
            }
        }
        return c;
    }

    /** A connection ended (any thread): its peer has none until the next is opened. */
    void onConnectionClosed(NodeConnection c) {
        String nodeId = c.nodeId;
        if (nodeId.isEmpty()) {
            return;
        }
        synchronized (this) {
            RoutingTable.Peer peer = peers.get(nodeId);
            if (peer != null && peer.connection == c) {
                peer.connection = null;
                peer.nextAttemptNanos = System.nanoTime(); // a lost connection is opened again at once, when needed
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // The table

    /** A SERVER_INFO push arrived on {@code c}: node addresses, and maybe a newer table to fetch. */
    void onServerInfo(NodeConnection c, Push.ServerInfo info) {
        adopted(c);
        synchronized (this) {
            if (info.tableVersion() >= addressesVersion) {
                addressesVersion = info.tableVersion();
                for (Push.NodeAddress node : info.nodes()) {
                    if (!node.address().isBlank()) {
                        addressById.put(node.nodeId(), node.address());
                        RoutingTable.Peer peer = peers.get(node.nodeId());
                        if (peer != null) {
                            peer.address = node.address();
                        }
                    }
                }
            }
        }
        long version = info.tableVersion();
        if (version > routes.version) {
            synchronized (this) {
                if (version > announcedVersion) {
                    announcedVersion = version;
                    announcedBy = c;
                }
            }
            fetch(c);
        }
    }

    /** Fetches the table from {@code via} (or the default connection if it is not READY); one fetch at a time. */
    void fetch(NodeConnection via) {
        if (!fetching.compareAndSet(false, true)) {
            fetchAgain = true;
            return;
        }
        fetchAgain = false;
        NodeConnection c = via != null && via.isReady() ? via : client.activeConnection();
        if (c == null || !c.isReady()) {
            fetching.set(false);
            return;
        }
        c.sendInternal(new Request.TableFetch()).whenComplete((message, failure) -> {
            if (message instanceof Reply.TableFetch reply) {
                install(reply.table());
            } else if (!client.isClosed()) {
                LOG.debug("{}: no partition table from {}: {}", name, c.describe(),
                        failure != null ? failure.toString() : message);
            }
            fetching.set(false);
            if (fetchAgain && announcedVersion > routes.version) {
                fetch(announcedBy);
            }
        });
    }

    /** The keep-alive tick: fetches again if a newer table was announced and no fetch brought it. */
    void check() {
        if (announcedVersion > routes.version && !fetching.get()) {
            fetch(announcedBy);
        }
    }

    /** Makes {@code table} the routing snapshot if it is newer than the one in use. */
    synchronized void install(ClusterWire.Table table) {
        if (table.isFull() && table.toVersion() > routes.version) {
            routeBy(table);
        }
    }

    /**
     * Routes by {@code table} (a full one), whatever its version: {@link #install} for a newer one;
     * tests call it with an older one, as a client that missed the announcements since would route.
     */
    synchronized void routeBy(ClusterWire.Table table) {
        RoutingTable.Peer[] primaries = new RoutingTable.Peer[table.bucketCount()];
        for (ClusterWire.BucketOwners owners : table.buckets()) {
            List<ClusterWire.Replica> replicas = owners.replicas();
            if (replicas.isEmpty()) {
                continue; // lost: its requests go to the default connection, which answers BUCKET_LOST
            }
            String nodeId = replicas.get(0).nodeId();
            RoutingTable.Peer peer = peers.computeIfAbsent(nodeId, RoutingTable.Peer::new);
            String address = addressById.get(nodeId);
            if (address != null) {
                peer.address = address;
            }
            primaries[owners.bucket()] = peer;
        }
        // Forget nodes that serve nothing now and have no connection (a connection stays until it ends).
        List<String> unused = new ArrayList<>();
        for (RoutingTable.Peer peer : peers.values()) {
            NodeConnection c = peer.connection;
            if ((c == null || c.isClosed()) && !contains(primaries, peer)) {
                unused.add(peer.nodeId);
            }
        }
        unused.forEach(peers::remove);
        routes = new RoutingTable(table.toVersion(), primaries);
        LOG.debug("{}: routing by partition table version {}", name, table.toVersion());
    }

    private static boolean contains(RoutingTable.Peer[] primaries, RoutingTable.Peer peer) {
        for (RoutingTable.Peer p : primaries) {
            if (p == peer) {
                return true;
            }
        }
        return false;
    }

    /** Ids of the nodes with a READY peer connection (for tests and tools). */
    synchronized List<String> connectedNodeIds() {
        List<String> ids = new ArrayList<>();
        for (RoutingTable.Peer peer : peers.values()) {
            NodeConnection c = peer.connection;
            if (c != null && c.isReady()) {
                ids.add(peer.nodeId);
            }
        }
        ids.sort(null);
        return ids;
    }
}
