package io.shoal.core;

import io.shoal.ChangeType;
import io.shoal.EntryTooLargeException;
import io.shoal.KeyHash;
import io.shoal.NodeClosedException;
import io.shoal.protocol.ClusterWire;
import io.shoal.spi.ByteSink;
import io.shoal.spi.EvictionPolicy;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;


/**
 * The data path on encoded bytes: hash the key, pick the bucket, apply the operation on the
 * caller's thread. Typed maps ({@link ShoalMapImpl}) encode into the per-thread {@link Scratch}
 * and call in here; nothing on this path allocates except what the caller gets back.
 */
final class LocalEngine implements Lifecycle.Component {

    /** Per-thread buffers for one operation. A codec must not call back into a map. */
    static final class Scratch {
        final ByteSink key = new ByteSink(64);
        final ByteSink value = new ByteSink(256);
        final StoredKey storedKey = new StoredKey();
        final StoredValue storedValue = new StoredValue();
        final StoredValue existing = new StoredValue();
        final BucketStore.WriteResult result = new BucketStore.WriteResult();

        Scratch clearForUse() {
            key.reset();
            value.reset();
            return this;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    /** For removals the engine makes on its own (eviction, expiry), possibly inside a caller's put. */
    private static final ThreadLocal<Scratch> INTERNAL_SCRATCH = ThreadLocal.withInitial(Scratch::new);

    final String nodeId;
    private final BucketStore[] buckets;
    private final int bucketMask;
    private final int maxKeyBytes;
    private final int maxValueBytes;
    private final MemoryGovernor memory;
    private final MapRegistry maps;
    private final ChangeBus changes;
    private final EvictionPolicy policy;
    private final EvictionPolicy.AccessTracking tracking;
    private final java.util.concurrent.atomic.LongAdder evictions = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder expirations = new java.util.concurrent.atomic.LongAdder();
    private volatile boolean closed;

    LocalEngine(String nodeId, EngineConfig config, StoreSizing sizing, MemoryGovernor memory, ChangeBus changes,
                EvictionPolicy policy, MapRegistry maps) {
        this.nodeId = nodeId;
        this.maps = maps;
        this.buckets = new BucketStore[config.bucketCount];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new BucketStore(nodeId, i, sizing, changes, clampFrequency(policy.initialFrequency()));
        }
        this.bucketMask = config.bucketCount - 1;
        this.maxKeyBytes = config.maxKeyBytes;
        this.maxValueBytes = config.maxValueBytes;
        this.memory = memory;
        this.changes = changes;
        this.policy = policy;
        this.tracking = policy.accessTracking();
        memory.evictor(new Evictor(buckets, policy, config.evictionSampleSize, this::isPrimary, (bucket, mapId, key, version) -> {
            MapHandle map = maps.byId(mapId);
            return map != null && removeBytes(map, bucket, key, version, ChangeType.EVICTED) > 0;
        }));
    }

    /** Which buckets this node serves; null outside a cluster (every bucket is local). */
    volatile Ownership ownership;
    /** Whether the cluster is paused: writes are refused (in a cluster only). */
    volatile java.util.function.BooleanSupplier paused = () -> false;
    /** Whether this member may serve now (its cluster lease); consulted only in a cluster. */
    volatile java.util.function.BooleanSupplier lease = () -> true;

    static Scratch scratch() {
        return SCRATCH.get().clearForUse();
    }

    @Override
    public void start() {
        for (BucketStore bucket : buckets) {
            bucket.open();
        }
    }

    @Override
    public void stop() {
        closed = true;
        for (BucketStore bucket : buckets) {
            bucket.close();
        }
    }

    boolean isClosed() {
        return closed;
    }

    int bucketCount() {
        return buckets.length;
    }

    BucketStore bucket(int index) {
        return buckets[index];
    }

    // ---- operations; the key is in s.key, the value (for writes) in s.value ----

