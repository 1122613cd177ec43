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
 * a first empty chunk (the receiver drops what it held and takes the bucket's sequence; sent with
 * the bucket locked, so every later change follows it), then the bucket's entries, one chunk in
 * flight, then a last chunk, and tells the coordinator (FEED_DONE). The receiver keeps, per key,
 * the highest version it saw, with tombstones for removals, so live changes and snapshot entries
 * may interleave in any order. Requests from peers ({@link #handle}) run on the server's I/O
 * thread; table changes on the cluster thread; feeds on their own threads.
 */
final class ClusterData implements ChangeBus.Replication {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterData.class);

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
    /** Feeds being received, by bucket: the sender's (tableVersion, sequence) that identifies the feed. */
    private final Map<Integer, long[]> receiving = new ConcurrentHashMap<>();
    /** Buckets this node now serves but waits for: the previous primary's node id, until its hand-over. */
    private final Map<Integer, String> awaitingHandover = new ConcurrentHashMap<>();
    /**
     * Hand-overs that arrived before this node acted on the table that makes it the primary:
     * (tableVersion, sequence) by bucket. Guarded, with {@link #awaitingHandover}, by
     * {@code awaitingHandover}'s monitor, since hand-overs arrive on I/O threads and tables on the
     * cluster thread.
     */
    private final Map<Integer, long[]> earlyHandovers = new ConcurrentHashMap<>();
    private final ExecutorService feeders;
    private final ScheduledExecutorService retries;
    private volatile ClusterWire.View view = new ClusterWire.View(0, List.of());
    private volatile boolean closed;

    ClusterData(String selfId, ClusterConfig config, LocalEngine engine, MapRegistry maps, Membership membership) {
        this.selfId = selfId;
        this.config = config;
        this.engine = engine;
        this.maps = maps;
        this.membership = membership;
        this.feeders = Executors.newFixedThreadPool(Math.max(1, config.maxConcurrentFeedsPerNode), daemon("feed"));
        this.retries = Executors.newSingleThreadScheduledExecutor(daemon("replication"));
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
        view = newView;
        Ownership before = engine.ownership;
        Ownership now = Ownership.of(newView, table, selfId);
        engine.ownership = now;
        Set<String> addresses = new HashSet<>();
        Set<String> members = new HashSet<>();
        for (ClusterWire.Member m : newView.members()) {
            addresses.add(m.address());
            members.add(m.nodeId());
        }
        streams.entrySet().removeIf(stream -> {
            if (!addresses.contains(stream.getKey())) {
                stream.getValue().close();
                return true;
            }
            return false;
        });
        for (int b = 0; b < now.bucketCount(); b++) {
            boolean wasPrimary = before != null && before.isPrimary(b);
            if (wasPrimary && !now.isPrimary(b)) {
                handOver(b, now, members);
            } else if (!wasPrimary && now.isPrimary(b)) {
                takeOver(b, before == null ? null : before.primaryId(b), now, members);
            } else if (now.isPrimary(b) && awaitingHandover.containsKey(b)
                    && !members.contains(awaitingHandover.get(b))) {
                serveAfterHandover(b, "node " + awaitingHandover.get(b) + " left before handing it over");
            }
            if (before != null && before.holds(b) && !now.holds(b)) {
                LOG.debug("node {} drops its copy of bucket {}", selfId, b);
                receiving.remove(b);
                engine.dropBucket(b);
            }
            if (now.isPrimary(b) && (before == null || !before.isPrimary(b)) && engine.bucket(b).isFeeding()) {
                LOG.error("node {} serves bucket {} whose feed had not finished: entries it did not receive yet are "
                        + "missing", selfId, b);
                receiving.remove(b);
                engine.bucket(b).endFeed();
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
                    startFeed(b, target, table.version(), target.state() == ReplicaState.FEEDING);
                }
            }
        }
        // Feeds whose receiver is no longer a fed copy here: forget them (a new feed may start later).
        feeds.keySet().removeIf(feed -> {
            int slash = feed.indexOf('/');
            int b = Integer.parseInt(feed.substring(0, slash));
            String nodeId = feed.substring(slash + 1);
            return !now.isPrimary(b) || now.targets(b).stream().noneMatch(t -> t.nodeId().equals(nodeId));
        });
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
        store.lock.lock();
        try {
            store.serving(false);
            if (to != null && members.contains(now.primaryId(b)) && !now.isLost(b)) {
                stream(to).offer(new Request.MigrateChunk(b, now.tableVersion, store.sequence(), true, List.of()));
            }
        } finally {
            store.lock.unlock();
        }
    }

    /**
     * This node serves {@code b} from now on. If the previous primary is still a member it hands
     * the bucket over (its last changes may still be on the way): until then requests wait. If it
     * failed, this copy serves at once, and the other copies are fed again, since they may hold
     * changes of the failed primary this copy never got.
     */
    private void takeOver(int b, String previous, Ownership now, Set<String> members) {
        BucketStore store = engine.bucket(b);
        if (previous != null && !previous.equals(selfId) && members.contains(previous)) {
            synchronized (awaitingHandover) {
                long[] handedOver = earlyHandovers.remove(b);
                // The marker names the table at which the old primary let go; this node may act on a
                // later one (tables it skipped over arrived as one full table).
                if (handedOver != null && handedOver[0] <= now.tableVersion) {
                    store.raiseSequence(handedOver[1]);
                    store.serving(true);
                    return;
                }
                store.serving(false);
                awaitingHandover.put(b, previous);
            }
            retries.schedule(() -> {
                if (previous.equals(awaitingHandover.get(b))) {
                    serveAfterHandover(b, "no hand-over from node " + previous + " within cluster.joinTimeoutMs "
                            + config.joinTimeoutMs);
                }
            }, config.joinTimeoutMs, TimeUnit.MILLISECONDS);
            return;
        }
        earlyHandovers.remove(b);
        store.serving(true);
        if (previous != null && !previous.equals(selfId)) {
            for (Ownership.Target t : now.targets(b)) {
                if (t.state() == ReplicaState.UP_TO_DATE) {
                    feedAgain(b, t, now.tableVersion);
                }
            }
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

    /** A copy missed changes: feed it the whole bucket again (its table state does not change). */
    private void feedAgain(String address, List<Integer> buckets) {
        Ownership o = engine.ownership;
        for (int b : buckets) {
            if (o == null || !o.isPrimary(b)) {
                continue;
            }
            for (Ownership.Target t : o.targets(b)) {
                if (t.address().equals(address)) {
                    feedAgain(b, t, o.tableVersion);
                }
            }
        }
    }

    /** Feeds {@code b} to a copy again, unless a feed to it is already on its way (it covers the gap). */
    private void feedAgain(int b, Ownership.Target target, long tableVersion) {
        String key = feedKey(b, target.nodeId());
        Feed current = feeds.get(key);
        if (current == Feed.SCHEDULED || current == Feed.STREAMING) {
            return;
        }
        boolean claimed = current == null ? feeds.putIfAbsent(key, Feed.SCHEDULED) == null
                : feeds.replace(key, current, Feed.SCHEDULED);
        if (claimed) {
            startFeed(b, target, tableVersion, target.state() == ReplicaState.FEEDING);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Feeding a new copy (feed threads)

    private void startFeed(int bucket, Ownership.Target target, long tableVersion, boolean reportDone) {
        feeders.execute(() -> {
            try {
                long sequence = feed(bucket, target, tableVersion);
                if (sequence >= 0 && reportDone) {
                    reportFeedDone(bucket, target, tableVersion, sequence);
                }
            } catch (RuntimeException e) {
                if (!closed) {
                    LOG.warn("node {}: feeding bucket {} to {} failed: {}", selfId, bucket, target.nodeId(), e.toString());
                }
                feeds.remove(feedKey(bucket, target.nodeId()));
            }
        });
    }

    /** Sends the bucket to {@code target}; returns the bucket's sequence at the start, or -1 if it stopped. */
    private long feed(int bucket, Ownership.Target target, long tableVersion) {
        BucketStore store = engine.bucket(bucket);
        PeerStream stream = stream(target.address());
        long sequence;
        CompletableFuture<Void> first;
        String key = feedKey(bucket, target.nodeId());
        store.lock.lock();
        try {
            // Locked: no change of the bucket falls between the first chunk and the live changes.
            if (!feeds.replace(key, Feed.SCHEDULED, Feed.STREAMING)) {
                return -1; // no longer wanted (the copy left, or this node no longer serves the bucket)
            }
            sequence = store.sequence();
            first = stream.offer(new Request.MigrateChunk(bucket, tableVersion, sequence, false, List.of()));
        } finally {
            store.lock.unlock();
        }
        first.join();
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
                        stream.offer(new Request.MigrateChunk(bucket, tableVersion, sequence, false, chunk)).join();
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
                stream.offer(new Request.MigrateChunk(bucket, tableVersion, sequence, true, chunk)).join();
                sent += chunk.size();
                break;
            }
            if (!chunk.isEmpty()) {
                stream.offer(new Request.MigrateChunk(bucket, tableVersion, sequence, false, chunk)).join();
                sent += chunk.size();
            }
        }
        feeds.replace(key, Feed.STREAMING, Feed.DONE);
        LOG.info("node {} fed bucket {} to {}: {} entries in {} ms", selfId, bucket, target.nodeId(), sent,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return sequence;
    }

    private boolean stillFeeding(int bucket, Ownership.Target target) {
        Ownership o = engine.ownership;
        return !closed && o != null && o.isPrimary(bucket)
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
        Request.FeedDone done = new Request.FeedDone(bucket, tableVersion, target.nodeId(), sequence);
        for (int attempt = 0; attempt < 10 && !closed; attempt++) {
            ClusterWire.View v = view;
            if (v.members().isEmpty()) {
                return;
            }
            String coordinator = v.members().get(0).address();
            Message answer;
            try {
                answer = coordinator.equals(selfAddress(v)) ? membership.handle(done).join()
                        : membership.send(coordinator, done).get(config.joinTimeoutMs, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                continue;
            }
            if (!(answer instanceof ErrorReply error) || error.code() != ErrorCode.NOT_COORDINATOR) {
                return;
            }
        }
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
        for (ClusterWire.Change c : request.changes()) {
            int b = c.bucket();
            if (b >= engine.bucketCount()) {
                return new ErrorReply(request.opcode().code(), ErrorCode.INVALID_ARGUMENT, "bucket " + b
                        + " is out of range; buckets.count = " + engine.bucketCount());
            }
            BucketStore store = engine.bucket(b);
            boolean feeding = store.isFeeding();
            boolean handingOver = awaitingHandover.containsKey(b);
            if (o == null || (o.isPrimary(b) && !handingOver) || !(feeding || o.holds(b))) {
                continue; // not a copy this node keeps (its table may differ for a moment)
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
        if (chunk.last() && !sameFeed) {
            return onHandover(b, chunk);
        }
        Ownership o = engine.ownership;
        if (o != null && o.isPrimary(b)) {
            return new ErrorReply(chunk.opcode().code(), ErrorCode.NOT_OWNER, "node " + selfId + " serves bucket " + b
                    + " itself");
        }
        if (!sameFeed) {
            engine.startFeed(b, chunk.sequence());
            receiving.put(b, new long[] {chunk.tableVersion(), chunk.sequence()});
            LOG.debug("node {} receives bucket {} (table version {}, sequence {})", selfId, b, chunk.tableVersion(),
                    chunk.sequence());
        }
        for (ClusterWire.Entry e : chunk.entries()) {
            engine.applyCopy(maps.open(e.map()), b, e.key(), e.value(), e.version(), e.timestampMs(), e.expiresAtMs(),
                    ChangeType.UPDATED, BucketStore.CopyMode.SNAPSHOT);
        }
        if (chunk.last()) {
            engine.bucket(b).endFeed();
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
        store.raiseSequence(chunk.sequence());
        synchronized (awaitingHandover) {
            if (awaitingHandover.remove(b) == null) {
                // This node has not acted on the table that makes it the primary yet: it will.
                earlyHandovers.put(b, new long[] {chunk.tableVersion(), chunk.sequence()});
                return new Reply.MigrateChunk(0);
            }
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
        BucketStore store = engine.bucket(b);
        long sequence = store.sequence();
        long[] sum = {0, 0};
        io.shoal.spi.ByteSink term = new io.shoal.spi.ByteSink(256);
        StoredKey key = new StoredKey();
        StoredValue value = new StoredValue();
        for (int segment = 0; segment < store.segments(); segment++) {
            store.visitSegment(segment, e -> {
                e.key().getUsing(key);
                e.value().getUsing(value);
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
        for (PeerStream stream : streams.values()) {
            stream.close();
        }
    }
}
