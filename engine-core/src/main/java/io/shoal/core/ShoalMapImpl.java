package io.shoal.core;

import io.shoal.ChangeListener;
import io.shoal.CodecException;
import io.shoal.ShoalEntry;
import io.shoal.ShoalException;
import io.shoal.ShoalMap;
import io.shoal.Subscription;
import io.shoal.client.NotOwnerException;
import io.shoal.spi.ByteSink;
import io.shoal.spi.Codec;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A typed view of one map: encodes with the view's codecs into the per-thread scratch buffers and
 * runs the operation in {@link LocalEngine} on the caller's thread.
 *
 * <p>In a cluster, a key whose bucket another node serves makes the engine throw
 * {@link LocalEngine.NotPrimaryException} before it does anything; the operation then runs on that
 * node through this node's link to it ({@link Peers}), with the same results and exceptions.
 */
final class ShoalMapImpl<K, V> implements ShoalMap<K, V> {
    private static final long ANY_VERSION = -1;
    /** How long an operation waits for a bucket being handed over to this node. */
    static final long HANDOVER_WAIT_MS = 10_000;
    /** Operations routed anew in a row after members answered NOT_OWNER, before the last answer is thrown. */
    static final int MAX_REROUTES = 100;
    /** Pause before an operation is routed anew, unless this node's table changes first. */
    static final long REROUTE_PAUSE_MS = 20;
    private static final ThreadLocal<int[]> REROUTES = ThreadLocal.withInitial(() -> new int[1]);

    private final LocalEngine engine;
    private final MapHandle handle;
    final Codec<K> keyCodec;
    final Codec<V> valueCodec;
    private final MapView<K, V> view;
    private final Peers peers;

    /** The maps of other members, for operations on keys they serve. */
    interface Peers {
        /** The map {@code name} as the member at {@code address} serves it, through this node's link to it. */
        <K, V> ShoalMap<K, V> map(String address, String name, Codec<K> keyCodec, Codec<V> valueCodec);
    }

    ShoalMapImpl(LocalEngine engine, MapHandle handle, Codec<K> keyCodec, Codec<V> valueCodec, Peers peers) {
        this.engine = engine;
        this.handle = handle;
        this.keyCodec = keyCodec;
        this.valueCodec = valueCodec;
        this.peers = peers;
        this.view = new MapView<>(this, engine, handle);
    }

    /** The map on the node that serves the key the engine refused. */
    private ShoalMap<K, V> at(LocalEngine.NotPrimaryException elsewhere) {
        if (elsewhere.handingOver()) {
            awaitHandOver(engine, elsewhere);
            return this;
        }
        if (peers == null) {
            throw new IllegalStateException("bucket " + elsewhere.bucket + " is not served here and this node has no"
                    + " links to other members");
        }
        return peers.map(elsewhere.primaryAddress, handle.name, keyCodec, valueCodec);
    }