    /** Reads the live value of the key into {@code s.storedValue}; false if none. */
    boolean read(MapHandle map, Scratch s) {
        BucketStore bucket = locate(map, s);
        try {
            if (!bucket.read(s.storedKey, s.storedValue)) {
                return false;
            }
        } catch (BucketStore.NotServingException e) {
            throw handingOver(bucket.index);
        }
        if (tracking != EvictionPolicy.AccessTracking.NONE) {
            recordAccess(bucket, s, System.currentTimeMillis());
        }
        return true;
    }

    /**
     * Stores the value. If {@code captureExisting}, a live value found is copied to
     * {@code s.existing} ({@code s.result.existed} tells). Result in {@code s.result}.
     */
    void put(MapHandle map, Scratch s, BucketStore.PutMode mode, long expectedVersion, long ttlMs,
             boolean captureExisting) {
        long nowMs = System.currentTimeMillis();
        putExpiringAt(map, s, mode, expectedVersion, ttlMs > 0 ? saturatedAdd(nowMs, ttlMs) : 0, nowMs, captureExisting);
    }

    /**
     * {@link #put} with an absolute expiry time ({@code 0}: none) instead of a time to live; imports
     * carry an entry's expiry time over exactly.
     */
    void putExpiringAt(MapHandle map, Scratch s, BucketStore.PutMode mode, long expectedVersion, long expiresAtMs,
                       long nowMs, boolean captureExisting) {
        refuseWhilePaused();
        BucketStore bucket = locate(map, s);
        try {
            putLocated(map, bucket, s, mode, expectedVersion, expiresAtMs, nowMs, captureExisting);
        } catch (BucketStore.NotServingException e) {
            throw handingOver(bucket.index);
        }
    }

    private void putLocated(MapHandle map, BucketStore bucket, Scratch s, BucketStore.PutMode mode,
                            long expectedVersion, long expiresAtMs, long nowMs, boolean captureExisting) {
        changes.checkWritable();
        int valueLength = s.value.length();
        if (valueLength > maxValueBytes) {
            throw new EntryTooLargeException("value of " + valueLength + " bytes for map \"" + map.name
                    + "\" is larger than store.maxValueBytes = " + maxValueBytes);
        }
        StoredValue value = s.storedValue;
        value.bytes = s.value.array();
        value.length = valueLength;
        value.expiresAtMs = expiresAtMs;
        int footprint = Footprint.of(s.key.length(), valueLength);
        BucketStore.WriteResult result = s.result;
        if (!memory.fits(footprint)) {
            // Near the limit: a write that will not apply needs no room, an overwrite only what it adds.
            boolean present = bucket.read(s.storedKey, s.existing);
            if ((mode == BucketStore.PutMode.IF_ABSENT && present)
                    || (mode == BucketStore.PutMode.IF_VERSION && (!present || s.existing.version != expectedVersion))) {
                result.reset();
                result.existed = present;
                return; // s.existing holds the live value for IF_ABSENT
            }
            memory.ensureRoom(footprint - (present ? Footprint.of(s.key.length(), s.existing.length) : 0));
        }
        bucket.put(map, s.storedKey, value, mode, expectedVersion, nowMs, result, captureExisting ? s.existing : null);
        if (result.applied) {
            memory.add(footprint - result.oldFootprint);
            if (result.oldFootprint == 0) {
                map.size.increment();
            } else if (!result.existed) {
                expirations.increment(); // replaced an expired entry: the count stays the same
            }
        }
    }

    /**
     * Removes the key, at {@code expectedVersion} if it is not negative; if {@code captureRemoved},
     * the removed live value is copied to {@code s.existing}. Result in {@code s.result}.
     */
    void remove(MapHandle map, Scratch s, long expectedVersion, boolean captureRemoved) {
        refuseWhilePaused();
        BucketStore bucket = locate(map, s);
        changes.checkWritable();
        try {
            removeLocated(map, bucket, s, expectedVersion, ChangeType.REMOVED, captureRemoved ? s.existing : null);
        } catch (BucketStore.NotServingException e) {
            throw handingOver(bucket.index);
        }
    }

