package io.shoal.client;

import io.shoal.ChangeListener;
import io.shoal.CodecException;
import io.shoal.ShoalEntry;
import io.shoal.ShoalException;
import io.shoal.ShoalMap;
import io.shoal.Subscription;
import io.shoal.protocol.Condition;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import io.shoal.protocol.SubscriptionKind;
import io.shoal.spi.ByteSink;
import io.shoal.spi.Codec;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * A {@link ShoalMap} whose every operation is one protocol request (section 4.2): the caller's
 * thread encodes key and value with the map's codecs, the client sends the request, and the reply
 * is decoded on the caller's thread (synchronous methods) or on the thread that completes the future
 * ({@code *Async}). Checks that an in-process map makes before touching data (nulls, negative TTL,
 * codec failures) are made here the same way, with the same exceptions.
 */
final class RemoteMap<K, V> implements ShoalMap<K, V> {
    private static final ThreadLocal<ByteSink> SINK = ThreadLocal.withInitial(() -> new ByteSink(256));

    final ClientImpl client;
    final String name;
    final Codec<K> keyCodec;
    final Codec<V> valueCodec;
    private final RemoteMapView<K, V> view;

    RemoteMap(ClientImpl client, String name, Codec<K> keyCodec, Codec<V> valueCodec) {
        this.client = client;
        this.name = name;
        this.keyCodec = keyCodec;
        this.valueCodec = valueCodec;
        this.view = new RemoteMapView<>(this);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public V get(K key) {
        Reply.Get reply = client.call(new Request.Get(name, encodeKey(key)), Reply.Get.class);
        return reply.found() ? decodeValue(reply.value()) : null;
    }

    @Override
    public ShoalEntry<K, V> getEntry(K key) {
        Reply.GetEntry reply = client.call(new Request.GetEntry(name, encodeKey(key)), Reply.GetEntry.class);
        return entry(key, reply);
    }

    @Override
    public long put(K key, V value) {
        return client.call(putRequest(key, value, 0), Reply.Put.class).version();
    }

    @Override
    public long put(K key, V value, Duration ttl) {
        return client.call(putRequest(key, value, ttlMillis(ttl)), Reply.Put.class).version();
    }

    @Override
    public V putIfAbsent(K key, V value) {
        Reply.PutIfAbsent reply = client.call(putIfAbsentRequest(key, value), Reply.PutIfAbsent.class);
        return reply.applied() ? null : decodeValue(reply.existing());
    }

    @Override
    public boolean replace(K key, long expectedVersion, V newValue) {
        return client.call(replaceRequest(key, expectedVersion, newValue), Reply.Replace.class).applied();
    }

    @Override
    public boolean remove(K key) {
        return client.call(removeRequest(key, Condition.NONE, 0), Reply.Remove.class).removed();
    }

    @Override
    public boolean remove(K key, long expectedVersion) {
        return client.call(removeRequest(key, Condition.VERSION, Math.max(0, expectedVersion)), Reply.Remove.class)
                .removed();
    }

    @Override
    public boolean containsKey(K key) {
        return client.call(new Request.Contains(name, encodeKey(key)), Reply.Contains.class).found();
    }

    @Override
    public long size() {
        return Math.max(0, client.call(new Request.Size(name), Reply.Size.class).entries());
    }

    @Override
    public void clear() {
        client.call(new Request.Clear(name), Reply.Clear.class);
    }

    // ---- async: the request is sent at once; the reply completes the future on the I/O thread ----

    @Override
    public CompletableFuture<V> getAsync(K key) {
        return async(() -> client.callAsync(new Request.Get(name, encodeKey(key)), Reply.Get.class,
                reply -> reply.found() ? decodeValue(reply.value()) : null));
    }

    @Override
    public CompletableFuture<ShoalEntry<K, V>> getEntryAsync(K key) {
        return async(() -> client.callAsync(new Request.GetEntry(name, encodeKey(key)), Reply.GetEntry.class,
                reply -> entry(key, reply)));
    }

    @Override
    public CompletableFuture<Long> putAsync(K key, V value) {
        return async(() -> client.callAsync(putRequest(key, value, 0), Reply.Put.class, Reply.Put::version));
    }

    @Override
    public CompletableFuture<Long> putAsync(K key, V value, Duration ttl) {
        return async(() -> client.callAsync(putRequest(key, value, ttlMillis(ttl)), Reply.Put.class, Reply.Put::version));
    }

    @Override
    public CompletableFuture<V> putIfAbsentAsync(K key, V value) {
        return async(() -> client.callAsync(putIfAbsentRequest(key, value), Reply.PutIfAbsent.class,
                reply -> reply.applied() ? null : decodeValue(reply.existing())));
    }

    @Override
    public CompletableFuture<Boolean> replaceAsync(K key, long expectedVersion, V newValue) {
        return async(() -> client.callAsync(replaceRequest(key, expectedVersion, newValue), Reply.Replace.class,
                Reply.Replace::applied));
    }

    @Override
    public CompletableFuture<Boolean> removeAsync(K key) {
        return async(() -> client.callAsync(removeRequest(key, Condition.NONE, 0), Reply.Remove.class,
                Reply.Remove::removed));
    }

    @Override
    public CompletableFuture<Boolean> removeAsync(K key, long expectedVersion) {
        return async(() -> client.callAsync(removeRequest(key, Condition.VERSION, Math.max(0, expectedVersion)),
                Reply.Remove.class, Reply.Remove::removed));
    }

    // ---- listeners ----

    @Override
    public Subscription addListener(ChangeListener<K, V> listener) {
        return client.subscribe(name, SubscriptionKind.ALL, new byte[0], listener, keyCodec, valueCodec);
    }

    @Override
    public Subscription addKeyListener(K key, ChangeListener<K, V> listener) {
        return client.subscribe(name, SubscriptionKind.KEY, encodeKey(key), listener, keyCodec, valueCodec);
    }

    @Override
    public Subscription addPrefixListener(K prefix, ChangeListener<K, V> listener) {
        return client.subscribe(name, SubscriptionKind.PREFIX, encodeKey(prefix), listener, keyCodec, valueCodec);
    }

    @Override
    public ConcurrentMap<K, V> asMap() {
        return view;
    }

    @Override
    public String toString() {
        return "ShoalMap{" + name + " via " + client + '}';
    }

    // ---- requests and codecs ----

    Request.Put putRequest(K key, V value, long ttlMs) {
        Objects.requireNonNull(value, "value");
        return new Request.Put(name, encodeKey(key), encodeValue(value), ttlMs);
    }

    Request.PutIfAbsent putIfAbsentRequest(K key, V value) {
        Objects.requireNonNull(value, "value");
        return new Request.PutIfAbsent(name, encodeKey(key), encodeValue(value), 0);
    }

    Request.Replace replaceRequest(K key, long expectedVersion, V value) {
        Objects.requireNonNull(value, "value");
        return new Request.Replace(name, encodeKey(key), encodeValue(value), 0, Condition.VERSION, expectedVersion);
    }

    Request.Remove removeRequest(K key, Condition condition, long expected) {
        return new Request.Remove(name, encodeKey(key), condition, expected);
    }

    ShoalEntry<K, V> entry(K key, Reply.GetEntry reply) {
        if (!reply.found()) {
            return null;
        }
        return new ShoalEntry<>(key, decodeValue(reply.value()), reply.version(), reply.valueHash(),
                reply.timestampMs(), reply.expiresAtMs());
    }

    byte[] encodeKey(K key) {
        Objects.requireNonNull(key, "key");
        return encode(keyCodec, key, "key");
    }

    private byte[] encodeValue(V value) {
        return encode(valueCodec, value, "value");
    }

    private <T> byte[] encode(Codec<T> codec, T item, String what) {
        ByteSink sink = SINK.get().reset();
        try {
            codec.encode(item, sink);
        } catch (ShoalException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CodecException("cannot encode " + what + " of type " + item.getClass().getName() + " for map \""
                    + name + "\": " + e.getMessage(), e);
        }
        return sink.toByteArray();
    }

    V decodeValue(byte[] bytes) {
        return decode(valueCodec, bytes, "value");
    }

    K decodeKey(byte[] bytes) {
        return decode(keyCodec, bytes, "key");
    }

    private <T> T decode(Codec<T> codec, byte[] bytes, String what) {
        try {
            return codec.decode(bytes, 0, bytes.length);
        } catch (ShoalException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CodecException("cannot decode a stored " + what + " of map \"" + name + "\" (" + bytes.length
                    + " bytes): " + e.getMessage(), e);
        }
    }

    static long ttlMillis(Duration ttl) {
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

    /** As an in-process map: argument and codec failures come back in the future, never thrown. */
    private static <T> CompletableFuture<T> async(Supplier<CompletableFuture<T>> operation) {
        try {
            return operation.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
