package io.shoal.core;

import io.shoal.ChangeType;
import io.shoal.NodeClosedException;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.RandomDataInput;
import net.openhft.chronicle.hash.ChronicleHashClosedException;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.map.MapSegmentContext;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * One bucket: an off-heap Chronicle Map (the current "generation") holding the keys of every map
 * that fall in this bucket, plus the bucket's sequence.
 *
 * <p>Design: writers take {@link #lock}, so every change of the bucket gets the next sequence
 * number in the order it is applied, and the {@link ChangeSink} (events, persistence) sees the
 * changes in that order. Readers never take it: they read the current generation under Chronicle's
 * own segment lock. Growth replaces the generation: when the entry count passes its capacity, or
 * Chronicle refuses an insert (no segment tier left, or an entry larger than a tier), the writer
 * copies the entries into a larger generation, publishes it, and closes the old one; a reader that
 * still held the old one gets {@link ChronicleHashClosedException} and retries on the new one.
 */
final class BucketStore {
    private static final int CHUNK_BYTES_FOR_LARGE = 64;
    private static final int MAX_GROW_ATTEMPTS = 4;
    /**
     * Closes the stores of dropped copies: closing one takes tens of milliseconds, and drops happen
     * on the cluster thread, many at once when a node joins with data the cluster keeps elsewhere.
     */
    private static final java.util.concurrent.Executor DROPPED_STORE_CLOSER =
            java.util.concurrent.Executors.newSingleThreadExecutor(runnable -> {
                Thread thread = new Thread(runnable, "shoal-dropped-store-closer");
                thread.setDaemon(true);
                return thread;
            });

    /** Receives every applied change, with the bucket lock held. */
    interface ChangeSink {
        /** A change this node made as the bucket's primary (or alone): to persistence, listeners and backups. */
        void applied(MapHandle map, BucketStore bucket, ChangeType type, long sequence, StoredKey key, StoredValue value,
                     long nowMs);

        /** A change the bucket's primary made, applied here as a copy: to persistence only. */
        void replicated(MapHandle map, BucketStore bucket, ChangeType type, long sequence, StoredKey key,
                        StoredValue value, long nowMs);
    }

    /** How {@link #applyCopy} treats a change's sequence number. */
    enum CopyMode {
        /** Recovery: a change at or below the bucket's sequence is skipped; nothing is reported. */
        RECOVERY,
        /** A backup in step with its primary: exactly the next sequence is applied, a repeat is skipped, a gap refused. */
        REPLICA,
        /**
         * A live change to a bucket being fed: live changes arrive in sequence order, interleaved
         * with snapshot entries; one above the bucket's sequence replaces what the key holds (the
         * primary's copy wins over whatever this copy held before the feed), a repeat is skipped.
         */
        FEED,
        /**
         * An entry of a feed's snapshot: replaces what the key holds unless the feed already brought
         * the key at this version or a later one (a live change or removal overtook it); it does not
         * move the bucket's sequence and is not reported (the node's next persistence snapshot
         * stores it).
         */
        SNAPSHOT
    }

    /** Result of {@link #applyCopy}. */
    enum CopyOutcome { APPLIED, SKIPPED, GAP }

    /** Outcome of a write, in a per-thread holder. */
    static final class WriteResult {
        boolean applied;
        boolean existed;
        long version;
        int oldFootprint;
        long oldExpiresAtMs;

        void reset() {
            applied = false;
            existed = false;
            version = 0;
            oldFootprint = 0;
            oldExpiresAtMs = 0;
        }
    }

    enum PutMode { ALWAYS, IF_ABSENT, IF_VERSION }

    private static final class Generation {
        final ChronicleMap<StoredKey, StoredValue> map;
        final long capacity;
        final long largestEntryBytes;

        Generation(ChronicleMap<StoredKey, StoredValue> map, long capacity, long largestEntryBytes) {
            this.map = map;
            this.capacity = capacity;
            this.largestEntryBytes = largestEntryBytes;
        }
    }

    /**
     * Thrown by reads and writes while the bucket is not served here yet: the node became its
     * primary and waits for the previous primary's hand-over. No stack trace: it is routing.
     */
    static final class NotServingException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final NotServingException INSTANCE = new NotServingException();

        private NotServingException() {
            super("the bucket is being handed over", null, false, false);
        }
    }

    final int index;
    private final String nodeId;
    final ReentrantLock lock = new ReentrantLock();
    private final java.util.concurrent.locks.Condition servingAgain = lock.newCondition();
    /** False while the bucket waits for a hand-over; changed under {@link #lock}, read by readers without it. */
    private volatile boolean serving = true;
    private final StoreSizing sizing;
    private final ChangeSink sink;
    private final int initialFrequency;
    private volatile Generation current;
    private volatile boolean closed;
    // Guarded by lock.
    /**
     * While fed: the version of the feed's latest change of each key it changed (live changes and
     * removals, and snapshot entries when {@link #sweepAfterFeed}), so a snapshot entry older than a
     * live change of its key does not overwrite it; null when no feed is under way.
     */
    private java.util.HashMap<StoredKey, Long> fedVersions;
    /** While fed: the store held entries when the feed started; those the feed does not bring go at its end. */
    private boolean sweepAfterFeed;
    private long sequence;
    private long entries;
    private long entriesWithExpiry;
    private long storedBytes;
    /**
     * Entries and their key + value bytes by map id (parallel arrays; a node has few maps), kept
     * with {@link #entries} so that {@link #dropAll} tells what it drops without visiting each entry.
     */
    private long[] mapIds = new long[0];
    private long[] mapEntries = new long[0];
    private long[] mapBytes = new long[0];
    /** Where the last counted map is in those arrays: a run of writes to one map finds it at once. */
    private int lastMapSlot;
    private long resizes;

    BucketStore(String nodeId, int index, StoreSizing sizing, ChangeSink sink, int initialFrequency) {
        this.nodeId = nodeId;
        this.index = index;
        this.sizing = sizing;
        this.sink = sink;
        this.initialFrequency = initialFrequency;
    }

    void open() {
        current = newGeneration(sizing.entriesPerBucket(), 0);
    }

    // ---- reads: no bucket lock ----

    /**
     * Copies the live entry of {@code key} into {@code out}; the clock is read only for entries
     * that have an expiry time.
     *
     * @return false if absent or expired
     */
    boolean read(StoredKey key, StoredValue out) {
        if (!serving) {
            throw NotServingException.INSTANCE;
        }
        while (true) {
            Generation g = generation();
            try {
                if (g.map.getUsing(key, out) == null) {
                    return false;
                }
                return out.expiresAtMs == 0 || out.expiresAtMs > System.currentTimeMillis();
            } catch (ChronicleHashClosedException e) {
                retryAfterClose(g);
            }
        }
    }

    /**
     * Records an access for eviction policies: the last access second and the frequency counter.
     * Writes in place under the bucket lock, so it never races a writer of the same entry; skipped
     * when a writer holds the bucket, since an access sample is not worth waiting for.
     */
    void touch(StoredKey key, int nowSeconds, int frequency) {
        if (!lock.tryLock()) {
            return;
        }
        try {
            if (closed) {
                return;
            }
            try (ExternalMapQueryContext<StoredKey, StoredValue, ?> c = current.map.queryContext(key)) {
                c.updateLock().lock();
                MapEntry<StoredKey, StoredValue> e = c.entry();
                if (e == null) {
                    return;
                }
                Data<StoredValue> d = e.value();
                long off = d.offset();
                c.writeLock().lock();
                BytesStore<?, ?> bytes = (BytesStore<?, ?>) d.bytes();
                bytes.writeInt(off + ValueLayout.LAST_ACCESS, nowSeconds);
                bytes.writeInt(off + ValueLayout.FREQUENCY, frequency);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Samples one segment without the bucket lock: walks from a uniformly random entry to the end,
     * then from the start, so every entry is equally likely to be seen, until {@code sampler} has
     * accepted {@code limit} entries (it returns whether it took the entry) or the whole segment
     * was seen. Returns how many were taken (0 if the generation was replaced meanwhile).
     */
    int sampleSegment(int segment, int limit, java.util.concurrent.ThreadLocalRandom random,
                      Predicate<MapEntry<StoredKey, StoredValue>> sampler) {
        Generation g = generation();
        try (MapSegmentContext<StoredKey, StoredValue, ?> c = g.map.segmentContext(segment % g.map.segments())) {
            long size = c.size();
            if (size <= 0) {
                return 0;
            }
            long start = random.nextLong(size);
            long[] position = {0};
            int[] taken = {0};
            Predicate<MapEntry<StoredKey, StoredValue>> take = e -> {
                if (sampler.test(e)) {
                    taken[0]++;
                }
                return taken[0] < limit;
            };
            boolean reachedEnd = c.forEachSegmentEntryWhile(e -> position[0]++ < start || take.test(e));
            if (reachedEnd && start > 0) {
                position[0] = 0;
                c.forEachSegmentEntryWhile(e -> position[0]++ < start && take.test(e));
            }
            return taken[0];
        } catch (ChronicleHashClosedException e) {
            return 0; // grown or closed while sampling: the caller samples again
        }
    }

    int segments() {
        return generation().map.segments();
    }

    /**
     * Visits the entries of one segment of the current store without the bucket lock (weakly
     * consistent; the visitor returns false to stop). Visits nothing past the last segment, or if
     * the store is replaced meanwhile ({@link #resizes} tells a caller that goes over every segment).
     */
    void visitSegment(int segment, Predicate<MapEntry<StoredKey, StoredValue>> visitor) {
        Generation g = generation();
        if (segment >= g.map.segments()) {
            return;
        }
        try (MapSegmentContext<StoredKey, StoredValue, ?> c = g.map.segmentContext(segment)) {
            c.forEachSegmentEntryWhile(visitor);
        } catch (ChronicleHashClosedException e) {
            // replaced while visiting
        }
    }

    /** Visits every entry without the bucket lock (weakly consistent); visitor returns false to stop. */
    void visitAll(Predicate<MapEntry<StoredKey, StoredValue>> visitor) {
        while (true) {
            Generation g = generation();
            try {
                for (int s = 0; s < g.map.segments(); s++) {
                    try (MapSegmentContext<StoredKey, StoredValue, ?> c = g.map.segmentContext(s)) {
                        if (!c.forEachSegmentEntryWhile(visitor)) {
                            return;
                        }
                    }
                }
                return;
            } catch (ChronicleHashClosedException e) {
                retryAfterClose(g);
            }
        }
    }

    // ---- writes: bucket lock ----

    /**
     * Stores {@code value} (its bytes and {@code expiresAtMs} set by the caller; the other metadata
     * is filled here) under {@code key} according to {@code mode}. If {@code existingOut} is not
     * null, a live value found there is copied into it ({@code result.existed} tells).
     */
    void put(MapHandle map, StoredKey key, StoredValue value, PutMode mode, long expectedVersion, long nowMs, WriteResult result,
             StoredValue existingOut) {
        result.reset();
        lock.lock();
        try {
            ensureOpen();
            if (!serving) {
                throw NotServingException.INSTANCE;
            }
            growIfFull();
            for (int attempt = 0; ; attempt++) {
                try {
                    putLocked(map, key, value, mode, expectedVersion, nowMs, result, existingOut);
                    return;
                } catch (IllegalStateException | IllegalArgumentException e) {
                    if (attempt >= MAX_GROW_ATTEMPTS || !growFor(e, key, value)) {
                        throw e;
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void putLocked(MapHandle map, StoredKey key, StoredValue value, PutMode mode, long expectedVersion, long nowMs,
                           WriteResult result, StoredValue existingOut) {
        try (ExternalMapQueryContext<StoredKey, StoredValue, ?> c = current.map.queryContext(key)) {
            c.updateLock().lock();
            MapEntry<StoredKey, StoredValue> e = c.entry();
            boolean live = false;
            long oldExpiresAt = 0;
            int oldValueLength = 0;
            long currentVersion = 0;
            int frequency = initialFrequency;
            if (e != null) {
                Data<StoredValue> d = e.value();
                RandomDataInput in = d.bytes();
                long off = d.offset();
                currentVersion = in.readLong(off + ValueLayout.VERSION);
                oldExpiresAt = in.readLong(off + ValueLayout.EXPIRES_AT);
                frequency = in.readInt(off + ValueLayout.FREQUENCY);
                oldValueLength = (int) (d.size() - ValueLayout.HEADER_BYTES);
                live = oldExpiresAt == 0 || oldExpiresAt > nowMs;
            }
            if (live && existingOut != null) {
                e.value().getUsing(existingOut);
            }
            if (mode == PutMode.IF_ABSENT && live) {
                result.existed = true;
                return;
            }
            if (mode == PutMode.IF_VERSION && (!live || currentVersion != expectedVersion)) {
                result.existed = live;
                return;
            }
            c.writeLock().lock();
            boolean overtakesExpiry = e != null && !live;
            // An expired entry that this write replaces gets its own EXPIRED change first; sequence
            // numbers and changes are committed only once the store accepted the write (a refused
            // write is retried after the store grows).
            long seq = sequence + (overtakesExpiry ? 2 : 1);
            value.version = seq;
            value.timestampMs = nowMs;
            value.valueHash = io.shoal.KeyHash.hash(value.bytes, 0, value.length);
            value.lastAccessSeconds = (int) (nowMs / 1000);
            value.frequency = live ? frequency : initialFrequency; // an overwrite keeps the count
            Data<StoredValue> data = c.wrapValueAsData(value);
            if (e != null) {
                c.replaceValue(e, data);
            } else {
                c.insert(c.absentEntry(), data);
            }
            if (overtakesExpiry) {
                sink.applied(map, this, ChangeType.EXPIRED, seq - 1, key, null, nowMs);
            }
            sequence = seq;
            result.applied = true;
            result.existed = live;
            result.version = seq;
            if (e != null) {
                result.oldFootprint = Footprint.of(key.length, oldValueLength);
                result.oldExpiresAtMs = oldExpiresAt;
                count(-1, key, oldValueLength, oldExpiresAt);
            }
            count(1, key, value.length, value.expiresAtMs);
            sink.applied(map, this, live ? ChangeType.UPDATED : ChangeType.CREATED, seq, key, value, nowMs);
        }
    }

    /**
     * Removes {@code key}: unconditionally ({@code expectedVersion < 0}), or only at that version.
     * {@code type} is the change reported (REMOVED, EXPIRED or EVICTED); EXPIRED removes only an
     * entry that has expired by {@code nowMs}.
     */
    void remove(MapHandle map, StoredKey key, long expectedVersion, ChangeType type, long nowMs, WriteResult result,
                StoredValue removedOut) {
        result.reset();
        lock.lock();
        try {
            ensureOpen();
            if (!serving && type != ChangeType.EXPIRED && type != ChangeType.EVICTED) {
                throw NotServingException.INSTANCE;
            }
            try (ExternalMapQueryContext<StoredKey, StoredValue, ?> c = current.map.queryContext(key)) {
                c.updateLock().lock();
                MapEntry<StoredKey, StoredValue> e = c.entry();
                if (e == null) {
                    return;
                }
                Data<StoredValue> d = e.value();
                RandomDataInput in = d.bytes();
                long off = d.offset();
                long currentVersion = in.readLong(off + ValueLayout.VERSION);
                long expiresAt = in.readLong(off + ValueLayout.EXPIRES_AT);
                boolean expired = expiresAt != 0 && expiresAt <= nowMs;
                int valueLength = (int) (d.size() - ValueLayout.HEADER_BYTES);
                ChangeType reported = type;
                if (type == ChangeType.EXPIRED) {
                    if (!expired) {
                        return;
                    }
                } else if (expired) {
                    // An expired entry is already gone for callers: reclaim it as an expiry.
                    if (expectedVersion >= 0 && currentVersion != expectedVersion) {
                        return;
                    }
                    reported = ChangeType.EXPIRED;
                } else if (expectedVersion >= 0 && currentVersion != expectedVersion) {
                    result.existed = true;
                    return;
                }
                if (removedOut != null && !expired) {
                    d.getUsing(removedOut);
                }
                c.writeLock().lock();
                c.remove(e);
                long seq = ++sequence;
                count(-1, key, valueLength, expiresAt);
                result.applied = reported == type;
                result.existed = !expired;
                result.version = seq;
                result.oldFootprint = Footprint.of(key.length, valueLength);
                result.oldExpiresAtMs = expiresAt;
                sink.applied(map, this, reported, seq, key, null, nowMs);
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- persistence: recovery and snapshots ----

    /**
     * Applies a recovered change, unless its sequence is not above the bucket's (replay is
     * idempotent). Reports nothing to the change sink: the change is already stored. Returns the
     * footprint change for memory accounting, in {@code result} ({@code oldFootprint} freed,
     * {@code applied}).
     */
    void applyRecovered(StoredKey key, StoredValue valueOrNull, long sequence, WriteResult result) {
        applyCopy(null, key, valueOrNull, sequence, null, CopyMode.RECOVERY, 0, result);
    }

    /**
     * Applies a change made elsewhere, with the version ({@code sequence}), timestamp and expiry
     * it was made with ({@code valueOrNull} is null for a removal of type {@code type}); see
     * {@link CopyMode}. A change applied in {@code REPLICA} or {@code FEED} mode goes to the sink's
     * {@link ChangeSink#replicated}. Memory accounting as {@link #applyRecovered}.
     */
    CopyOutcome applyCopy(MapHandle map, StoredKey key, StoredValue valueOrNull, long sequence, ChangeType type,
                          CopyMode mode, long nowMs, WriteResult result) {
        result.reset();
        lock.lock();
        try {
            ensureOpen();
            if (mode != CopyMode.SNAPSHOT) {
                if (sequence <= this.sequence) {
                    return CopyOutcome.SKIPPED;
                }
                if (mode == CopyMode.REPLICA && sequence != this.sequence + 1) {
                    return CopyOutcome.GAP;
                }
            } else if (fedVersions != null) {
                Long fed = fedVersions.get(key);
                if (fed != null && fed >= sequence) {
                    return CopyOutcome.SKIPPED;
                }
            }
            // Only recovery (and a snapshot entry outside a feed) keeps a newer stored entry: a
            // copy takes its primary's changes as they come, whatever versions it held before.
            boolean newerOnly = mode == CopyMode.RECOVERY || (mode == CopyMode.SNAPSHOT && fedVersions == null);
            for (int attempt = 0; ; attempt++) {
                try {
                    if (!applyCopyLocked(key, valueOrNull, sequence, newerOnly, result)) {
                        if (mode != CopyMode.SNAPSHOT) {
                            this.sequence = sequence;
                        }
                        return CopyOutcome.SKIPPED;
                    }
                    break;
                } catch (IllegalStateException | IllegalArgumentException e) {
                    if (attempt >= MAX_GROW_ATTEMPTS || valueOrNull == null || !growFor(e, key, valueOrNull)) {
                        throw e;
                    }
                }
            }
            if (fedVersions != null && (mode == CopyMode.FEED || (mode == CopyMode.SNAPSHOT && sweepAfterFeed))) {
                fedVersions.merge(key.copy(), sequence, Math::max);
            }
            if (mode != CopyMode.SNAPSHOT) {
                this.sequence = sequence;
            }
            if (mode == CopyMode.REPLICA || mode == CopyMode.FEED) {
                sink.replicated(map, this, type, sequence, key, valueOrNull, nowMs);
            }
            return CopyOutcome.APPLIED;
        } finally {
            lock.unlock();
        }
    }

    /** Stops ({@code false}) or resumes serving reads and writes; resuming wakes {@link #awaitServing}. */
    void serving(boolean serve) {
        lock.lock();
        try {
            serving = serve;
            if (serve) {
                servingAgain.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the bucket serves again, at most {@code timeoutMs}; returns whether it does. */
    boolean awaitServing(long timeoutMs) throws InterruptedException {
        long remaining = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        lock.lock();
        try {
            while (!serving && remaining > 0) {
                remaining = servingAgain.awaitNanos(remaining);
            }
            return serving;
        } finally {
            lock.unlock();
        }
    }

    /** Receives, per map, what a bucket drops ({@code entries}, their key + value bytes), for memory and size accounting. */
    interface DropListener {
        void dropped(long mapId, long entries, long keyAndValueBytes);
    }

    /**
     * Starts a feed: takes the sender's {@code sequence} and keeps what the store holds until
     * {@link #endFeed}, so a copy fed again (after a failover, or a repair) still holds every entry
     * it had if its feed never completes. The feed's entries replace what the keys hold.
     */
    void startFeed(long sequence) {
        lock.lock();
        try {
            ensureOpen();
            this.sequence = sequence;
            fedVersions = new java.util.HashMap<>();
            sweepAfterFeed = entries > 0;
        } finally {
            lock.unlock();
        }
    }

    /** Whether a feed is under way (between {@link #startFeed} and {@link #endFeed}). */
    boolean isFeeding() {
        lock.lock();
        try {
            return fedVersions != null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends a feed. A {@code complete} feed brought every entry of its primary's copy: the entries
     * this store held before and the feed did not bring are removed (telling {@code dropped}). An
     * incomplete one (this copy must serve before its feed ended) keeps every entry, and the
     * sequence is raised to the newest entry's version, so later changes of a key get higher versions.
     */
    void endFeed(boolean complete, DropListener dropped) {
        lock.lock();
        try {
            if (fedVersions == null || closed) {
                return;
            }
            if (complete && sweepAfterFeed) {
                sweepNotFedLocked(dropped);
            } else if (!complete) {
                long[] newest = {sequence};
                current.map.forEachEntry(e -> {
                    Data<StoredValue> d = e.value();
                    newest[0] = Math.max(newest[0], d.bytes().readLong(d.offset() + ValueLayout.VERSION));
                });
                sequence = newest[0];
            }
            fedVersions = null;
        } finally {
            lock.unlock();
        }
    }

    private void sweepNotFedLocked(DropListener dropped) {
        java.util.List<StoredKey> notFed = new java.util.ArrayList<>();
        StoredKey key = new StoredKey();
        current.map.forEachEntry(e -> {
            if (!fedVersions.containsKey(e.key().getUsing(key))) {
                notFed.add(key.copy());
            }
        });
        for (StoredKey k : notFed) {
            try (ExternalMapQueryContext<StoredKey, StoredValue, ?> c = current.map.queryContext(k)) {
                c.updateLock().lock();
                MapEntry<StoredKey, StoredValue> e = c.entry();
                if (e == null) {
                    continue;
                }
                Data<StoredValue> d = e.value();
                int valueLength = (int) (d.size() - ValueLayout.HEADER_BYTES);
                long expiresAt = d.bytes().readLong(d.offset() + ValueLayout.EXPIRES_AT);
                c.writeLock().lock();
                c.remove(e);
                count(-1, k, valueLength, expiresAt);
                dropped.dropped(k.mapId, 1, (long) k.length + valueLength);
            }
        }
    }

    /** Drops every entry (this node no longer holds a copy of the bucket), telling {@code dropped}. */
    void dropAll(DropListener dropped) {
        lock.lock();
        try {
            if (!closed) {
                dropAllLocked(dropped);
                fedVersions = null;
            }
        } finally {
            lock.unlock();
        }
    }

    private void dropAllLocked(DropListener dropped) {
        if (entries == 0) {
            return; // nothing to drop: keep the empty store rather than build another
        }
        Generation old = current;
        // The per-map counts (see count) hold what visiting every entry would find.
        for (int i = 0; i < mapIds.length; i++) {
            if (mapEntries[i] != 0) {
                dropped.dropped(mapIds[i], mapEntries[i], mapBytes[i]);
            }
        }
        current = newGeneration(sizing.entriesPerBucket(), 0);
        entries = 0;
        entriesWithExpiry = 0;
        storedBytes = 0;
        mapIds = new long[0];
        mapEntries = new long[0];
        mapBytes = new long[0];
        DROPPED_STORE_CLOSER.execute(old.map::close);
    }

    /** Returns false, changing nothing, if {@code newerOnly} and the stored entry is at least as new. */
    private boolean applyCopyLocked(StoredKey key, StoredValue value, long sequence, boolean newerOnly,
                                    WriteResult result) {
        growIfFull();
        try (ExternalMapQueryContext<StoredKey, StoredValue, ?> c = current.map.queryContext(key)) {
            c.updateLock().lock();
            MapEntry<StoredKey, StoredValue> e = c.entry();
            int oldValueLength = 0;
            long oldExpiresAt = 0;
            if (e != null) {
                Data<StoredValue> d = e.value();
                if (newerOnly && d.bytes().readLong(d.offset() + ValueLayout.VERSION) >= sequence) {
                    return false;
                }
                oldValueLength = (int) (d.size() - ValueLayout.HEADER_BYTES);
                oldExpiresAt = d.bytes().readLong(d.offset() + ValueLayout.EXPIRES_AT);
            } else if (value == null) {
                result.applied = true; // nothing to remove: done
                return true;
            }
            c.writeLock().lock();
            if (value == null) {
                c.remove(e);
            } else {
                value.version = sequence;
                value.valueHash = io.shoal.KeyHash.hash(value.bytes, 0, value.length);
                value.lastAccessSeconds = (int) (value.timestampMs / 1000);
                value.frequency = initialFrequency;
                Data<StoredValue> data = c.wrapValueAsData(value);
                if (e != null) {
                    c.replaceValue(e, data);
                } else {
                    c.insert(c.absentEntry(), data);
                }
                count(1, key, value.length, value.expiresAtMs);
            }
            if (e != null) {
                count(-1, key, oldValueLength, oldExpiresAt);
                result.oldFootprint = Footprint.of(key.length, oldValueLength);
                result.existed = true;
            }
            result.applied = true;
            return true;
        }
    }

    /** Adds ({@code sign = 1}) or takes away ({@code -1}) one entry from the bucket's counts. */
    private void count(int sign, StoredKey key, int valueLength, long expiresAtMs) {
        long bytes = sign * ((long) key.length + valueLength);
        entries += sign;
        storedBytes += bytes;
        if (expiresAtMs != 0) {
            entriesWithExpiry += sign;
        }
        int i = lastMapSlot < mapIds.length && mapIds[lastMapSlot] == key.mapId ? lastMapSlot : 0;
        while (i < mapIds.length && mapIds[i] != key.mapId) {
            i++;
        }
        lastMapSlot = i;
        if (i == mapIds.length) {
            mapIds = java.util.Arrays.copyOf(mapIds, i + 1);
            mapEntries = java.util.Arrays.copyOf(mapEntries, i + 1);
            mapBytes = java.util.Arrays.copyOf(mapBytes, i + 1);
            mapIds[i] = key.mapId;
        }
        mapEntries[i] += sign;
        mapBytes[i] += bytes;
    }

    /** Raises the bucket's sequence to at least {@code sequence} (recovery from a snapshot). */
    void raiseSequence(long sequence) {
        lock.lock();
        try {
            this.sequence = Math.max(this.sequence, sequence);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Copies every live entry with writers held off, for a snapshot; returns the bucket's
     * sequence at the copy. {@code visitor} gets reused flyweights: copy what it keeps.
     */
    long copyAll(java.util.function.BiConsumer<StoredKey, StoredValue> visitor) {
        lock.lock();
        try {
            ensureOpen();
            StoredKey key = new StoredKey();
            StoredValue value = new StoredValue();
            current.map.forEachEntry(e -> visitor.accept(e.key().getUsing(key), e.value().getUsing(value)));
            return sequence;
        } finally {
            lock.unlock();
        }
    }

    /** Sequence number of the last change applied (under the lock, for stats and tests). */
    long sequence() {
        lock.lock();
        try {
            return sequence;
        } finally {
            lock.unlock();
        }
    }

    /** Entries held, including expired ones not reclaimed yet. Racy read, for stats. */
    long entriesApprox() {
        return entries;
    }

    /** Whether any entry has an expiry time (racy read; the sweep uses it to skip buckets). */
    boolean hasEntriesWithExpiry() {
        return entriesWithExpiry > 0;
    }

    long resizes() {
        return resizes;
    }

    void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            Generation g = current;
            if (g != null) {
                g.map.close();
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- growth ----

    private Generation generation() {
        Generation g = current;
        if (g == null || closed) {
            throw new NodeClosedException(nodeId);
        }
        return g;
    }

    private void retryAfterClose(Generation seen) {
        if (closed || current == seen) {
            throw new NodeClosedException(nodeId);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new NodeClosedException(nodeId);
        }
    }

    private void growIfFull() {
        Generation g = current;
        if (entries >= g.capacity) {
            rebuild(g.capacity * 2, g.largestEntryBytes);
        }
    }

    /** Grows for a Chronicle refusal; false if {@code e} is not one. */
    private boolean growFor(RuntimeException e, StoredKey key, StoredValue value) {
        String message = String.valueOf(e.getMessage());
        Generation g = current;
        if (e instanceof IllegalStateException && message.contains("segment tier")) {
            rebuild(Math.max(g.capacity * 2, entries * 2), g.largestEntryBytes);
            return true;
        }
        if (e instanceof IllegalArgumentException && message.contains("Entry is too large")) {
            long entryBytes = ValueLayout.KEY_PREFIX_BYTES + key.length + ValueLayout.HEADER_BYTES + (long) value.length;
            rebuild(g.capacity, Math.max(entryBytes, g.largestEntryBytes) * 2);
            return true;
        }
        return false;
    }

    private void rebuild(long capacity, long largestEntryBytes) {
        Generation old = current;
        Generation next = newGeneration(capacity, largestEntryBytes);
        StoredValue value = new StoredValue();
        try {
            old.map.forEachEntry(e -> next.map.put(e.key().get(), e.value().getUsing(value)));
        } catch (RuntimeException e) {
            next.map.close();
            throw e;
        }
        current = next;
        resizes++;
        old.map.close();
    }

    private Generation newGeneration(long capacity, long largestEntryBytes) {
        long averageValue = Math.max(sizing.averageValueBytes(), entries == 0 ? 0 : storedBytes / Math.max(1, entries));
        ChronicleMapBuilder<StoredKey, StoredValue> builder = ChronicleMapBuilder
                .of(StoredKey.class, StoredValue.class)
                .name("shoal-bucket-" + index)
                .keyReaderAndDataAccess(StoreMarshallers.KeyMarshaller.INSTANCE, new StoreMarshallers.KeyDataAccess())
                .valueMarshallers(StoreMarshallers.ValueMarshaller.INSTANCE, StoreMarshallers.ValueMarshaller.INSTANCE)
                .averageKeySize(ValueLayout.KEY_PREFIX_BYTES + sizing.averageKeyBytes())
                .averageValueSize(ValueLayout.HEADER_BYTES + averageValue)
                .entries(capacity)
                .maxBloatFactor(4.0)
                .putReturnsNull(true)
                .removeReturnsNull(true)
                // The node closes its stores itself, after its shutdown snapshot; Chronicle's own
                // JVM shutdown hook would close them under a node being closed from a shutdown hook.
                .skipCloseOnExitHook(true);
        if (largestEntryBytes > 0) {
            // An entry must fit in one segment tier: make tiers large enough, in bigger chunks.
            int segments = Math.max(1, Integer.highestOneBit((int) Math.max(1, capacity / 1024)));
            long perSegment = Math.max(1, capacity / segments);
            long averageEntry = ValueLayout.KEY_PREFIX_BYTES + sizing.averageKeyBytes() + ValueLayout.HEADER_BYTES + averageValue;
            long chunksForAverage = perSegment * ((averageEntry + CHUNK_BYTES_FOR_LARGE - 1) / CHUNK_BYTES_FOR_LARGE) * 5 / 4;
            long chunksForLargest = (largestEntryBytes + CHUNK_BYTES_FOR_LARGE - 1) / CHUNK_BYTES_FOR_LARGE + 64;
            builder.actualSegments(segments)
                    .entriesPerSegment(perSegment)
                    .actualChunkSize(CHUNK_BYTES_FOR_LARGE)
                    .actualChunksPerSegmentTier(Math.max(chunksForAverage, chunksForLargest));
        }
        return new Generation(builder.create(), capacity, largestEntryBytes);
    }
}