    /**
     * Applies a recovered record (see {@link BucketStore#applyRecovered}); false if it was already
     * covered by the bucket's sequence.
     *
     * @throws io.shoal.ShoalException if the key does not belong in the record's bucket (the data was
     *     written with another {@code buckets.count})
     */
    boolean applyRecovered(MapHandle map, io.shoal.spi.ChangeRecord record) {
        byte[] key = record.key();
        int bucketIndex = (int) (KeyHash.hash(key, 0, key.length) & bucketMask);
        if (bucketIndex != record.bucket()) {
            throw new io.shoal.ShoalException("persisted record of map \"" + map.name + "\" is in bucket "
                    + record.bucket() + " but its key hashes to bucket " + bucketIndex + " with buckets.count = "
                    + buckets.length + ": the data was written with another buckets.count");
        }
        return applyCopy(map, bucketIndex, key, record.type().isRemoval() ? null : record.value(), record.sequence(),
                record.timestampMs(), record.expiresAtMs(), record.type(), BucketStore.CopyMode.RECOVERY)
                == BucketStore.CopyOutcome.APPLIED;
    }

    /**
     * Applies a change made by another node (a replicated change or a migrated entry) with its
     * version, timestamp and expiry; see {@link BucketStore#applyCopy}. The memory limit does not
     * apply: a copy of what the cluster already holds is never refused.
     *
     * @throws IllegalArgumentException if the key does not hash to {@code bucket}
     */
    BucketStore.CopyOutcome applyCopy(MapHandle map, int bucket, byte[] key, byte[] valueOrNull, long sequence,
                                      long timestampMs, long expiresAtMs, ChangeType type, BucketStore.CopyMode mode) {
        if (closed) {
            throw new NodeClosedException(nodeId);
        }
        if ((int) (KeyHash.hash(key, 0, key.length) & bucketMask) != bucket) {
            throw new IllegalArgumentException("a key of map \"" + map.name + "\" sent for bucket " + bucket
                    + " hashes to another bucket with buckets.count = " + buckets.length);
        }
        Scratch s = INTERNAL_SCRATCH.get().clearForUse();
        s.storedKey.set(map.id, key, key.length);
        StoredValue value = null;
        if (valueOrNull != null) {
            value = s.storedValue;
            value.bytes = valueOrNull;
            value.length = valueOrNull.length;
            value.timestampMs = timestampMs;
            value.expiresAtMs = expiresAtMs;
        }
        BucketStore.WriteResult result = s.result;
        BucketStore.CopyOutcome outcome = buckets[bucket].applyCopy(map, s.storedKey, value, sequence, type, mode,
                timestampMs, result);
        if (outcome != BucketStore.CopyOutcome.APPLIED) {
            return outcome;
        }
        memory.add((value == null ? 0 : Footprint.of(key.length, value.length)) - result.oldFootprint);
        if (value == null && result.existed) {
            map.size.decrement();
        } else if (value != null && !result.existed) {
            map.size.increment();
        }
        return outcome;
    }

    /**
     * Applies a feed chunk's snapshot entries to {@code bucket}, as {@link #applyCopy} in
     * {@code SNAPSHOT} mode does one at a time, but holding the bucket lock once for the chunk and
     * looking each map up only when it changes from the previous entry's.
     */
    void applySnapshot(int bucket, List<ClusterWire.Entry> entries, Function<String, MapHandle> mapNamed) {
        BucketStore store = buckets[bucket];
        store.lock.lock();
        try {
            MapHandle map = null;
            for (ClusterWire.Entry e : entries) {
                if (map == null || !map.name.equals(e.map())) {
                    map = mapNamed.apply(e.map());
                }
                applyCopy(map, bucket, e.key(), e.value(), e.version(), e.timestampMs(), e.expiresAtMs(),
                        ChangeType.UPDATED, BucketStore.CopyMode.SNAPSHOT);
            }
        } finally {
            store.lock.unlock();
        }
    }

