package io.shoal.core;

import io.shoal.ChangeType;
import io.shoal.cluster.ClusterConfig;
import io.shoal.cluster.Membership;
import io.shoal.cluster.PartitionTable;
import io.shoal.cluster.ReplicaState;
import io.shoal.protocol.ClusterWire;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.EventType;
import io.shoal.protocol.Message;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import io.shoal.spi.ChangeRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The data side of a cluster member: which buckets it serves ({@link Ownership}, rebuilt on every
 * new table), the copies of its buckets on other members (replication, and feeding new copies),
 * and the copies it keeps for others (applying their changes and feeds). docs/cluster.md section
 * 3 describes the behaviour; the messages are docs/protocol.md section 11.
 *
 * <p>Design. Replication: a writer hands each change to {@link #replicate} with its bucket locked;
 * the change goes to one {@link PeerStream} per other copy, which keeps bucket order. With
 * {@code backups.sync} the writer's reply waits for every copy's acknowledgement (through the
 * change bus's durability future); otherwise it does not wait. A copy being fed gets live changes
 * only from the moment its feed starts. Feeding: for each copy the table marks {@code FEEDING} (or
 * {@code OUT_OF_DATE}) on a bucket this node serves, a feed task sends, through the same stream,
 * a first empty chunk (the receiver takes the bucket's sequence; sent with the bucket locked, so
 * every later change follows it), then the bucket's entries, two chunks in flight, then a
 * last chunk, and tells the coordinator (FEED_DONE). The receiver keeps what it held until the last
 * chunk, then removes what the feed did not bring: a copy fed again that must serve before its
 * feed ends (its primary failed) still holds every change it had. The feed's entries and live
 * changes replace what the keys hold, a snapshot entry only if no live change of its key overtook
 * it. Requests from peers ({@link #handle}) run on the server's I/O thread; table changes on the
 * cluster thread; feeds on their own threads.
 */
final class ClusterData implements ChangeBus.Replication {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterData.class);
    private static final long FEED_RETRY_MS = 500;
    private static final int FEED_DONE_ATTEMPTS = 40;
    /** Chunks of one feed queued or in flight at once: the next one is read while they travel. */
    private static final int FEED_WINDOW_CHUNKS = 2;
    /** A copy compared right after its feed is compared again this often while its bucket changes. */
    private static final long DIGEST_RETRY_MS = 200;
    private static final int DIGEST_ATTEMPTS_AFTER_FEED = 5;

    private final String selfId;
    private final ClusterConfig config;
    private final LocalEngine engine;
    private final MapRegistry maps;
    private final Membership membership;
    private final Map<String, PeerStream> streams = new ConcurrentHashMap<>();
    /** Where a feed of a bucket to a copy stands. */
    private enum Feed {
        /** Queued on a feed thread; the copy gets no live change yet (unless it is up to date). */
        SCHEDULED,
        /** The first chunk is queued: the copy gets every live change after it. */
        STREAMING,
        /** Every chunk was received; the copy keeps getting live changes. */
        DONE
    }

    /** Feeds by "bucket/nodeId", for the buckets this node serves. */
    private final Map<String, Feed> feeds = new ConcurrentHashMap<>();
    /** Feeds under way by the same key: completed when each ends, with whether it completed. */
    private final Map<String, CompletableFuture<Boolean>> feedEnds = new ConcurrentHashMap<>();
    /** Feeds being received, by bucket: the sender's (tableVersion, sequence) that identifies the feed. */
    private final Map<Integer, long[]> receiving = new ConcurrentHashMap<>();
    /** The table version of the last feed this node started receiving, by bucket (see {@link #dropCopy}). */
    private final java.util.concurrent.atomic.AtomicLongArray fedUnderTable;
    /** Buckets this node now serves but waits for, until the previous primary's hand-over. */
    private final Map<Integer, Awaiting> awaitingHandover = new ConcurrentHashMap<>();
    /**
     * Hand-overs that arrived before this node acted on the table that makes it the primary:
     * (tableVersion, sequence) by bucket. Guarded, with {@link #awaitingHandover}, by
     * {@code awaitingHandover}'s monitor, since hand-overs arrive on I/O threads and tables on the
     * cluster thread.
     */
    private final Map<Integer, long[]> earlyHandovers = new ConcurrentHashMap<>();
    /**
     * Hand-overs that wait for a feed of the bucket to its new primary to end, by bucket: the new
     * primary must hold every entry before it serves, so the marker follows the feed's last chunk.
     */
    private final Map<Integer, PendingHandover> pendingHandovers = new ConcurrentHashMap<>();
    /** Serialises table changes (cluster thread) with the drops feed threads deferred. */
    private final Object tableLock = new Object();
    private final ExecutorService feeders;
    private final ScheduledExecutorService retries;
    /** Anti-entropy: digests computed and compared here, one bucket at a time. */
    private final ScheduledExecutorService digests;
    private final java.util.concurrent.atomic.AtomicLong copiesRepaired = new java.util.concurrent.atomic.AtomicLong();
    private volatile ClusterWire.View view = new ClusterWire.View(0, List.of());
    /** This node's incarnation in {@link #view}: a new one means it was removed and joined again. */
    private long incarnation = -1;
    /** The last table {@link #onChange} applied in full; guarded by {@code awaitingHandover}'s monitor. */
    private long appliedTableVersion = -1;
    private volatile boolean closed;

    ClusterData(String selfId, ClusterConfig config, LocalEngine engine, MapRegistry maps, Membership membership) {
        this.selfId = selfId;
        this.config = config;
        this.engine = engine;
        this.maps = maps;
        this.membership = membership;
        this.fedUnderTable = new java.util.concurrent.atomic.AtomicLongArray(engine.bucketCount());
        for (int b = 0; b < engine.bucketCount(); b++) {
            fedUnderTable.set(b, -1);
        }
        this.feeders = Executors.newFixedThreadPool(Math.max(1, config.maxConcurrentFeedsPerNode), daemon("feed"));
        this.retries = Executors.newSingleThreadScheduledExecutor(daemon("replication"));
        this.digests = Executors.newSingleThreadScheduledExecutor(daemon("anti-entropy"));
        if (config.antiEntropyIntervalMs > 0) {
            digests.scheduleWithFixedDelay(this::compareAllCopies, config.antiEntropyIntervalMs,
                    config.antiEntropyIntervalMs, TimeUnit.MILLISECONDS);
        }
    }

    /** A wait for {@code previous}'s hand-over (compared by identity: a later wait is another one). */
    private record Awaiting(String previous) {
    }

    /** A hand-over marker for {@code nodeId}, sent once the feed of its bucket to that node ends. */
    private record PendingHandover(String nodeId, Request.MigrateChunk marker) {
    }

    private java.util.concurrent.ThreadFactory daemon(String what) {
        java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, "shoal-" + what + "-" + selfId + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    // ---------------------------------------------------------------------------------------
    // Table changes (cluster thread)

    /** A new view or table: serve, copy, drop and feed accordingly. */
    void onChange(ClusterWire.View newView, PartitionTable table) {
        synchronized (tableLock) {
            applyTable(newView, table);
        }
    }

    private void applyTable(ClusterWire.View newView, PartitionTable table) {
        Map<String, Long> incarnations = new java.util.HashMap<>();
        for (ClusterWire.Member m : view.members()) {
            incarnations.put(m.nodeId(), m.incarnation());
        }
        view = newView;
        Ownership before = engine.ownership;
        Ownership now = Ownership.of(newView, table, selfId);
        long selfIncarnation = newView.members().stream().filter(m -> m.nodeId().equals(selfId))
                .mapToLong(ClusterWire.Member::incarnation).findFirst().orElse(incarnation);
        if (incarnation >= 0 && selfIncarnation != incarnation) {
            forgetPreviousMembership(now);
            before = null;
        }
        incarnation = selfIncarnation;
        Set<String> addresses = new HashSet<>();
        Set<String> members = new HashSet<>();
        // Members that were members before too: a restarted node (new incarnation) hands nothing over.
        Set<String> continuing = new HashSet<>();
        for (ClusterWire.Member m : newView.members()) {
            addresses.add(m.address());
            members.add(m.nodeId());
            Long was = incarnations.get(m.nodeId());
            if (was == null || was == m.incarnation()) {
                continuing.add(m.nodeId());
            } else {
                // Restarted: what it was fed, it lost; feeds to it start again when the table asks.
                feeds.keySet().removeIf(feed -> feed.endsWith("/" + m.nodeId()));
            }
        }
        if (before != null) {
            // Before the new roles are published: a bucket this node takes over from a live primary
            // neither serves nor skips that primary's last changes while the rest of the table applies.
            for (int b = 0; b < now.bucketCount(); b++) {
                if (!before.isPrimary(b) && now.isPrimary(b)) {
                    prepareTakeOver(b, before.primaryId(b), now, continuing);
                }
            }
        }
        engine.ownership = now;
        streams.entrySet().removeIf(stream -> {
            if (!addresses.contains(stream.getKey())) {
                stream.getValue().close();
                return true;
            }
            return false;
        });
        for (int b = 0; b < now.bucketCount(); b++) {
            boolean wasPrimary = before != null && before.isPrimary(b);
            if (now.isPrimary(b) && !wasPrimary && engine.bucket(b).isFeeding()
                    && !awaitingHandover.containsKey(b)) {
                LOG.error("node {} serves bucket {} whose feed had not finished: it keeps what it held before the "
                        + "feed with what the feed brought, and may miss entries the feed had not sent yet", selfId, b);
                receiving.remove(b);
                engine.endFeed(b, false);
            }
            if (wasPrimary && !now.isPrimary(b)) {
                handOver(b, now, members);
            } else if (!wasPrimary && now.isPrimary(b)) {
                takeOver(b, before == null ? null : before.primaryId(b), now, continuing);
            } else if (now.isPrimary(b) && awaitingHandover.containsKey(b)
                    && !continuing.contains(awaitingHandover.get(b).previous())) {
                serveAfterHandover(b, "node " + awaitingHandover.get(b).previous() + " left before handing it over");
            }
            if (before != null && before.holds(b) && !now.holds(b) && !pendingHandovers.containsKey(b)) {
                dropCopy(b, now.tableVersion);
            } else if (before == null && !now.holds(b) && engine.bucket(b).entriesApprox() > 0) {
                dropCopy(b, now.tableVersion); // recovered from disk, but the cluster keeps this bucket elsewhere
            }
            if (!now.isPrimary(b)) {
                continue;
            }
            for (Ownership.Target target : now.targets(b)) {
                String feed = feedKey(b, target.nodeId());
                if (target.state() == ReplicaState.UP_TO_DATE) {
                    continue;
                }
                if (!membership.isPaused() && feeds.putIfAbsent(feed, Feed.SCHEDULED) == null) {
                    startFeed(b, target, table.version(), target.state() == ReplicaState.FEEDING, null);
                }
            }
        }
        synchronized (awaitingHandover) {
            // Hand-overs for this table or an older one that no take-over used: stale.
            earlyHandovers.values().removeIf(early -> early[0] <= now.tableVersion);
            appliedTableVersion = now.tableVersion;
        }
        // Feeds whose receiver is no longer a fed copy here: forget them (a new feed may start later).
        feeds.keySet().removeIf(feed -> {
            int slash = feed.indexOf('/');
            int b = Integer.parseInt(feed.substring(0, slash));
            String nodeId = feed.substring(slash + 1);
            return !handingOverTo(b, nodeId)
                    && (!now.isPrimary(b) || now.targets(b).stream().noneMatch(t -> t.nodeId().equals(nodeId)));
        });
    }

    /**
     * This node was removed from the cluster and joined again: the cluster failed its buckets over
     * meanwhile, so nothing it held counts (the new table gives it fresh copies to be fed), and it
     * owes nobody a hand-over.
     */
    private void forgetPreviousMembership(Ownership now) {
        LOG.info("node {} joined again: it drops the copies it held before", selfId);
        synchronized (awaitingHandover) {
            awaitingHandover.clear();
            earlyHandovers.clear();
        }
        pendingHandovers.clear();
        feeds.clear();
        for (int b = 0; b < now.bucketCount(); b++) {
            if (!now.holds(b)) {
                dropCopy(b, now.tableVersion); // a copy it is given again is replaced by its feed
            }
        }
    }

    /**
     * Drops this node's copy of {@code b}, which the table at {@code tableVersion} does not give it,
     * unless a feed of it started under that table or a later one is arriving (its sender is ahead).
     */
    private void dropCopy(int b, long tableVersion) {
        BucketStore store = engine.bucket(b);
        store.lock.lock();
        try {
            // Under the bucket lock, as a feed's start (onChunk): a feed starts before or after, never between.
            if (fedUnderTable.get(b) >= tableVersion) {
                return;
            }
            LOG.debug("node {} drops its copy of bucket {}", selfId, b);
            receiving.remove(b);
            engine.dropBucket(b);
        } finally {
            store.lock.unlock();
        }
    }

    private boolean handingOverTo(int b, String nodeId) {
        PendingHandover pending = pendingHandovers.get(b);
        return pending != null && pending.nodeId().equals(nodeId);
    }

    /**
     * This node no longer serves {@code b}: writers still on their way are stopped (under the bucket
     * lock, so every change applied here is queued before the hand-over) and the new primary is
     * told the bucket's last sequence, after every change, so it can serve.
     */
    private void handOver(int b, Ownership now, Set<String> members) {
        earlyHandovers.remove(b);
        BucketStore store = engine.bucket(b);
        String to = now.primaryAddress(b);
        String newPrimary = now.primaryId(b);
        store.lock.lock();
        try {
            store.serving(false);
            if (to != null && members.contains(newPrimary) && !now.isLost(b)) {
                Request.MigrateChunk marker = new Request.MigrateChunk(b, now.tableVersion, store.sequence(), true,
                        List.of());
                Feed feed = feeds.get(feedKey(b, newPrimary));
                if (feed == Feed.SCHEDULED || feed == Feed.STREAMING) {
                    // Locked: the feed thread finishes under this lock, so it sees the pending marker.
                    pendingHandovers.put(b, new PendingHandover(newPrimary, marker));
                    LOG.info("node {} hands bucket {} over to {} once its feed there ends", selfId, b, newPrimary);
                } else {
                    stream(to).offer(marker);
                    LOG.debug("node {} hands bucket {} over to {} at sequence {}", selfId, b, newPrimary, store.sequence());
                }
            }
        } finally {
            store.lock.unlock();
        }
    }

    /**
     * The feed of {@code b} to {@code nodeId} ended ({@code completed}) or stopped: a hand-over that
     * waited for it is sent (completed) or given up (the node left), and a copy this node no
     * longer holds is dropped.
     */
    private void afterPendingHandover(int b, String nodeId, boolean completed, PeerStream stream) {
        PendingHandover pending;
        BucketStore store = engine.bucket(b);
        store.lock.lock();
        try {
            pending = pendingHandovers.get(b);
            if (pending == null || !pending.nodeId().equals(nodeId)) {
                return;
            }
            pendingHandovers.remove(b);
            if (completed) {
                stream.offer(pending.marker());
            }
        } finally {
            store.lock.unlock();
        }
        LOG.info("node {} {} bucket {} to {}", selfId, completed ? "handed" : "could not hand", b, nodeId);
        synchronized (tableLock) {
            Ownership o = engine.ownership;
            if (o != null && !o.holds(b) && !pendingHandovers.containsKey(b)) {
                dropCopy(b, o.tableVersion);
            }
        }
    }

    /**
     * First half of taking {@code b} over from {@code previous}, before the table's roles are
     * published. From a live primary: with its hand-over already here, the bucket serves from its
     * sequence; otherwise it serves nothing until the hand-over comes, and takes every change
     * meanwhile. From a failed one: it serves nothing until {@link #takeOver} queued the other
     * copies' feeds.
     */
    private void prepareTakeOver(int b, String previous, Ownership now, Set<String> continuing) {
        pendingHandovers.remove(b); // primary again before its hand-over went out: nothing to hand over
        if (previous == null || previous.equals(selfId)) {
            return;
        }
        BucketStore store = engine.bucket(b);
        if (!continuing.contains(previous)) {
            store.serving(false); // until takeOver has queued the other copies' feeds
            return;
        }
        synchronized (awaitingHandover) {
            long[] handedOver = earlyHandovers.remove(b);
            // The marker names the table at which the old primary let go; this node may act on a
            // later one (tables it skipped over arrived as one full table).
            if (handedOver != null && handedOver[0] <= now.tableVersion) {
                store.raiseSequence(handedOver[1]);
                store.serving(true);
                LOG.debug("node {} serves bucket {} from sequence {}, handed over early by {}", selfId, b,
                        handedOver[1], previous);
                return;
            }
            LOG.debug("node {} waits for {}'s hand-over of bucket {}", selfId, previous, b);
            store.serving(false);
            awaitingHandover.put(b, new Awaiting(previous));
        }
    }

    /**
     * This node serves {@code b} from now on. If the previous primary is still a member (the same
     * incarnation) it hands the bucket over (its last changes may still be on the way): until then
     * requests wait ({@link #prepareTakeOver}). If it failed or restarted, this copy serves at once,
     * and the other copies are fed again, since they may hold changes of the failed primary this
     * copy never got.
     */
    private void takeOver(int b, String previous, Ownership now, Set<String> continuing) {
        BucketStore store = engine.bucket(b);
        if (previous != null && !previous.equals(selfId) && continuing.contains(previous)) {
            Awaiting awaiting = awaitingHandover.get(b); // registered by prepareTakeOver
            if (awaiting != null) {
                awaitHandover(b, awaiting);
            }
            return;
        }
        pendingHandovers.remove(b);
        earlyHandovers.remove(b);
        store.lock.lock();
        try {
            if (previous != null && !previous.equals(selfId)) {
                // Each feed's first chunk goes before this node's first change: a copy ahead of this
                // one (it got changes of the failed primary this one never got) would otherwise skip
                // this node's changes under the same sequence numbers as ones it already has.
                for (Ownership.Target t : now.targets(b)) {
                    if (t.state() == ReplicaState.UP_TO_DATE) {
                        feedAgain(b, t, now.tableVersion, true);
                    }
                }
            }
            store.serving(true);
        } finally {
            store.lock.unlock();
        }
        LOG.debug("node {} serves bucket {} at once (previous primary {}), sequence {}", selfId, b, previous,
                store.sequence());
    }

    /**
     * Serves {@code b} if {@code previous} has not handed it over within {@code cluster.joinTimeoutMs},
     * unless it is still feeding the bucket here (the hand-over follows the feed; if the previous
     * primary fails, the next table ends the wait).
     */
    private void awaitHandover(int b, Awaiting awaiting) {
        try {
            retries.schedule(() -> {
                if (awaitingHandover.get(b) != awaiting) {
                    return;
                }
                if (receiving.containsKey(b)) {
                    awaitHandover(b, awaiting);
                } else {
                    serveAfterHandover(b, "no hand-over from node " + awaiting.previous()
                            + " within cluster.joinTimeoutMs " + config.joinTimeoutMs);
                }
            }, config.joinTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // stopping
        }
    }

    private void serveAfterHandover(int b, String why) {
        synchronized (awaitingHandover) {
            if (awaitingHandover.remove(b) == null) {
                return;
            }
        }
        LOG.warn("node {} serves bucket {} without its previous primary's hand-over: {}", selfId, b, why);
        engine.bucket(b).serving(true);
    }

    /** The cluster was resumed: feeds that waited start now. Cluster thread. */
    void onResume(PartitionTable table) {
        onChange(view, table);
    }

    private static String feedKey(int bucket, String nodeId) {
        return bucket + "/" + nodeId;
    }

    // ---------------------------------------------------------------------------------------
    // Replication (writer threads, bucket locked)

    @Override
    public CompletableFuture<Void> replicate(ChangeRecord change) {
        Ownership o = engine.ownership;
        if (o == null || closed) {
            return null;
        }
        List<Ownership.Target> targets = o.targets(change.bucket());
        if (targets.isEmpty()) {
            return null;
        }
        int copies = 0;
        for (Ownership.Target t : targets) {
            if (receivesChanges(change.bucket(), t)) {
                copies++;
            }
        }
        if (copies == 0) {
            return null;
        }
        PeerStream.Ack ack = config.backupsSync ? new PeerStream.Ack(copies) : null;
        ClusterWire.Change wire = new ClusterWire.Change(change.bucket(), change.sequence(),
                EventType.valueOf(change.type().name()).code(), change.mapName(), change.key(), change.value(),
                change.timestampMs(), change.expiresAtMs());
        for (Ownership.Target t : targets) {
            if (receivesChanges(change.bucket(), t)) {
                stream(t.address()).offer(wire, ack);
            }
        }
        return ack;
    }

    private boolean receivesChanges(int bucket, Ownership.Target target) {
        if (target.state() == ReplicaState.UP_TO_DATE) {
            return true;
        }
        Feed feed = feeds.get(feedKey(bucket, target.nodeId()));
        return feed == Feed.STREAMING || feed == Feed.DONE;
    }

    private PeerStream stream(String address) {
        return streams.computeIfAbsent(address, a -> new PeerStream(a, membership::send, retries,
                () -> isMember(a), this::feedAgain));
    }

    private boolean isMember(String address) {
        for (ClusterWire.Member m : view.members()) {
            if (m.address().equals(address)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The copy at {@code address} missed changes of {@code buckets}: feeds them to it again. The
     * future tells, once those feeds end, whether every one of them completed (false at once for a
     * bucket this node no longer serves there).
     */
    private CompletableFuture<Boolean> feedAgain(String address, List<Integer> buckets) {
        Ownership o = engine.ownership;
        List<CompletableFuture<Boolean>> fed = new ArrayList<>();
        for (int b : buckets) {
            Ownership.Target target = o == null || !o.isPrimary(b) ? null
                    : o.targets(b).stream().filter(t -> t.address().equals(address)).findFirst().orElse(null);
            fed.add(target == null ? CompletableFuture.completedFuture(false) : feedAgain(b, target, o.tableVersion));
        }
        return CompletableFuture.allOf(fed.toArray(new CompletableFuture<?>[0]))
                .thenApply(ignored -> fed.stream().allMatch(CompletableFuture::join));
    }

    private CompletableFuture<Boolean> feedAgain(int b, Ownership.Target target, long tableVersion) {
        return feedAgain(b, target, tableVersion, false);
    }

    /**
     * Feeds {@code b} to a copy again (its table state does not change), unless a feed to it is
     * already on its way (it covers the gap); the future completes when that feed ends, with whether
     * it completed. With {@code beginNow} (the caller holds the bucket lock), the first chunk of a
     * feed started here is queued before this returns.
     */
    private CompletableFuture<Boolean> feedAgain(int b, Ownership.Target target, long tableVersion, boolean beginNow) {
        String key = feedKey(b, target.nodeId());
        for (int attempt = 0; attempt < 3; attempt++) {
            Feed current = feeds.get(key);
            if (current == Feed.SCHEDULED || current == Feed.STREAMING) {
                CompletableFuture<Boolean> running = feedEnds.get(key);
                if (running != null) {
                    return running;
                }
                continue; // being claimed this moment
            }
            boolean claimed = current == null ? feeds.putIfAbsent(key, Feed.SCHEDULED) == null
                    : feeds.replace(key, current, Feed.SCHEDULED);
            if (claimed) {
                return startFeed(b, target, tableVersion, target.state() == ReplicaState.FEEDING,
                        beginNow ? beginFeed(b, target, tableVersion) : null);
            }
        }
        return CompletableFuture.completedFuture(false);
    }

    // ---------------------------------------------------------------------------------------
    // Feeding a new copy (feed threads)

    /** Starts a feed this caller claimed (SCHEDULED); the future completes when it ends, with whether it completed. */
    private CompletableFuture<Boolean> startFeed(int bucket, Ownership.Target target, long tableVersion,
                                                 boolean reportDone, FeedStart begun) {
        String key = feedKey(bucket, target.nodeId());
        CompletableFuture<Boolean> ended = new CompletableFuture<>();
        feedEnds.put(key, ended);
        try {
            feeders.execute(() -> {
                boolean completed = false;
                try {
                    long sequence = feed(bucket, target, tableVersion, begun);
                    completed = sequence >= 0;
                    if (completed && reportDone) {
                        reportFeedDone(bucket, target, tableVersion, sequence);
                    }
                } catch (RuntimeException e) {
                    if (!closed) {
                        LOG.warn("node {}: feeding bucket {} to {} failed: {}", selfId, bucket, target.nodeId(),
                                e.toString());
                    }
                    feeds.remove(key);
                    feedLater(bucket, target.nodeId());
                } finally {
                    if (!completed) {
                        afterPendingHandover(bucket, target.nodeId(), false, null);
                    }
                    feedEnds.remove(key, ended);
                    ended.complete(completed);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            feedEnds.remove(key, ended);
            ended.complete(false); // stopping
        }
        return ended;
    }

    /** After a feed failed: starts it again a little later if the copy still needs it (or a hand-over waits). */
    private void feedLater(int bucket, String nodeId) {
        if (closed) {
            return;
        }
        try {
            retries.schedule(() -> {
                Ownership o = engine.ownership;
                if (closed || o == null || !o.isPrimary(bucket)) {
                    return;
                }
                for (Ownership.Target t : o.targets(bucket)) {
                    if (t.nodeId().equals(nodeId) && isMember(t.address())) {
                        feedAgain(bucket, t, o.tableVersion);
                    }
                }
            }, FEED_RETRY_MS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // stopping
        }
    }

    /** A feed whose first chunk is queued: {@code sequence} is the bucket's at that chunk. */
    private record FeedStart(long sequence, CompletableFuture<Void> firstChunk) {
    }

    /**
     * Queues the first chunk of a claimed (SCHEDULED) feed, with the bucket locked by the caller or
     * here: every later change of the bucket follows it. Null if the feed is no longer wanted.
     */
    private FeedStart beginFeed(int bucket, Ownership.Target target, long tableVersion) {
        BucketStore store = engine.bucket(bucket);
        store.lock.lock();
        try {
            if (!feeds.replace(feedKey(bucket, target.nodeId()), Feed.SCHEDULED, Feed.STREAMING)) {
                return null;
            }
            long sequence = store.sequence();
            return new FeedStart(sequence, stream(target.address())
                    .offer(new Request.MigrateChunk(bucket, tableVersion, sequence, false, List.of())));
        } finally {
            store.lock.unlock();
        }
    }

    /**
     * Sends the bucket to {@code target}, from {@code begun} if its first chunk is queued already;
     * returns the bucket's sequence at the start, or -1 if it stopped.
     */
    private long feed(int bucket, Ownership.Target target, long tableVersion, FeedStart begun) {
        BucketStore store = engine.bucket(bucket);
        PeerStream stream = stream(target.address());
        String key = feedKey(bucket, target.nodeId());
        FeedStart start = begun != null ? begun : beginFeed(bucket, target, tableVersion);
        if (start == null) {
            return -1; // no longer wanted (the copy left, or this node no longer serves the bucket)
        }
        long sequence = start.sequence();
        // The first chunk travels while the entries are read; see sendChunk for the window.
        java.util.ArrayDeque<CompletableFuture<Void>> inFlight = new java.util.ArrayDeque<>();
        inFlight.add(start.firstChunk());
        long started = System.nanoTime();
        int sent = 0;
        while (true) {
            long resizes = store.resizes();
            List<ClusterWire.Entry> chunk = new ArrayList<>();
            boolean complete = true;
            for (int segment = 0; segment < store.segments(); segment++) {
                for (ClusterWire.Entry entry : copySegment(store, segment)) {
                    chunk.add(entry);
                    if (chunk.size() >= config.migrationChunkEntries) {
                        if (!stillFeeding(bucket, target)) {
                            return -1;
                        }
                        sendChunk(stream, new Request.MigrateChunk(bucket, tableVersion, sequence, false, chunk), inFlight);
                        sent += chunk.size();
                        chunk = new ArrayList<>();
                    }
                }
                if (store.resizes() != resizes) {
                    complete = false; // the store was rebuilt: segments moved; go over it again
                    break;
                }
            }
            if (complete) {
                // The last chunk only once every earlier one was taken: it must never follow a refused chunk
                // (an empty last chunk that finds no feed is a hand-over marker).
                for (CompletableFuture<Void> earlier : inFlight) {
                    earlier.join();
                }
                stream.offer(new Request.MigrateChunk(bucket, tableVersion, sequence, true, chunk)).join();
                sent += chunk.size();
                break;
            }
            if (!chunk.isEmpty()) {
                sendChunk(stream, new Request.MigrateChunk(bucket, tableVersion, sequence, false, chunk), inFlight);
                sent += chunk.size();
            }
        }
        feeds.replace(key, Feed.STREAMING, Feed.DONE);
        LOG.info("node {} fed bucket {} to {}: {} entries in {} ms", selfId, bucket, target.nodeId(), sent,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        afterPendingHandover(bucket, target.nodeId(), true, stream);
        compareLater(bucket, target.nodeId(), DIGEST_ATTEMPTS_AFTER_FEED);
        return sequence;
    }

    /**
     * Queues a feed's chunk behind the ones it has {@code inFlight}, first waiting (back-pressure)
     * until fewer than {@link #FEED_WINDOW_CHUNKS} are queued or in flight; a refused chunk fails
     * the feed there. The stream keeps them in order.
     */
    private static void sendChunk(PeerStream stream, Request.MigrateChunk chunk,
                                  java.util.ArrayDeque<CompletableFuture<Void>> inFlight) {
        while (inFlight.size() >= FEED_WINDOW_CHUNKS) {
            inFlight.poll().join();
        }
        inFlight.add(stream.offer(chunk));
    }

    /** Whether the feed goes on: to a copy of a bucket this node serves, or to the primary it hands over to. */
    private boolean stillFeeding(int bucket, Ownership.Target target) {
        if (closed) {
            return false;
        }
        if (handingOverTo(bucket, target.nodeId())) {
            return true;
        }
        Ownership o = engine.ownership;
        return o != null && o.isPrimary(bucket)
                && o.targets(bucket).stream().anyMatch(t -> t.nodeId().equals(target.nodeId()));
    }

    private List<ClusterWire.Entry> copySegment(BucketStore store, int segment) {
        List<ClusterWire.Entry> entries = new ArrayList<>();
        StoredKey key = new StoredKey();
        StoredValue value = new StoredValue();
        long nowMs = System.currentTimeMillis();
        store.visitSegment(segment, e -> {
            e.key().getUsing(key);
            e.value().getUsing(value);
            MapHandle map = maps.byId(key.mapId);
            if (map != null && (value.expiresAtMs == 0 || value.expiresAtMs > nowMs)) {
                entries.add(new ClusterWire.Entry(map.name, key.keyBytes(),
                        java.util.Arrays.copyOf(value.bytes, value.length), value.version, value.timestampMs,
                        value.expiresAtMs));
            }
            return true;
        });
        return entries;
    }

    private void reportFeedDone(int bucket, Ownership.Target target, long tableVersion, long sequence) {
        reportFeedDone(new Request.FeedDone(bucket, tableVersion, target.nodeId(), sequence), 0);
    }

    /**
     * Tells the coordinator of the view a feed ended, again after a backoff while there is none to
     * answer (it changes, or is busy) and the copy is still fed here: a FEED_DONE that never arrives
     * would leave the copy FEEDING for good.
     */
    private void reportFeedDone(Request.FeedDone done, int attempt) {
        ClusterWire.View v = view;
        if (closed || v.members().isEmpty() || attempt >= FEED_DONE_ATTEMPTS) {
            if (!closed && attempt >= FEED_DONE_ATTEMPTS) {
                LOG.warn("node {}: no coordinator took the end of the feed of bucket {} to {}", selfId, done.bucket(),
                        done.receiverNodeId());
            }
            return;
        }
        String coordinator = v.members().get(0).address();
        CompletableFuture<Message> answer = coordinator.equals(selfAddress(v)) ? membership.handle(done)
                : membership.send(coordinator, done);
        answer.orTimeout(config.joinTimeoutMs, TimeUnit.MILLISECONDS).whenComplete((reply, failure) -> {
            boolean again = failure != null
                    || reply instanceof ErrorReply error && error.code() == ErrorCode.NOT_COORDINATOR;
            if (again) {
                try {
                    retries.schedule(() -> reportFeedDone(done, attempt + 1),
                            Math.min(FEED_RETRY_MS, 50L << Math.min(attempt, 4)), TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // stopping
                }
            }
        });
    }

    private String selfAddress(ClusterWire.View v) {
        for (ClusterWire.Member m : v.members()) {
            if (m.nodeId().equals(selfId)) {
                return m.address();
            }
        }
        return "";
    }

    // ---------------------------------------------------------------------------------------
    // Requests from peers (server I/O threads)

    /** Answers REPLICATE, MIGRATE_CHUNK and BUCKET_DIGEST at once, on the calling thread. */
    Message handle(Request request) {
        if (request instanceof Request.Replicate replicate) {
            return onReplicate(replicate);
        } else if (request instanceof Request.MigrateChunk chunk) {
            return onChunk(chunk);
        } else if (request instanceof Request.BucketDigest digest) {
            return onDigest(digest);
        }
        return new ErrorReply(request.opcode().code(), ErrorCode.INVALID_ARGUMENT, request.opcode()
                + " is not a data message");
    }

    private Message onReplicate(Request.Replicate request) {
        Ownership o = engine.ownership;
        int applied = 0;
        List<Integer> gaps = null;
        List<Integer> refused = null;
        for (ClusterWire.Change c : request.changes()) {
            int b = c.bucket();
            if (b >= engine.bucketCount()) {
                return new ErrorReply(request.opcode().code(), ErrorCode.INVALID_ARGUMENT, "bucket " + b
                        + " is out of range; buckets.count = " + engine.bucketCount());
            }
            BucketStore store = engine.bucket(b);
            boolean feeding = store.isFeeding();
            boolean handingOver = awaitingHandover.containsKey(b);
            if (o != null && o.isPrimary(b) && !handingOver) {
                // This node took the bucket over without the sender's hand-over (it was failed over):
                // the sender's change must not count as copied.
                if (refused == null) {
                    refused = new ArrayList<>();
                }
                if (!refused.contains(b)) {
                    refused.add(b);
                }
                continue;
            }
            long fedUnder = fedUnderTable.get(b);
            if (!feeding && (o == null ? fedUnder < 0 : !o.holds(b) && fedUnder <= o.tableVersion)) {
                // A copy this node no longer keeps: the table that dropped it made another copy up to
                // date first, which the sender (behind by a table) also sends the change to. (A copy
                // fed under a table this node has not applied yet, or before its first table, is
                // kept: this node is the one behind.)
                continue;
            }
            BucketStore.CopyOutcome outcome = engine.applyCopy(maps.open(c.map()), b, c.key(), c.value(), c.sequence(),
                    c.timestampMs(), c.expiresAtMs(), ChangeType.valueOf(c.type().name()),
                    feeding ? BucketStore.CopyMode.FEED : BucketStore.CopyMode.REPLICA);
            if (outcome == BucketStore.CopyOutcome.GAP) {
                if (gaps == null) {
                    gaps = new ArrayList<>();
                }
                if (!gaps.contains(b)) {
                    gaps.add(b);
                }
            } else {
                applied++;
            }
        }
        if (gaps != null) {
            return new ErrorReply(request.opcode().code(), ErrorCode.OUT_OF_SEQUENCE, "node " + selfId
                    + " missed changes of buckets " + gaps);
        }
        if (refused != null) {
            return new ErrorReply(request.opcode().code(), ErrorCode.NOT_OWNER, "node " + selfId
                    + " serves buckets " + refused + " itself (table version " + o.tableVersion + ")");
        }
        return new Reply.Replicate(applied);
    }

    private Message onChunk(Request.MigrateChunk chunk) {
        int b = chunk.bucket();
        if (b >= engine.bucketCount()) {
            return new ErrorReply(chunk.opcode().code(), ErrorCode.INVALID_ARGUMENT, "bucket " + b
                    + " is out of range; buckets.count = " + engine.bucketCount());
        }
        long[] feed = receiving.get(b);
        boolean sameFeed = feed != null && feed[0] == chunk.tableVersion() && feed[1] == chunk.sequence();
        if (chunk.last() && !sameFeed && chunk.entries().isEmpty()) {
            return onHandover(b, chunk);
        }
        Ownership o = engine.ownership;
        if (o != null && o.isPrimary(b) && !awaitingHandover.containsKey(b)) {
            return new ErrorReply(chunk.opcode().code(), ErrorCode.NOT_OWNER, "node " + selfId + " serves bucket " + b
                    + " itself");
        }
        if (!sameFeed) {
            if (!chunk.entries().isEmpty() || chunk.last()) {
                return new ErrorReply(chunk.opcode().code(), ErrorCode.OUT_OF_SEQUENCE, "node " + selfId
                        + " receives no feed of bucket " + b + " with table version " + chunk.tableVersion()
                        + " and sequence " + chunk.sequence() + " (it missed the first chunk, or dropped the copy)");
            }
            BucketStore store = engine.bucket(b);
            store.lock.lock();
            try {
                engine.startFeed(b, chunk.sequence());
                receiving.put(b, new long[] {chunk.tableVersion(), chunk.sequence()});
                fedUnderTable.accumulateAndGet(b, chunk.tableVersion(), Math::max);
            } finally {
                store.lock.unlock();
            }
            LOG.debug("node {} receives bucket {} (table version {}, sequence {})", selfId, b, chunk.tableVersion(),
                    chunk.sequence());
        }
        engine.applySnapshot(b, chunk.entries(), maps::open);
        if (chunk.last()) {
            engine.endFeed(b, true);
            receiving.remove(b);
        }
        return new Reply.MigrateChunk(chunk.entries().size());
    }

    /**
     * The previous primary's hand-over (a last chunk that ends no feed): every change it applied
     * came before it, so this node serves the bucket from the hand-over's sequence on.
     */
    private Message onHandover(int b, Request.MigrateChunk chunk) {
        BucketStore store = engine.bucket(b);
        synchronized (awaitingHandover) {
            if (awaitingHandover.remove(b) == null) {
                if (appliedTableVersion < chunk.tableVersion()) {
                    // This node has not acted on the table that makes it the primary yet: it will.
                    earlyHandovers.put(b, new long[] {chunk.tableVersion(), chunk.sequence()});
                }
                return new Reply.MigrateChunk(0); // else one this node does not wait for: stale
            }
            store.raiseSequence(chunk.sequence());
        }
        store.serving(true);
        LOG.debug("node {} serves bucket {} from sequence {}", selfId, b, chunk.sequence());
        return new Reply.MigrateChunk(0);
    }

    private Message onDigest(Request.BucketDigest request) {
        int b = request.bucket();
        if (b >= engine.bucketCount()) {
            return new ErrorReply(request.opcode().code(), ErrorCode.INVALID_ARGUMENT, "bucket " + b
                    + " is out of range; buckets.count = " + engine.bucketCount());
        }
        Ownership o = engine.ownership;
        if (o == null || !o.holds(b)) {
            return new ErrorReply(request.opcode().code(), ErrorCode.NOT_OWNER, "node " + selfId
                    + " holds no copy of bucket " + b);
        }
        return digest(b);
    }

    /**
     * The digest of this node's copy of {@code b}, with the bucket's sequence read before it (a
     * change applied meanwhile shows as a later sequence on the primary, which then compares nothing).
     */
    private Reply.BucketDigest digest(int b) {
        BucketStore store = engine.bucket(b);
        long sequence = store.sequence();
        long[] sum = {0, 0};
        io.shoal.spi.ByteSink term = new io.shoal.spi.ByteSink(256);
        StoredKey key = new StoredKey();
        StoredValue value = new StoredValue();
        for (int segment = 0; segment < store.segments(); segment++) {
            store.visitSegment(segment, e -> {
                e.key().getUsing(key);
                // The term needs the value's version and hash only: read from its header, the bytes not copied.
                net.openhft.chronicle.hash.Data<StoredValue> v = e.value();
                value.version = v.bytes().readLong(v.offset() + ValueLayout.VERSION);
                value.valueHash = v.bytes().readLong(v.offset() + ValueLayout.VALUE_HASH);
                MapHandle map = maps.byId(key.mapId);
                if (map != null) {
                    sum[0] += digestTerm(term, map.name, key, value);
                    sum[1]++;
                }
                return true;
            });
        }
        return new Reply.BucketDigest(b, sequence, sum[1], sum[0]);
    }

    // ---------------------------------------------------------------------------------------
    // Anti-entropy (anti-entropy thread)

    /** One periodic round: every up-to-date copy of every bucket this node serves. */
    private void compareAllCopies() {
        try {
            for (int b = 0; b < engine.bucketCount() && !closed; b++) {
                Ownership o = engine.ownership;
                if (o == null || !o.isPrimary(b)) {
                    continue;
                }
                for (Ownership.Target t : o.targets(b)) {
                    compareCopy(b, t.nodeId());
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("node {}: an anti-entropy round failed: {}", selfId, e.toString());
        }
    }

    private void compareLater(int b, String nodeId, int attempts) {
        try {
            digests.schedule(() -> {
                if (compareCopy(b, nodeId) == Comparison.MOVING && attempts > 1) {
                    compareLater(b, nodeId, attempts - 1);
                }
            }, DIGEST_RETRY_MS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // stopping
        }
    }

    private enum Comparison { SAME, REPAIRED, MOVING, SKIPPED }

    /**
     * Compares {@code nodeId}'s copy of {@code b} with this node's, if this node serves {@code b},
     * the copy is up to date in the table and no feed to it is under way; feeds a copy that differs
     * again. Compares only at one sequence: the copy's, read before its digest, must be this node's
     * before and after its own digest (a bucket that changes meanwhile is {@code MOVING}).
     */
    private Comparison compareCopy(int b, String nodeId) {
        Ownership o = engine.ownership;
        Ownership.Target target = o == null || !o.isPrimary(b) || membership.isPaused() ? null
                : o.targets(b).stream().filter(t -> t.nodeId().equals(nodeId)).findFirst().orElse(null);
        Feed feed = feeds.get(feedKey(b, nodeId));
        if (closed || target == null || target.state() != ReplicaState.UP_TO_DATE || awaitingHandover.containsKey(b)
                || feed == Feed.SCHEDULED || feed == Feed.STREAMING) {
            return Comparison.SKIPPED;
        }
        BucketStore store = engine.bucket(b);
        if (store.sequence() == 0 && store.entriesApprox() == 0) {
            return Comparison.SKIPPED;
        }
        Message answer;
        try {
            answer = membership.send(target.address(), new Request.BucketDigest(b))
                    .get(config.joinTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            return Comparison.SKIPPED;
        }
        if (!(answer instanceof Reply.BucketDigest copy)) {
            return Comparison.SKIPPED;
        }
        Reply.BucketDigest mine = digest(b);
        if (copy.sequence() != mine.sequence() || store.sequence() != mine.sequence()) {
            return Comparison.MOVING;
        }
        if (copy.entries() == mine.entries() && copy.digest() == mine.digest()) {
            return Comparison.SAME;
        }
        copiesRepaired.incrementAndGet();
        LOG.warn("node {}: {}'s copy of bucket {} differs from this node's at sequence {} ({} entries, this node {}); "
                + "it is fed again", selfId, nodeId, b, mine.sequence(), copy.entries(), mine.entries());
        feedAgain(b, target, o.tableVersion);
        return Comparison.REPAIRED;
    }

    /** Copies found different from their primary's and fed again, since start (anti-entropy). */
    long copiesRepaired() {
        return copiesRepaired.get();
    }

    /** One entry's part of a bucket digest (docs/protocol.md section 11, BUCKET_DIGEST). */
    static long digestTerm(io.shoal.spi.ByteSink buffer, String mapName, StoredKey key, StoredValue value) {
        byte[] name = mapName.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        buffer.reset();
        java.nio.ByteBuffer out = java.nio.ByteBuffer.wrap(buffer.ensure(2 + name.length + 4 + key.length + 16));
        out.putShort((short) name.length).put(name).putInt(key.length).put(key.bytes, 0, key.length)
                .putLong(value.version).putLong(value.valueHash);
        return io.shoal.KeyHash.hash(out.array(), 0, out.position());
    }

    void close() {
        closed = true;
        feeders.shutdownNow();
        retries.shutdownNow();
        digests.shutdownNow();
        for (PeerStream stream : streams.values()) {
            stream.close();
        }
    }
}
