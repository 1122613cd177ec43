package io.shoal.core;

import io.shoal.ChangeListener;
import io.shoal.CodecException;
import io.shoal.ShoalEntry;
import io.shoal.ShoalException;
import io.shoal.ShoalMap;
import io.shoal.Subscription;
import io.shoal.spi.ByteSink;
import io.shoal.spi.Codec;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * A typed view of one map: encodes with the view's codecs into the per-thread scratch buffers and
 * runs the operation in {@link LocalEngine} on the caller's thread.
 */
final class ShoalMapImpl<K, V> implements ShoalMap<K, V> {
    private static final long ANY_VERSION = -1;
    private final LocalEngine engine;
    private final MapHandle handle;
    final Codec<K> keyCodec;
    final Codec<V> valueCodec;
    private final MapView<K, V> view;

    ShoalMapImpl(LocalEngine engine, MapHandle handle, Codec<K> keyCodec, Codec<V> valueCodec) {
        this.engine = engine;
        this.handle = handle;
        this.keyCodec = keyCodec;
        this.valueCodec = valueCodec;
        this.view = new MapView<>(this, engine, handle);
    }

    @Override
    public String name() {
        return handle.name;
    }

    @Override
    public V get(K key) {
        LocalEngine.Scratch s = withKey(key);
        return engine.read(handle, s) ? decodeValue(s.storedValue) : null;
    }

    @Override
    public ShoalEntry<K, V> getEntry(K key) {
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
        long version = putApplied(key, value, ttlMs);
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
        V existing = putIfAbsentApplied(key, value);
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
        boolean replaced = replaceApplied(key, expectedVersion, newValue);
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
        boolean removed = removeApplied(key, ANY_VERSION);
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
        boolean removed = removeApplied(key, Math.max(0, expectedVersion)); // never ANY_VERSION
        engine.awaitDurable();
        return removed;
    }

    @Override
    public boolean containsKey(K key) {
        return engine.read(handle, withKey(key));
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
        engine.put(handle, s, BucketStore.PutMode.ALWAYS, 0, 0, true);
        V previous = s.result.existed ? decodeValue(s.existing) : null;
        engine.awaitDurable();
        return previous;
    }

    /** Remove returning the removed live value (for the ConcurrentMap view). */
    V removeReturningPrevious(K key) {
        LocalEngine.Scratch s = withKey(key);
        engine.remove(handle, s, -1, true);
        V previous = s.result.applied ? decodeValue(s.existing) : null;
        engine.awaitDurable();
        return previous;
    }

    @Override
    public CompletableFuture<V> getAsync(K key) {
        return async(() -> get(key));
    }

    @Override
    public CompletableFuture<ShoalEntry<K, V>> getEntryAsync(K key) {
        return async(() -> getEntry(key));
    }

    @Override
    public CompletableFuture<Long> putAsync(K key, V value) {
        return asyncWrite(() -> putApplied(key, value, 0));
    }

    @Override
    public CompletableFuture<Long> putAsync(K key, V value, Duration ttl) {
        return asyncWrite(() -> putApplied(key, value, ttlMillis(ttl)));
    }

    @Override
    public CompletableFuture<V> putIfAbsentAsync(K key, V value) {
        return asyncWrite(() -> putIfAbsentApplied(key, value));
    }

    @Override
    public CompletableFuture<Boolean> replaceAsync(K key, long expectedVersion, V newValue) {
        return asyncWrite(() -> replaceApplied(key, expectedVersion, newValue));
    }

    @Override
    public CompletableFuture<Boolean> removeAsync(K key) {
        return asyncWrite(() -> removeApplied(key, ANY_VERSION));
    }

    @Override
    public CompletableFuture<Boolean> removeAsync(K key, long expectedVersion) {
        return asyncWrite(() -> removeApplied(key, Math.max(0, expectedVersion)));
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

    /** Applies the write now; the future completes when it is durable (at once without persistence). */
    private <T> CompletableFuture<T> asyncWrite(Supplier<T> write) {
        T result;
        try {
            result = write.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Void> durable = engine.durability();
        return durable == null ? CompletableFuture.completedFuture(result) : durable.thenApply(ignored -> result);
    }

    private static <T> CompletableFuture<T> async(Supplier<T> operation) {
        try {
            return CompletableFuture.completedFuture(operation.get());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