    /** Starts a feed of {@code bucket} from its primary; what it held stays until the feed ends (see {@link BucketStore#startFeed}). */
    void startFeed(int bucket, long sequence) {
        buckets[bucket].startFeed(sequence);
    }

    /** Ends the feed of {@code bucket}; see {@link BucketStore#endFeed}. */
    void endFeed(int bucket, boolean complete) {
        buckets[bucket].endFeed(complete, this::forgetDropped);
    }

    /** Drops every entry of {@code bucket}: this node no longer holds a copy. */
    void dropBucket(int bucket) {
        buckets[bucket].dropAll(this::forgetDropped);
    }

    private void forgetDropped(long mapId, long entries, long keyAndValueBytes) {
        memory.add(-Footprint.ofAll(entries, keyAndValueBytes));
        MapHandle map = maps.byId(mapId);
        if (map != null) {
            map.size.add(-entries);
        }
    }

    /**
     * Waits until the calling thread's last write is as durable as persistence promises. Writes
     * ({@link #put}, {@link #remove}) return once applied; the caller then waits here, or takes
     * {@link #durability()} to wait asynchronously.
     *
     * @throws io.shoal.ShoalException if it could not be stored
     */
    void awaitDurable() {
        changes.awaitDurable();
    }

    /** The durability of the calling thread's last write, or {@code null} if there is none to wait for. */
    CompletableFuture<Void> durability() {
        return changes.takeDurability();
    }

    /** Reclaims the key if it has expired (background sweep). */
    void expire(MapHandle map, BucketStore bucket, byte[] key) {
        removeBytes(map, bucket, key, -1, ChangeType.EXPIRED);
    }

    long evictions() {
        return evictions.sum();
    }

    long expirations() {
        return expirations.sum();
    }

    long resizes() {
        long total = 0;
        for (BucketStore bucket : buckets) {
            total += bucket.resizes();
        }
        return total;
    }

    long entries() {
        long total = 0;
        for (BucketStore bucket : buckets) {
            total += bucket.entriesApprox();
        }
        return total;
    }

    /**
     * Removes a key the engine chose itself; returns the bytes freed (0 if it changed or went, or
     * while persistence refuses changes: expiry and eviction wait until it can store them).
     */
    private int removeBytes(MapHandle map, BucketStore bucket, byte[] key, long version, ChangeType type) {
        if (!changes.writable() || paused.getAsBoolean()) {
            return 0;
        }
        Scratch s = INTERNAL_SCRATCH.get().clearForUse();
        s.key.write(key);
        s.storedKey.set(map.id, s.key.array(), s.key.length());
        removeLocated(map, bucket, s, version, type, null);
        return s.result.oldFootprint;
    }

    private void removeLocated(MapHandle map, BucketStore bucket, Scratch s, long expectedVersion, ChangeType type,
                               StoredValue removedOut) {
        BucketStore.WriteResult result = s.result;
        bucket.remove(map, s.storedKey, expectedVersion, type, System.currentTimeMillis(), result, removedOut);
        if (result.oldFootprint > 0) {
            memory.add(-result.oldFootprint);
            map.size.decrement();
            if (!result.existed || type == ChangeType.EXPIRED) {
                expirations.increment();
            } else if (type == ChangeType.EVICTED) {
                evictions.increment();
            }
        }
    }

    private BucketStore locate(MapHandle map, Scratch s) {
        if (closed) {
            throw new NodeClosedException(nodeId);
        }
        int keyLength = s.key.length();
        if (keyLength > maxKeyBytes) {
            throw new EntryTooLargeException("key of " + keyLength + " bytes for map \"" + map.name
                    + "\" is larger than store.maxKeyBytes = " + maxKeyBytes);
        }
        byte[] keyBytes = s.key.array();
        s.storedKey.set(map.id, keyBytes, keyLength);
        int index = (int) (KeyHash.hash(keyBytes, 0, keyLength) & bucketMask);
        Ownership o = ownership;
        if (o != null) {
            if (!o.isPrimary(index)) {
                throw elsewhere(o, index);
            }
            if (!lease.getAsBoolean()) {
                throw handingOver(index); // cut off from the cluster for a moment: wait, or ask again
            }
        }
        return buckets[index];
    }