    /**
     * After {@code elsewhere} said the bucket is changing hands: this node serves it once the previous
     * primary has handed it over, or it has just handed it over itself. Returns once it is served
     * here or the table changed, so the caller runs the operation again, routed anew.
     *
     * @throws ShoalException if it is still changing hands after {@link #HANDOVER_WAIT_MS}
     */
    static void awaitHandOver(LocalEngine engine, LocalEngine.NotPrimaryException elsewhere) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(HANDOVER_WAIT_MS);
        while (true) {
            if (engine.isPrimary(elsewhere.bucket) ? engine.awaitServing(elsewhere.bucket, 20)
                    : engine.tableVersion() != elsewhere.tableVersion) {
                return; // served here now, or a newer table: run again, routed by it
            }
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
            if (System.nanoTime() - deadline > 0) {
                throw new ShoalException("bucket " + elsewhere.bucket + " is still changing hands at node "
                        + engine.nodeId + " after " + HANDOVER_WAIT_MS + " ms");
            }
        }
    }

    @Override
    public String name() {
        return handle.name;
    }

    @Override
    public V get(K key) {
        try {
            return getHere(key);
        } catch (LocalEngine.NotPrimaryException e) {
            return forward(e, remote -> remote.get(key), () -> get(key));
        }
    }

    private V getHere(K key) {
        LocalEngine.Scratch s = withKey(key);
        return engine.read(handle, s) ? decodeValue(s.storedValue) : null;
    }

    @Override
    public ShoalEntry<K, V> getEntry(K key) {
        try {
            return getEntryHere(key);
        } catch (LocalEngine.NotPrimaryException e) {
            return forward(e, remote -> remote.getEntry(key), () -> getEntry(key));
        }
    }

    private ShoalEntry<K, V> getEntryHere(K key) {
        LocalEngine.Scratch s = withKey(key);
        if (!engine.read(handle, s)) {
            return null;
        }
        StoredValue v = s.storedValue;
        return new ShoalEntry<>(key, decodeValue(v), v.version, v.valueHash, v.timestampMs, v.expiresAtMs);
    }

    @Override
    public long put(K key, V value) {
        return put(key, value, 0);
    }

    @Override
    public long put(K key, V value, Duration ttl) {
        return put(key, value, ttlMillis(ttl));
    }

    private long put(K key, V value, long ttlMs) {
        long version;
        try {
            version = putApplied(key, value, ttlMs);
        } catch (LocalEngine.NotPrimaryException e) {
            return forward(e, remote -> ttlMs == 0 ? remote.put(key, value) : remote.put(key, value, Duration.ofMillis(ttlMs)),
                    () -> put(key, value, ttlMs));
        }
        engine.awaitDurable();
        return version;
    }

    private long putApplied(K key, V value, long ttlMs) {
        LocalEngine.Scratch s = withKeyAndValue(key, value);
        engine.put(handle, s, BucketStore.PutMode.ALWAYS, 0, ttlMs, false);
        return s.result.version;
    }

    @Override
    public V putIfAbsent(K key, V value) {
        V existing;
        try {
            existing = putIfAbsentApplied(key, value);
        } catch (LocalEngine.NotPrimaryException e) {
            return forward(e, remote -> remote.putIfAbsent(key, value), () -> putIfAbsent(key, value));
        }
        engine.awaitDurable();
        return existing;
    }

    private V putIfAbsentApplied(K key, V value) {
        LocalEngine.Scratch s = withKeyAndValue(key, value);
        engine.put(handle, s, BucketStore.PutMode.IF_ABSENT, 0, 0, true);
        return s.result.applied ? null : decodeValue(s.existing);
    }

    @Override
    public boolean replace(K key, long expectedVersion, V newValue) {
        boolean replaced;
        try {
            replaced = replaceApplied(key, expectedVersion, newValue);
        } catch (LocalEngine.NotPrimaryException e) {
            return forward(e, remote -> remote.replace(key, expectedVersion, newValue),
                    () -> replace(key, expectedVersion, newValue));
        }
        engine.awaitDurable();
        return replaced;
    }

    private boolean replaceApplied(K key, long expectedVersion, V newValue) {
        LocalEngine.Scratch s = withKeyAndValue(key, newValue);
        engine.put(handle, s, BucketStore.PutMode.IF_VERSION, expectedVersion, 0, false);
        return s.result.applied;
    }

    @Override
    public boolean remove(K key) {
        boolean removed;
        try {
            removed = removeApplied(key, ANY_VERSION);
        } catch (LocalEngine.NotPrimaryException e) {
            return forward(e, remote -> remote.remove(key), () -> remove(key));
        }
        engine.awaitDurable();
        return removed;
    }

    /** Removes the key: unconditionally for {@link #ANY_VERSION}, else only at that version. */
    private boolean removeApplied(K key, long expectedVersion) {
        LocalEngine.Scratch s = withKey(key);
        if (expectedVersion != ANY_VERSION && expectedVersion < 1) {
            ensureOpen();
            return false; // versions start at 1: no entry has this one
        }
        engine.remove(handle, s, expectedVersion, false);
        return s.result.applied;
    }

    @Override
    public boolean remove(K key, long expectedVersion) {
        boolean removed;
        try {
            removed = removeApplied(key, Math.max(0, expectedVersion)); // never ANY_VERSION
        } catch (LocalEngine.NotPrimaryException e) {
            return forward(e, remote -> remote.remove(key, expectedVersion), () -> remove(key, expectedVersion));
        }
        engine.awaitDurable();
        return removed;
    }

    @Override
    public boolean containsKey(K key) {
        LocalEngine.Scratch s = withKey(key);
        try {
            return engine.read(handle, s);
        } catch (LocalEngine.NotPrimaryException e) {
            return forward(e, remote -> remote.containsKey(key), () -> containsKey(key));
        }
    }

    @Override
    public long size() {
        ensureOpen();
        return Math.max(0, handle.size.sum());
    }

    private void ensureOpen() {
        if (engine.isClosed()) {
            throw new io.shoal.NodeClosedException(engine.nodeId);
        }
    }

    @Override
    public void clear() {
        view.clear();
    }

    /** Put returning the previous live value (for the ConcurrentMap view). */
    V putReturningPrevious(K key, V value) {
        LocalEngine.Scratch s = withKeyAndValue(key, value);
        try {
            engine.put(handle, s, BucketStore.PutMode.ALWAYS, 0, 0, true);
        } catch (LocalEngine.NotPrimaryException e) {
            return forward(e, remote -> remote.asMap().put(key, value), () -> putReturningPrevious(key, value));
        }
        V previous = s.result.existed ? decodeValue(s.existing) : null;
        engine.awaitDurable();
        return previous;
    }

    /** Remove returning the removed live value (for the ConcurrentMap view). */
    V removeReturningPrevious(K key) {
        LocalEngine.Scratch s = withKey(key);
        try {
            engine.remove(handle, s, -1, true);
        } catch (LocalEngine.NotPrimaryException e) {
            return forward(e, remote -> remote.asMap().remove(key), () -> removeReturningPrevious(key));
        }
        V previous = s.result.applied ? decodeValue(s.existing) : null;
        engine.awaitDurable();
        return previous;
    }

    @Override
    public CompletableFuture<V> getAsync(K key) {
        return async(() -> getHere(key), remote -> remote.getAsync(key));
    }

    @Override
    public CompletableFuture<ShoalEntry<K, V>> getEntryAsync(K key) {
        return async(() -> getEntryHere(key), remote -> remote.getEntryAsync(key));
    }

    @Override
    public CompletableFuture<Long> putAsync(K key, V value) {
        return asyncWrite(() -> putApplied(key, value, 0), remote -> remote.putAsync(key, value));
    }

    @Override
    public CompletableFuture<Long> putAsync(K key, V value, Duration ttl) {
        return asyncWrite(() -> putApplied(key, value, ttlMillis(ttl)), remote -> remote.putAsync(key, value, ttl));
    }

    @Override
    public CompletableFuture<V> putIfAbsentAsync(K key, V value) {
        return asyncWrite(() -> putIfAbsentApplied(key, value), remote -> remote.putIfAbsentAsync(key, value));
    }

    @Override
    public CompletableFuture<Boolean> replaceAsync(K key, long expectedVersion, V newValue) {
        return asyncWrite(() -> replaceApplied(key, expectedVersion, newValue),
                remote -> remote.replaceAsync(key, expectedVersion, newValue));
    }

    @Override
    public CompletableFuture<Boolean> removeAsync(K key) {
        return asyncWrite(() -> removeApplied(key, ANY_VERSION), remote -> remote.removeAsync(key));
    }

    @Override
    public CompletableFuture<Boolean> removeAsync(K key, long expectedVersion) {
        return asyncWrite(() -> removeApplied(key, Math.max(0, expectedVersion)),
                remote -> remote.removeAsync(key, expectedVersion));
    }

    @Override
    public Subscription addListener(ChangeListener<K, V> listener) {
        return register(ListenerRegistration.Filter.ALL, null, listener);
    }

    @Override
    public Subscription addKeyListener(K key, ChangeListener<K, V> listener) {
        return register(ListenerRegistration.Filter.KEY, encodeKeyCopy(key), listener);
    }

    @Override
    public Subscription addPrefixListener(K prefix, ChangeListener<K, V> listener) {
        return register(ListenerRegistration.Filter.PREFIX, encodeKeyCopy(prefix), listener);
    }

    @Override
    public ConcurrentMap<K, V> asMap() {
        return view;
    }

    @Override
    public String toString() {
        return "ShoalMap{" + handle.name + " on " + engine.nodeId + '}';
    }

    // ---- helpers ----

    private Subscription register(ListenerRegistration.Filter filter, byte[] keyBytes, ChangeListener<K, V> listener) {
        Objects.requireNonNull(listener, "listener");
        ensureOpen();
        ListenerRegistration registration = new ListenerRegistration(filter, keyBytes, listener, keyCodec, valueCodec);
        handle.listeners.add(registration);
        return () -> handle.listeners.remove(registration);
    }

    private byte[] encodeKeyCopy(K key) {
        Objects.requireNonNull(key, "key");
        ByteSink sink = new ByteSink(32);
        encode(keyCodec, key, sink, "key");
        return sink.toByteArray();
    }

    LocalEngine.Scratch withKey(K key) {
        Objects.requireNonNull(key, "key");
        LocalEngine.Scratch s = LocalEngine.scratch();
        encode(keyCodec, key, s.key, "key");
        return s;
    }

    private LocalEngine.Scratch withKeyAndValue(K key, V value) {
        Objects.requireNonNull(value, "value");
        LocalEngine.Scratch s = withKey(key);
        encode(valueCodec, value, s.value, "value");
        return s;
    }

    private <T> void encode(Codec<T> codec, T item, ByteSink sink, String what) {
        try {
            codec.encode(item, sink);
        } catch (ShoalException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CodecException("cannot encode " + what + " of type " + item.getClass().getName() + " for map \""
                    + handle.name + "\": " + e.getMessage(), e);
        }
    }

    V decodeValue(StoredValue value) {
        return decode(valueCodec, value.bytes, value.length, "value");
    }

    K decodeKey(byte[] bytes) {
        return decode(keyCodec, bytes, bytes.length, "key");
    }

    private <T> T decode(Codec<T> codec, byte[] bytes, int length, String what) {
        try {
            return codec.decode(bytes, 0, length);
        } catch (ShoalException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CodecException("cannot decode a stored " + what + " of map \"" + handle.name + "\" ("
                    + length + " bytes): " + e.getMessage(), e);
        }
    }

    private static long ttlMillis(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("ttl " + ttl + " is negative");
        }
        if (ttl.isZero()) {
            return 0;
        }
        try {
            return Math.max(1, ttl.toMillis());
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Applies the write now; the future completes when it is durable (at once without persistence).
     * A key another node serves is written there by {@code remote}.
     */
    private <T> CompletableFuture<T> asyncWrite(Supplier<T> write, Function<ShoalMap<K, V>, CompletableFuture<T>> remote) {
        return asyncWrite(write, remote, 0);
    }

    private <T> CompletableFuture<T> asyncWrite(Supplier<T> write, Function<ShoalMap<K, V>, CompletableFuture<T>> remote,
                                                int reroutes) {
        T result;
        try {
            result = write.get();
        } catch (LocalEngine.NotPrimaryException e) {
            return forwardAsync(e, remote, reroutes, again -> asyncWrite(write, remote, again));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Void> durable = engine.durability();
        return durable == null ? CompletableFuture.completedFuture(result) : durable.thenApply(ignored -> result);
    }

    private <T> CompletableFuture<T> async(Supplier<T> read, Function<ShoalMap<K, V>, CompletableFuture<T>> remote) {
        return async(read, remote, 0);
    }

    private <T> CompletableFuture<T> async(Supplier<T> read, Function<ShoalMap<K, V>, CompletableFuture<T>> remote,
                                           int reroutes) {
        try {
            return CompletableFuture.completedFuture(read.get());
        } catch (LocalEngine.NotPrimaryException e) {
            return forwardAsync(e, remote, reroutes, again -> async(read, remote, again));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Runs {@code op} on the member that serves the key {@code elsewhere} names. If that member
     * answers that it does not serve it either (the tables disagree for a moment; it did nothing),
     * runs the whole operation {@code again} once this node's table changed or a few milliseconds
     * passed, routed anew, at most {@link #MAX_REROUTES} times in a row.
     */
    private <R> R forward(LocalEngine.NotPrimaryException elsewhere, Function<ShoalMap<K, V>, R> op,
                          Supplier<R> again) {
        try {
            return op.apply(at(elsewhere));
        } catch (NotOwnerException moved) {
            int[] reroutes = REROUTES.get();
            if (reroutes[0] >= MAX_REROUTES) {
                throw moved;
            }
            awaitTableAfter(elsewhere.tableVersion);
            reroutes[0]++;
            try {
                return again.get();
            } finally {
                reroutes[0]--;
            }
        }
    }

    /**
     * {@link #forward} for an asynchronous operation: {@code again} runs the operation anew, given
     * how many times in a row it was routed anew.
     */
    private <T> CompletableFuture<T> forwardAsync(LocalEngine.NotPrimaryException elsewhere,
                                                  Function<ShoalMap<K, V>, CompletableFuture<T>> op, int reroutes,
                                                  java.util.function.IntFunction<CompletableFuture<T>> again) {
        CompletableFuture<T> sent;
        try {
            sent = op.apply(at(elsewhere));
        } catch (RuntimeException failure) {
            sent = CompletableFuture.failedFuture(failure);
        }
        return sent.exceptionallyCompose(failure -> {
            Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (!(cause instanceof NotOwnerException) || reroutes >= MAX_REROUTES) {
                return CompletableFuture.failedFuture(cause);
            }
            // Routed anew on another thread, after a moment: the completing thread may be an I/O thread.
            return CompletableFuture.supplyAsync(() -> again.apply(reroutes + 1), CompletableFuture.delayedExecutor(
                    REROUTE_PAUSE_MS, java.util.concurrent.TimeUnit.MILLISECONDS)).thenCompose(next -> next);
        });
    }

    /** Waits until this node acts on a table newer than {@code tableVersion}, at most {@link #REROUTE_PAUSE_MS}. */
    private void awaitTableAfter(long tableVersion) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(REROUTE_PAUSE_MS);
        while (engine.tableVersion() == tableVersion && System.nanoTime() - deadline < 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }
}
