package io.shoal.cluster;

import io.shoal.ClusterJoinException;
import io.shoal.protocol.ClusterWire;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.Message;
import io.shoal.protocol.Opcode;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Membership of one node: joining through the seeds, heartbeats, failure detection, and, on the
 * coordinator, the membership views and partition tables every member follows. Internal to the
 * node; the protocol is docs/protocol.md section 11, the behaviour docs/cluster.md.
 *
 * <p>Design. All state lives on one thread ({@code shoal-cluster-<node>}): requests from peers
 * (handed over from the server's I/O threads by {@link #handle}), replies to this node's own
 * messages, and the heartbeat tick all run there, so nothing is locked; {@link #view()} and
 * {@link #table()} publish immutable snapshots through volatile fields. The coordinator is the
 * first member of the view (the oldest). It alone changes the view and the table: on a JOIN, on a
 * LEAVE, and when a member has been silent for {@code failureTimeoutMs}; each change raises the
 * version and goes to every member (VIEW, then TABLE as a difference). Heartbeats carry both
 * versions, so a member that missed a change is sent it again, in full. A member that stops
 * hearing the coordinator suspects it and turns to the next member of the view; the first member
 * not suspected that finds itself first takes over and publishes a view without the suspects.
 * Everything a peer is sent is fire-and-forget: failures are repaired by the next heartbeat.
 */
public final class Membership implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);
    private static final int MAX_REDIRECTS = 3;
    /** How a member's connections to other members start their HELLO client name. */
    public static final String MEMBER_CLIENT_PREFIX = "node ";

    /** Told of every new view and table, on the cluster thread, in order. */
    public interface Listener {
        void onChange(ClusterWire.View view, PartitionTable table);
    }

    private final ClusterConfig config;
    private final PeerLinks peers;
    private final PartitionPlanner planner;
    private final ScheduledExecutorService thread;
    private final List<Listener> listeners = new ArrayList<>();
    // Cluster thread only:
    private ClusterWire.Member self;
    private final Map<String, Long> lastHeardNanos = new HashMap<>();
    private final Set<String> suspected = new LinkedHashSet<>();
    private boolean rejoining;
    private long lastTickNanos = System.nanoTime();
    /** Coordinator: members handing their copies over before they leave; they get no new copies. */
    private final Set<String> leavingIds = new LinkedHashSet<>();
    /** This node is handing its copies over to leave (it keeps heartbeating meanwhile). */
    private volatile boolean leaving;
    /** Completed when this node is out of the view after handing its copies over. */
    private final CompletableFuture<Void> handedOver = new CompletableFuture<>();
    private volatile boolean left;
    /** Paused: writes refused, no bucket moves (the coordinator decides; members follow it). */
    private volatile boolean paused;
    /** When this node last heard from the coordinator (or, on the coordinator, from any member). */
    private volatile long leaseStartNanos = System.nanoTime();
    // Written on the cluster thread, read anywhere:
    private volatile ClusterWire.View view;
    private volatile PartitionTable table;
    private volatile boolean joined;
    private volatile boolean closed;

    /**
     * @param peers the links to other members; closed with this
     */
    Membership(ClusterConfig config, PeerLinks peers) {
        this.config = config;
        this.peers = peers;
        this.planner = new PartitionPlanner(config.backupCount);
        this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, "shoal-cluster-" + config.nodeId);
            t.setDaemon(true);
            return t;
        });
        this.view = new ClusterWire.View(0, List.of());
        this.table = PartitionTable.empty(config.bucketCount, config.backupCount);
    }

    /**
     * Sends {@code request} to the member at {@code address} over this node's link to it; the future
     * completes with its answer, or exceptionally if it cannot be reached in time. Any thread.
     */
    public CompletableFuture<Message> send(String address, Request request) {
        return peers.send(address, request);
    }

    /**
     * This node's client linked to the member at {@code address}, connected first if needed
     * (blocks up to the connect timeout); for operations on keys that member serves.
     *
     * @throws io.shoal.ShoalException if it cannot be reached
     */
    public io.shoal.client.ShoalClient peer(String address) {
        return peers.client(address);
    }

    /** A membership whose links to peers are configured by {@code peerConfig} (address to client settings). */
    public static Membership create(ClusterConfig config,
                                    java.util.function.Function<String, io.shoal.client.ClientConfig> peerConfig) {
        return new Membership(config, new PeerLinks(config.nodeId, peerConfig, config.heartbeatIntervalMs));
    }

    /** The default client settings of a link from this node to {@code address}. */
    public static io.shoal.client.ClientConfig.Builder peerConfig(ClusterConfig config, String address) {
        return PeerLinks.peerConfig(config.nodeId, address, config);
    }

    /** Registers a listener; before {@link #join} only. */
    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    public ClusterConfig config() {
        return config;
    }

    public ClusterWire.View view() {
        return view;
    }

    public PartitionTable table() {
        return table;
    }

    /** The version of the partition table this node holds. */
    public long tableVersion() {
        return table.version();
    }

    /**
     * Whether this node may serve the buckets its table gives it: a heartbeat it sent to the
     * coordinator (the coordinator: to any member) within the last half of
     * {@code cluster.failureTimeoutMs} was answered, by a coordinator whose table is not newer than
     * this node's, or it is alone. The coordinator removes a member only after a whole timeout of silence, so a node cut
     * off (paused, partitioned) stops serving before others take its buckets over. Any thread.
     */
    public boolean holdsLease() {
        if (view.members().size() <= 1) {
            return joined;
        }
        return joined && System.nanoTime() - leaseStartNanos < TimeUnit.MILLISECONDS.toNanos(config.failureTimeoutMs) / 2;
    }

    /**
     * The cluster's state as this node's view and table show it.
     *
     * @param members               members in the view
     * @param viewVersion           the view's version
     * @param tableVersion          the table's version
     * @param bucketsLost           buckets that lost every copy
     * @param bucketsUnderReplicated buckets (not lost) with fewer up-to-date copies than
     *                              {@code backups.count + 1} allows with these members
     * @param copiesFeeding         copies being fed or out of date (work left to rebalance)
     * @param coordinator           whether this node is the coordinator
     * @param leaseHeld             whether this node may serve now ({@link #holdsLease})
     */
    public record Health(int members, long viewVersion, long tableVersion, int bucketsLost, int bucketsUnderReplicated,
                         int copiesFeeding, boolean coordinator, boolean leaseHeld) {
    }

    /** This node's {@link Health}. Any thread. */
    public Health health() {
        ClusterWire.View v = view;
        PartitionTable t = table;
        int wanted = Math.min(config.backupCount + 1, Math.max(1, v.members().size()));
        int lost = 0;
        int under = 0;
        int feeding = 0;
        for (int b = 0; b < t.bucketCount(); b++) {
            if (t.isLost(b)) {
                lost++;
                continue;
            }
            int upToDate = 0;
            for (PartitionTable.Replica r : t.replicas(b)) {
                if (r.state() == ReplicaState.UP_TO_DATE) {
                    upToDate++;
                } else if (r.state() == ReplicaState.FEEDING || r.state() == ReplicaState.OUT_OF_DATE) {
                    feeding++;
                }
            }
            if (upToDate < wanted) {
                under++;
            }
        }
        return new Health(v.members().size(), v.version(), t.version(), lost, under, feeding, isCoordinator(),
                holdsLease());
    }

    public boolean isJoined() {
        return joined;
    }

    /** Whether this node is the coordinator of its current view. */
    public boolean isCoordinator() {
        ClusterWire.View v = view;
        return !v.members().isEmpty() && v.members().get(0).nodeId().equals(config.nodeId);
    }

    /**
     * Joins the cluster through {@code cluster.seeds}, or founds one when there are none, or when
     * no seed answered as a member of a cluster within {@code cluster.joinTimeoutMs}. Blocks the
     * calling thread until the node is a member.
     *
     * @param selfAddress the address other members and clients reach this node at
     * @throws ClusterJoinException if {@code cluster.requireSeed} is set and no seed accepted
     *     this node within one round (every seed tried once), naming every seed and why; or if
     *     seeds answered as members of a cluster that did not accept it within the join timeout
     */
    public void join(String selfAddress) {
        self = new ClusterWire.Member(config.nodeId, selfAddress, config.zone, System.currentTimeMillis());
        List<String> seeds = config.seeds.stream().filter(seed -> !seed.equals(selfAddress)).toList();
        if (seeds.isEmpty()) {
            onThread(this::found);
        } else {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.joinTimeoutMs);
            List<String> failures = new ArrayList<>();
            Set<String> seedsInACluster = new java.util.TreeSet<>();
            while (true) {
                Reply.Join accepted = joinRound(seeds, deadline, failures, seedsInACluster);
                if (accepted != null) {
                    onThread(() -> adopt(accepted.view(), accepted.table(), "joined through a seed"));
                    break;
                }
                if (config.requireSeed) {
                    throw new ClusterJoinException("node " + config.nodeId + " could not join: no seed accepted it ("
                            + String.join("; ", failures) + "); cluster.requireSeed is set");
                }
                if (System.nanoTime() - deadline >= 0 && !seedsInACluster.isEmpty()) {
                    // A cluster is there (it may still take this node's previous process for a live
                    // member): a cluster of its own would split it in two.
                    throw new ClusterJoinException("node " + config.nodeId + " could not join: seeds "
                            + seedsInACluster + " are members of a cluster that did not accept it within "
                            + "cluster.joinTimeoutMs " + config.joinTimeoutMs + " (" + String.join("; ", failures) + ")");
                }
                if (System.nanoTime() - deadline >= 0) {
                    LOG.warn("node {}: no seed accepted it within cluster.joinTimeoutMs {} ({}); it starts a cluster "
                            + "of its own", config.nodeId, config.joinTimeoutMs, String.join("; ", failures));
                    onThread(this::found);
                    break;
                }
                failures.clear();
                seedsInACluster.clear();
                sleepQuietly(Math.min(config.heartbeatIntervalMs, 200));
            }
        }
        thread.scheduleWithFixedDelay(() -> guarded(this::tick), config.heartbeatIntervalMs, config.heartbeatIntervalMs,
                TimeUnit.MILLISECONDS);
    }

    /**
     * Tries every seed once (following the coordinator's address when a seed points to it); null if
     * none accepted. Seeds that answered as members of a cluster are added to {@code seedsInACluster}.
     */
    private Reply.Join joinRound(List<String> seeds, long deadline, List<String> failures, Set<String> seedsInACluster) {
        for (String seed : seeds) {
            String address = seed;
            for (int redirect = 0; redirect <= MAX_REDIRECTS; redirect++) {
                Message answer;
                try {
                    // A seed silent for the failure timeout is skipped for this round, not waited for till the deadline.
                    long remainingNanos = Math.max(1, Math.min(deadline - System.nanoTime(),
                            TimeUnit.MILLISECONDS.toNanos(config.failureTimeoutMs)));
                    answer = peers.send(address, new Request.Join(self.nodeId(), self.address(), self.zone(),
                            self.incarnation())).get(remainingNanos, TimeUnit.NANOSECONDS);
                } catch (ExecutionException e) {
                    failures.add(address + ": " + e.getCause().getMessage());
                    break;
                } catch (TimeoutException e) {
                    failures.add(address + ": no answer within cluster.failureTimeoutMs");
                    break;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ClusterJoinException("node " + config.nodeId + " was interrupted while joining");
                }
                if (answer instanceof Reply.Join join && join.accepted()) {
                    return join;
                }
                if (answer instanceof Reply.Join join && !join.coordinatorAddress().isEmpty()) {
                    seedsInACluster.add(address);
                    if (!join.coordinatorAddress().equals(self.address())) {
                        address = join.coordinatorAddress();
                        continue;
                    }
                    failures.add(address + ": it takes this node's previous process for its coordinator, until "
                            + "cluster.failureTimeoutMs tells it otherwise");
                    break;
                }
                failures.add(address + ": " + (answer instanceof ErrorReply error ? error.code() + " " + error.message()
                        : "not a member of a cluster yet"));
                break;
            }
        }
        return null;
    }

    private void found() {
        lastTickNanos = System.nanoTime();
        ClusterWire.View first = new ClusterWire.View(1, List.of(self));
        PartitionTable initial = step(PartitionTable.empty(config.bucketCount, config.backupCount),
                memberInfos(first), config.maxConcurrentFeedsPerNode, 1);
        LOG.info("node {} founded cluster '{}' at {}", config.nodeId, config.clusterName, self.address());
        publish(first, initial);
        joined = true;
    }

    private void adopt(ClusterWire.View newView, ClusterWire.Table wireTable, String why) {
        PartitionTable full = TableWire.fromWire(wireTable);
        LOG.info("node {} {}: view {} {}, coordinator {}, table version {}", config.nodeId, why, newView.version(),
                ids(newView), newView.members().get(0).nodeId(), full.version());
        suspected.clear();
        lastHeardNanos.clear();
        long now = System.nanoTime();
        for (ClusterWire.Member m : newView.members()) {
            lastHeardNanos.put(m.nodeId(), now);
        }
        rejoining = false;
        lastTickNanos = System.nanoTime();
        leaseStartNanos = System.nanoTime();
        publish(newView, full);
        joined = true;
    }

    // ---------------------------------------------------------------------------------------
    // Requests from peers

    /**
     * Handles a cluster request from a peer (any thread); the future completes with the reply or
     * error reply, on the cluster thread.
     */
    public CompletableFuture<Message> handle(Request request) {
        return handle(request, null);
    }

    /**
     * As {@link #handle(Request)}, for a request that came from member {@code fromNodeId} (null if
     * not known: then a TABLE is taken from anyone, as from the coordinator).
     */
    public CompletableFuture<Message> handle(Request request, String fromNodeId) {
        CompletableFuture<Message> reply = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                try {
                    if (request instanceof Request.Table && fromNodeId != null && isJoined()
                            && !fromNodeId.equals(view.members().get(0).nodeId())) {
                        reply.complete(error(request, ErrorCode.NOT_COORDINATOR, "node " + config.nodeId
                                + " takes tables from its coordinator " + view.members().get(0).nodeId() + " only, not from "
                                + fromNodeId));
                        return;
                    }
                    if (request instanceof Request.ClusterState state && isJoined() && !isCoordinator()
                            && (fromNodeId == null || !fromNodeId.equals(view.members().get(0).nodeId()))
                            && state.action() != ClusterWire.QUERY) {
                        // From an operator: the coordinator decides, and tells every member.
                        peers.send(coordinator().address(), request).whenComplete((answer, failure) -> reply.complete(
                                failure == null ? answer : error(request, ErrorCode.NOT_COORDINATOR,
                                        "the coordinator " + coordinator().nodeId() + " could not be reached: " + failure)));
                        return;
                    }
                    reply.complete(answer(request, fromNodeId));
                } catch (RuntimeException e) {
                    LOG.warn("node {}: {} failed", config.nodeId, request.opcode(), e);
                    reply.complete(new ErrorReply(request.opcode().code(), ErrorCode.INTERNAL_ERROR, e.toString()));
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            reply.complete(error(request, ErrorCode.SHUTTING_DOWN, "node " + config.nodeId + " is stopping"));
        }
        return reply;
    }

    private Message answer(Request request, String fromNodeId) {
        if (!joined) {
            if (request instanceof Request.Join) {
                return new Reply.Join(false, "", null, null);
            }
            if (request instanceof Request.Heartbeat) {
                return new Reply.Heartbeat(0, 0); // version 0: not a member of any view (yet)
            }
            return error(request, ErrorCode.NOT_CLUSTERED, "node " + config.nodeId + " has not joined a cluster yet");
        }
        if (request instanceof Request.Join join) {
            return onJoin(join);
        } else if (request instanceof Request.Heartbeat heartbeat) {
            return onHeartbeat(heartbeat);
        } else if (request instanceof Request.View v) {
            onView(v.view());
            return new Reply.View(view.version());
        } else if (request instanceof Request.Table t) {
            return onTable(t);
        } else if (request instanceof Request.TableFetch) {
            return new Reply.TableFetch(TableWire.full(table));
        } else if (request instanceof Request.Leave leave) {
            return onLeave(leave);
        } else if (request instanceof Request.FeedDone done) {
            return onFeedDone(done);
        } else if (request instanceof Request.ClusterState state) {
            return onClusterState(state, fromNodeId);
        }
        return error(request, ErrorCode.INVALID_ARGUMENT, request.opcode() + " is not handled by membership");
    }

    private Message onJoin(Request.Join join) {
        if (!isCoordinator()) {
            return new Reply.Join(false, coordinator().address(), null, null);
        }
        ClusterWire.Member joining = new ClusterWire.Member(join.nodeId(), join.address(), join.zone(), join.incarnation());
        ClusterWire.Member existing = member(join.nodeId());
        if (joining.equals(existing)) { // a repeated JOIN: the answer it may have missed
            return new Reply.Join(true, "", view, TableWire.full(table));
        }
        if (join.nodeId().equals(config.nodeId)) {
            return error(join, ErrorCode.INVALID_ARGUMENT, "node id " + join.nodeId() + " is the coordinator's own");
        }
        List<ClusterWire.Member> members = new ArrayList<>(view.members());
        PartitionTable next = table;
        if (existing != null) {
            // The same node again (restarted, or back after being paused): its old entry and
            // every copy it held are replaced, never kept twice.
            members.remove(existing);
            next = planner.failover(next, ids(members), next.version() + 1);
            LOG.info("node {} rejoins (incarnation {} replaces {}); its old copies are dropped", join.nodeId(),
                    join.incarnation(), existing.incarnation());
        }
        members.add(joining);
        ClusterWire.View newView = new ClusterWire.View(view.version() + 1, List.copyOf(members));
        next = step(next, plannedMembers(newView), config.maxConcurrentFeedsPerNode, next.version() + 1);
        lastHeardNanos.put(join.nodeId(), System.nanoTime());
        LOG.info("node {} joined at {}: view {} {}", join.nodeId(), join.address(), newView.version(), ids(newView));
        PartitionTable before = table;
        publish(newView, next);
        broadcast(before, join.nodeId());
        if (paused) {
            peers.send(join.address(), new Request.ClusterState(ClusterWire.PAUSE));
        }
        return new Reply.Join(true, "", view, TableWire.full(table));
    }

    private Message onHeartbeat(Request.Heartbeat heartbeat) {
        ClusterWire.Member sender = member(heartbeat.nodeId());
        if (sender == null) {
            return error(heartbeat, ErrorCode.NOT_CLUSTERED, "node " + heartbeat.nodeId() + " is not a member of view "
                    + view.version() + " of node " + config.nodeId + "; join again");
        }
        if (suspected.contains(sender.nodeId())) {
            // This node gave up on the sender (its coordinator, silent past the failure timeout) and
            // follows the next one: the sender must not take this answer as a lease.
            return error(heartbeat, ErrorCode.NOT_CLUSTERED, "node " + config.nodeId + " gave up on node "
                    + heartbeat.nodeId() + ", silent for more than cluster.failureTimeoutMs; join again");
        }
        lastHeardNanos.put(sender.nodeId(), System.nanoTime());

        if (isCoordinator()) {
            catchUp(sender, heartbeat.viewVersion(), heartbeat.tableVersion());
        }
        return new Reply.Heartbeat(view.version(), table.version());
    }

    private void onView(ClusterWire.View newView) {
        if (newView.version() <= view.version()) {
            return;
        }
        boolean stillMember = newView.members().stream().anyMatch(m -> m.nodeId().equals(config.nodeId)
                && m.incarnation() == self.incarnation());
        if (!stillMember) {
            view = newView;
            if (leaving) {
                LOG.info("node {} has handed its copies over and left the cluster (view {} {})", config.nodeId,
                        newView.version(), ids(newView));
                left = true;
                handedOver.complete(null);
                return;
            }
            LOG.warn("node {} is not in view {} {}; it joins again", config.nodeId, newView.version(), ids(newView));
            rejoin();
            return;
        }
        // The coordinator vouches for every member of its view: each gets a full timeout from now
        // (a new coordinator, which this node never heard from directly, especially).
        long now = System.nanoTime();
        for (ClusterWire.Member m : newView.members()) {
            lastHeardNanos.put(m.nodeId(), now);
        }
        Set<String> ids = new HashSet<>(ids(newView));
        for (ClusterWire.Member old : view.members()) {
            if (!ids.contains(old.nodeId())) {
                lastHeardNanos.remove(old.nodeId());
                peers.drop(old.address());
            }
        }
        suspected.retainAll(ids);
        suspected.remove(newView.members().get(0).nodeId());
        LOG.info("node {}: view {} {}, coordinator {}", config.nodeId, newView.version(), ids(newView),
                newView.members().get(0).nodeId());
        publish(newView, table);
    }

    private Message onTable(Request.Table request) {
        ClusterWire.Table wire = request.table();
        if (wire.toVersion() <= table.version()) {
            return new Reply.Table(table.version());
        }
        if (wire.fromVersion() == 0) {
            publish(view, TableWire.fromWire(wire));
        } else if (wire.fromVersion() == table.version()) {
            publish(view, table.apply(TableWire.diffFromWire(wire)));
        } else {
            return error(request, ErrorCode.STALE_TABLE, "node " + config.nodeId + " holds table version "
                    + table.version() + ", not " + wire.fromVersion() + "; send the full table");
        }
        return new Reply.Table(table.version());
    }

    /**
     * A primary finished feeding a new copy: the copy becomes UP_TO_DATE (and ownership moves if
     * that is what the feed prepared), and the next step towards balance is taken.
     */
    private Message onFeedDone(Request.FeedDone done) {
        if (!isCoordinator()) {
            return error(done, ErrorCode.NOT_COORDINATOR, "the coordinator is " + coordinator().nodeId() + " at "
                    + coordinator().address());
        }
        if (done.bucket() >= table.bucketCount()
                || table.stateOf(done.bucket(), done.receiverNodeId()) != ReplicaState.FEEDING) {
            return new Reply.FeedDone(); // a feed the table no longer holds: answered and ignored
        }
        PartitionTable before = table;
        List<MemberInfo> members = plannedMembers(view);
        if (members.isEmpty()) {
            return new Reply.FeedDone(); // every member is leaving: there is nothing left to plan
        }
        PartitionTable next = planner.feedDone(table, done.bucket(), done.receiverNodeId(), members, table.version() + 1);
        next = step(next, members, config.maxConcurrentFeedsPerNode, next.version() + 1);
        publish(view, next);
        broadcast(before, null);
        reportProgress(next, members);
        finishLeavers();
        return new Reply.FeedDone();
    }

    /** Pause, resume or query; on the coordinator (or from it), see {@link #handle(Request, String)}. */
    private Message onClusterState(Request.ClusterState state, String fromNodeId) {
        if (state.action() != ClusterWire.QUERY) {
            boolean pause = state.action() == ClusterWire.PAUSE;
            if (paused != pause) {
                paused = pause;
                LOG.warn("node {}: cluster {} ({})", config.nodeId, pause ? "PAUSED: writes are refused and no bucket "
                        + "moves until it is resumed" : "resumed", isCoordinator() ? "as coordinator" : "told by " + fromNodeId);
                if (isCoordinator()) {
                    for (ClusterWire.Member m : view.members()) {
                        if (!m.nodeId().equals(config.nodeId)) {
                            peers.send(m.address(), state);
                        }
                    }
                    if (!pause) {
                        stepAndPublish(); // the planner's next step: moves wait no longer
                    }
                }
                for (PauseListener listener : pauseListeners) {
                    listener.onPause(pause);
                }
            }
        }
        return new Reply.ClusterState(paused, table.version());
    }

    /** Told when the cluster is paused or resumed, on the cluster thread. */
    public interface PauseListener {
        void onPause(boolean paused);
    }

    private final List<PauseListener> pauseListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Registers a listener; before {@link #join} only. */
    public void addPauseListener(PauseListener listener) {
        pauseListeners.add(listener);
    }

    /** Whether the cluster is paused, as this node was last told. Any thread. */
    public boolean isPaused() {
        return paused;
    }

    /**
     * Pauses ({@code true}) or resumes the whole cluster through its coordinator; blocks until the
     * coordinator has decided, at most {@code cluster.joinTimeoutMs}.
     *
     * @throws io.shoal.ShoalException if the coordinator cannot be reached
     */
    public boolean setPaused(boolean pause) {
        Request.ClusterState request = new Request.ClusterState(pause ? ClusterWire.PAUSE : ClusterWire.RESUME);
        try {
            Message answer = handle(request, null).get(config.joinTimeoutMs, TimeUnit.MILLISECONDS);
            if (answer instanceof Reply.ClusterState state) {
                return state.paused();
            }
            throw new io.shoal.ShoalException("node " + config.nodeId + " could not " + (pause ? "pause" : "resume")
                    + " the cluster: " + answer);
        } catch (ExecutionException | TimeoutException e) {
            throw new io.shoal.ShoalException("node " + config.nodeId + " could not " + (pause ? "pause" : "resume")
                    + " the cluster: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.shoal.ShoalException("interrupted while " + (pause ? "pausing" : "resuming") + " the cluster");
        }
    }

    private Message onLeave(Request.Leave leave) {
        if (!isCoordinator()) {
            return error(leave, ErrorCode.NOT_COORDINATOR, "the coordinator is " + coordinator().nodeId() + " at "
                    + coordinator().address());
        }
        if (member(leave.nodeId()) != null && leavingIds.add(leave.nodeId())) {
            LOG.info("node {} leaves ({}): its copies move to the other members first", leave.nodeId(), leave.reason());
            stepAndPublish();
        }
        return new Reply.Leave();
    }

    /**
     * Coordinator: publishes the planner's next step (leavers get no copies in it) and lets go of
     * leavers that hold none.
     */
    private void stepAndPublish() {
        PartitionTable before = table;
        PartitionTable next = step(table, plannedMembers(view), config.maxConcurrentFeedsPerNode,
                table.version() + 1);
        if (next != table) {
            publish(view, next);
            broadcast(before, null);
        }
        finishLeavers();
    }

    /** Coordinator: members leaving that hold no copy any more leave the view. */
    private void finishLeavers() {
        Set<String> done = new LinkedHashSet<>();
        for (String id : leavingIds) {
            if (!table.nodes().contains(id)) {
                done.add(id);
            }
        }
        if (!done.isEmpty()) {
            removeMembers(done, "left after handing their copies over");
            if (done.contains(config.nodeId)) {
                handedOver.complete(null); // the coordinator itself: the next member coordinates now
            }
        }
    }

    /** The planner's next step towards balance; none while the cluster is paused (no bucket moves). */
    private PartitionTable step(PartitionTable current, List<MemberInfo> members, int maxFeeds, long newVersion) {
        return paused ? current : planner.nextStep(current, members, maxFeeds, newVersion);
    }

    /** The members the planner places copies on: those not leaving. */
    private List<MemberInfo> plannedMembers(ClusterWire.View v) {
        List<MemberInfo> infos = new ArrayList<>();
        for (ClusterWire.Member m : v.members()) {
            if (!leavingIds.contains(m.nodeId())) {
                infos.add(new MemberInfo(m.nodeId(), m.zone()));
            }
        }
        return infos;
    }

    /** Coordinator: a log line when a rebalance step ends, with what is left to move. */
    private void reportProgress(PartitionTable next, List<MemberInfo> members) {
        int feeding = 0;
        int copies = 0;
        for (int b = 0; b < next.bucketCount(); b++) {
            for (PartitionTable.Replica r : next.replicas(b)) {
                copies++;
                if (r.state() != ReplicaState.UP_TO_DATE) {
                    feeding++;
                }
            }
        }
        if (feeding == 0 && planner.isBalanced(next, members)) {
            LOG.info("node {} (coordinator): rebalance done; the cluster is balanced at table version {}",
                    config.nodeId, next.version());
        } else if (next.version() % 32 == 0) {
            LOG.info("node {} (coordinator): rebalancing: {} of {} copies being fed ({}% in place), table version {}",
                    config.nodeId, feeding, copies, copies == 0 ? 100 : 100 * (copies - feeding) / copies, next.version());
        }
    }

    // ---------------------------------------------------------------------------------------
    // Heartbeats and failure detection

    private void tick() {
        if (closed || left || !joined || rejoining) {
            return;
        }
        long now = System.nanoTime();
        long failureNanos = TimeUnit.MILLISECONDS.toNanos(config.failureTimeoutMs);
        long sinceLastTick = now - lastTickNanos;
        lastTickNanos = now;
        if (sinceLastTick > failureNanos / 2) {
            // This node itself stood still (paused, starved of CPU): the silence it measured is its
            // own. Everyone gets a fresh timeout; heartbeats tell who is really gone.
            LOG.warn("node {} stood still for {} ms; members get a fresh cluster.failureTimeoutMs", config.nodeId,
                    TimeUnit.NANOSECONDS.toMillis(sinceLastTick));
            lastHeardNanos.replaceAll((id, heard) -> now);
            for (ClusterWire.Member m : view.members()) {
                if (!m.nodeId().equals(config.nodeId)) {
                    heartbeat(m);
                }
            }
            return;
        }
        if (isCoordinator()) {
            Set<String> silent = new LinkedHashSet<>();
            for (ClusterWire.Member m : view.members()) {
                if (m.nodeId().equals(config.nodeId)) {
                    continue;
                }
                if (now - lastHeardNanos.getOrDefault(m.nodeId(), now) > failureNanos) {
                    silent.add(m.nodeId());
                } else {
                    heartbeat(m);
                }
            }
            if (!silent.isEmpty()) {
                LOG.warn("node {} (coordinator): {} silent for more than cluster.failureTimeoutMs {}; removing them",
                        config.nodeId, silent, config.failureTimeoutMs);
                removeMembers(silent, "failed");
            }
            return;
        }
        ClusterWire.Member target = coordinator();
        if (leaving) {
            if (copiesHere() == 0 && table.version() > 0) {
                LOG.info("node {} holds no copy any more: it has left the cluster", config.nodeId);
                left = true;
                handedOver.complete(null);
                return;
            }
            heartbeat(target); // on its way out: it accuses nobody and never takes over
            return;
        }
        if (now - lastHeardNanos.getOrDefault(target.nodeId(), now) > failureNanos) {
            LOG.warn("node {}: coordinator {} silent for more than cluster.failureTimeoutMs {}", config.nodeId,
                    target.nodeId(), config.failureTimeoutMs);
            suspected.add(target.nodeId());
            lastHeardNanos.put(target.nodeId(), now); // the next candidate gets a full timeout of its own
            target = coordinator();
            lastHeardNanos.put(target.nodeId(), now);
            if (target.nodeId().equals(config.nodeId)) {
                takeOver();
                return;
            }
        }
        heartbeat(target);
    }

    private void heartbeat(ClusterWire.Member to) {
        long viewVersion = view.version();
        long sentNanos = System.nanoTime(); // a lease counts from when its proof was asked for
        peers.send(to.address(), new Request.Heartbeat(config.nodeId, viewVersion, table.version()))
                .whenCompleteAsync((answer, failure) -> {
                    if (closed || failure != null) {
                        return; // silence is what failure detection counts
                    }
                    if (answer instanceof Reply.Heartbeat reply) {
                        if (member(to.nodeId()) != null && isSameMember(to, reply, viewVersion)) {
                            lastHeardNanos.put(to.nodeId(), System.nanoTime());
                            // A member whose table is older than its coordinator's does not serve by it.
                            if (isCoordinator() || to.nodeId().equals(coordinator().nodeId())
                                    && reply.tableVersion() <= table.version()) {
                                leaseStartNanos = Math.max(leaseStartNanos, sentNanos);
                            }
                        }
                        if (isCoordinator() && member(to.nodeId()) != null && reply.viewVersion() > 0) {
                            catchUp(to, reply.viewVersion(), reply.tableVersion());
                        }
                    } else if (answer instanceof ErrorReply error && error.code() == ErrorCode.NOT_CLUSTERED
                            && viewVersion == view.version()
                            && (isCoordinator() ? !holdsLease() : to.nodeId().equals(coordinator().nodeId()))) {
                        // A member: its coordinator dropped it. The coordinator: it was cut off (paused)
                        // long enough for the others to go on without it.
                        LOG.warn("node {}: {} says: {}", config.nodeId, to.nodeId(), error.message());
                        rejoin();
                    }
                }, thread);
    }

    /**
     * Whether a heartbeat reply comes from the member this node knows as {@code to}, not from a new
     * process at its address: one that is no member of any view yet (version 0; it restarted and is
     * joining), or, from this node's coordinator, one with an older view than this node's (it
     * founded a cluster of its own since). Such a reply is no sign of life of the member: this node
     * goes on counting its silence.
     */
    private boolean isSameMember(ClusterWire.Member to, Reply.Heartbeat reply, long sentViewVersion) {
        if (reply.viewVersion() == 0) {
            return false;
        }
        return isCoordinator() || !to.nodeId().equals(coordinator().nodeId()) || reply.viewVersion() >= sentViewVersion;
    }

    /** Sends a member that is behind what it missed, in full. Coordinator only. */
    private void catchUp(ClusterWire.Member member, long memberViewVersion, long memberTableVersion) {
        if (memberViewVersion < view.version()) {
            peers.send(member.address(), new Request.View(view));
        }
        if (memberTableVersion < table.version()) {
            peers.send(member.address(), new Request.Table(TableWire.full(table)));
        }
    }

    private void takeOver() {
        LOG.warn("node {} takes over as coordinator; failed: {}", config.nodeId, suspected);
        // The other members sent their heartbeats to the old coordinator, not here: each gets a
        // fresh cluster.failureTimeoutMs to turn to this one (the new view tells them).
        long now = System.nanoTime();
        lastHeardNanos.replaceAll((id, heard) -> now);
        removeMembers(new LinkedHashSet<>(suspected), "failed");
        suspected.clear();
    }

    /** Coordinator (or the member taking over): a view without {@code gone}, the table failed over, published. */
    private CompletableFuture<Void> removeMembers(Set<String> gone, String why) {
        List<ClusterWire.Member> members = new ArrayList<>();
        for (ClusterWire.Member m : view.members()) {
            if (!gone.contains(m.nodeId())) {
                members.add(m);
            } else {
                lastHeardNanos.remove(m.nodeId());
                peers.drop(m.address());
            }
        }
        ClusterWire.View newView = new ClusterWire.View(view.version() + 1, List.copyOf(members));
        PartitionTable next = planner.failover(table, ids(members), table.version() + 1);
        next = step(next, plannedMembers(newView), config.maxConcurrentFeedsPerNode, next.version() + 1);
        leavingIds.removeAll(gone);
        int lost = 0;
        for (int b = 0; b < next.bucketCount(); b++) {
            if (next.isLost(b)) {
                lost++;
            }
        }
        if (lost > 0) {
            LOG.error("node {}: {} of {} buckets lost every copy when {} {}; their data is gone until restored",
                    config.nodeId, lost, next.bucketCount(), gone, why);
        }
        LOG.info("node {}: {} {}; view {} {}", config.nodeId, gone, why, newView.version(), ids(newView));
        PartitionTable before = table;
        publish(newView, next);
        return broadcast(before, null);
    }

    /** Sends the current view and the table's difference from {@code before} to every other member. */
    private CompletableFuture<Void> broadcast(PartitionTable before, String skipNodeId) {
        ClusterWire.Table difference = table.version() > before.version() ? TableWire.difference(before, table) : null;
        List<CompletableFuture<?>> sent = new ArrayList<>();
        for (ClusterWire.Member m : view.members()) {
            if (m.nodeId().equals(config.nodeId) || m.nodeId().equals(skipNodeId)) {
                continue;
            }
            sent.add(peers.send(m.address(), new Request.View(view)));
            if (difference == null) {
                continue;
            }
            sent.add(peers.send(m.address(), new Request.Table(difference)).thenCompose(answer -> {
                if (answer instanceof ErrorReply error && error.code() == ErrorCode.STALE_TABLE) {
                    return peers.send(m.address(), new Request.Table(TableWire.full(table)));
                }
                return CompletableFuture.completedFuture(answer);
            }));
        }
        return CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0]));
    }

    private void rejoin() {
        if (rejoining || closed) {
            return;
        }
        if (leaving) {
            // Out of the view while handing copies over: that is the coordinator's "done".
            LOG.info("node {} has handed its copies over and left the cluster", config.nodeId);
            left = true;
            handedOver.complete(null);
            return;
        }
        rejoining = true;
        joined = false;
        self = new ClusterWire.Member(self.nodeId(), self.address(), self.zone(), System.currentTimeMillis());
        List<String> candidates = new ArrayList<>();
        for (ClusterWire.Member m : view.members()) {
            if (!m.nodeId().equals(config.nodeId)) {
                candidates.add(m.address());
            }
        }
        for (String seed : config.seeds) {
            if (!candidates.contains(seed) && !seed.equals(self.address())) {
                candidates.add(seed);
            }
        }
        // Joining blocks on replies, which arrive on this thread: join from another one.
        CompletableFuture.runAsync(() -> {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.joinTimeoutMs);
            Set<String> inACluster = new java.util.TreeSet<>();
            // Past the deadline it goes on asking while members of a cluster answer: one of its own would split it.
            for (int round = 0; !closed && (System.nanoTime() - deadline < 0 || !inACluster.isEmpty()); round++) {
                List<String> failures = new ArrayList<>();
                inACluster.clear(); // what the last round found: a cluster that is gone lets it found one
                long roundDeadline = Math.max(deadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(
                        config.failureTimeoutMs));
                Reply.Join accepted = joinRound(candidates, roundDeadline, failures, inACluster);
                if (accepted != null) {
                    onThread(() -> adopt(accepted.view(), accepted.table(), "joined again"));
                    return;
                }
                if (round % 20 == 0) {
                    LOG.warn("node {} could not join again: {}", config.nodeId, failures);
                }
                sleepQuietly(config.heartbeatIntervalMs);
            }
            if (!closed) {
                LOG.warn("node {}: no member accepted it again within cluster.joinTimeoutMs; it starts a cluster of its own",
                        config.nodeId);
                onThread(this::found);
                onThread(() -> rejoining = false);
            }
        });
    }

    // ---------------------------------------------------------------------------------------

    /**
     * Leaves the cluster gracefully: asks the coordinator to move this node's copies to the other
     * members (this node keeps serving and feeding meanwhile), and returns once it is out of the
     * view, at most {@code cluster.leaveTimeoutMs} later (then the others find it gone and fail its
     * buckets over). Logs what is left every few seconds. Blocks the calling thread.
     */
    public void leave(String reason) {
        if (!joined || closed || left) {
            return;
        }
        leaving = true;
        long started = System.nanoTime();
        long deadline = started + TimeUnit.MILLISECONDS.toNanos(config.leaveTimeoutMs);
        while (!handedOver.isDone() && System.nanoTime() - deadline < 0) {
            if (view.members().size() <= 1 || rejoining) {
                break;
            }
            try {
                thread.submit(() -> {
                    if (isCoordinator()) {
                        if (leavingIds.add(config.nodeId)) {
                            LOG.info("node {} (coordinator) leaves ({}): its copies move to the other members first",
                                    config.nodeId, reason);
                        }
                        stepAndPublish();
                    } else {
                        peers.send(coordinator().address(), new Request.Leave(config.nodeId, reason));
                    }
                }).get();
                handedOver.get(Math.min(2_000, Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))),
                        TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                LOG.info("node {} is leaving: {} copies still here after {} s", config.nodeId,
                        copiesHere(), TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
            } catch (ExecutionException | java.util.concurrent.RejectedExecutionException e) {
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!handedOver.isDone() && view.members().size() > 1) {
            LOG.warn("node {}: its copies were not all handed over within cluster.leaveTimeoutMs {}; the others will "
                    + "fail its buckets over", config.nodeId, config.leaveTimeoutMs);
        }
        left = true;
    }

    private int copiesHere() {
        PartitionTable t = table;
        int copies = 0;
        for (int b = 0; b < t.bucketCount(); b++) {
            if (t.stateOf(b, config.nodeId) != null) {
                copies++;
            }
        }
        return copies;
    }

    @Override
    public void close() {
        closed = true;
        joined = false;
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        peers.close();
    }

    // ---------------------------------------------------------------------------------------

    private void publish(ClusterWire.View newView, PartitionTable newTable) {
        view = newView;
        table = newTable;
        for (Listener listener : listeners) {
            try {
                listener.onChange(newView, newTable);
            } catch (RuntimeException e) {
                LOG.error("node {}: a membership listener failed", config.nodeId, e);
            }
        }
    }

    /** The coordinator as this node sees it: the first member of the view that it does not suspect. */
    private ClusterWire.Member coordinator() {
        for (ClusterWire.Member m : view.members()) {
            if (!suspected.contains(m.nodeId())) {
                return m;
            }
        }
        return self;
    }

    private ClusterWire.Member member(String nodeId) {
        for (ClusterWire.Member m : view.members()) {
            if (m.nodeId().equals(nodeId)) {
                return m;
            }
        }
        return null;
    }

    private static List<MemberInfo> memberInfos(ClusterWire.View v) {
        List<MemberInfo> infos = new ArrayList<>();
        for (ClusterWire.Member m : v.members()) {
            infos.add(new MemberInfo(m.nodeId(), m.zone()));
        }
        return infos;
    }

    private static List<String> ids(ClusterWire.View v) {
        return ids(v.members());
    }

    private static List<String> ids(List<ClusterWire.Member> members) {
        return members.stream().map(ClusterWire.Member::nodeId).toList();
    }

    private static ErrorReply error(Request request, ErrorCode code, String message) {
        return new ErrorReply(request.opcode().code(), code, message);
    }

    private void onThread(Runnable task) {
        try {
            thread.submit(task).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterJoinException("node " + config.nodeId + " was interrupted while joining");
        }
    }

    private void guarded(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.error("node {}: membership tick failed", config.nodeId, e);
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether {@link #handle} answers {@code opcode}; the other cluster messages carry data. */
    public static boolean isMembershipRequest(Opcode opcode) {
        return switch (opcode) {
            case JOIN, VIEW, HEARTBEAT, TABLE, TABLE_FETCH, LEAVE, FEED_DONE, CLUSTER_STATE -> true;
            default -> false;
        };
    }
}