    private void refuseWhilePaused() {
        if (ownership != null && paused.getAsBoolean()) {
            throw new io.shoal.ClusterPausedException("the cluster is paused: writes are refused until it is resumed "
                    + "(reads are served); nothing changed");
        }
    }

    /** Why a bucket is not served here: lost, or another node's (the caller forwards). */
    private RuntimeException elsewhere(Ownership o, int bucket) {
        if (o.primaryAddress(bucket) == null && !o.isLost(bucket)) {
            // The table names a primary the view no longer has (the new table is on its way).
            return handingOver(bucket);
        }
        if (o.isLost(bucket)) {
            return new io.shoal.BucketLostException("bucket " + bucket + " lost every copy (more nodes failed at once "
                    + "than backups.count allows); its data is gone until restored", bucket);
        }
        return new NotPrimaryException(bucket, o.primaryId(bucket), o.primaryAddress(bucket), o.tableVersion);
    }

    private RuntimeException handingOver(int bucket) {
        Ownership o = ownership;
        return new NotPrimaryException(bucket, nodeId, null, o == null ? 0 : o.tableVersion);
    }

    /**
     * Thrown by an operation on a key whose bucket another node serves; the caller forwards the
     * operation to {@code primaryAddress}. With a null {@code primaryAddress} the bucket is this
     * node's but is being handed over to it: the caller waits ({@link #awaitServing}) or asks again
     * shortly. Carries no stack trace: it is routing, not an error.
     */
    static final class NotPrimaryException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int bucket;
        final String primaryId;
        final String primaryAddress;
        final long tableVersion;

        NotPrimaryException(int bucket, String primaryId, String primaryAddress, long tableVersion) {
            super(primaryAddress == null ? "bucket " + bucket + " is being handed over to node " + primaryId
                    : "bucket " + bucket + " is served by node " + primaryId + " at " + primaryAddress + " (table version "
                    + tableVersion + ")", null, false, false);
            this.bucket = bucket;
            this.primaryId = primaryId;
            this.primaryAddress = primaryAddress;
            this.tableVersion = tableVersion;
        }

        boolean handingOver() {
            return primaryAddress == null;
        }
    }

    /**
     * Waits until {@code bucket} serves here again after a hand-over, at most {@code timeoutMs};
     * true if it does and the lease is held (the lease comes back with a heartbeat: callers poll).
     */
    boolean awaitServing(int bucket, long timeoutMs) {
        try {
            return buckets[bucket].awaitServing(timeoutMs) && (ownership == null || lease.getAsBoolean());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The version of the table this node routes by (0 outside a cluster). */
    long tableVersion() {
        Ownership o = ownership;
        return o == null ? 0 : o.tableVersion;
    }

    /** Whether this node serves {@code bucket} (always, outside a cluster). */
    boolean isPrimary(int bucket) {
        Ownership o = ownership;
        return o == null || o.isPrimary(bucket);
    }

    private void recordAccess(BucketStore bucket, Scratch s, long nowMs) {
        int nowSeconds = (int) (nowMs / 1000);
        StoredValue read = s.storedValue;
        int frequency = read.frequency;
        if (tracking == EvictionPolicy.AccessTracking.FREQUENCY) {
            frequency = clampFrequency(policy.frequencyAfterAccess(read.frequency, read.lastAccessSeconds(), nowMs));
        }
        // Recency changes at most once a second per key, and a logarithmic counter rarely: most
        // reads write nothing.
        if (frequency != read.frequency || read.lastAccessSeconds != nowSeconds) {
            bucket.touch(s.storedKey, nowSeconds, frequency);
        }
    }

    private static int clampFrequency(int frequency) {
        return Math.max(0, Math.min(255, frequency));
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }
}
