package io.shoal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentMap;

/**
 * A named keyspace of a node. Keys and values are stored as the bytes their codecs produce; every
 * stored value carries a {@linkplain ShoalEntry#version() version}, a value hash, a timestamp and
 * an optional expiry time.
 *
 * <p><b>Threading.</b> All methods are thread-safe. Operations on the node's own data run on the
 * calling thread and do not hand off to another thread; each one is atomic per key. A write
 * returns once its change is as durable as the node's persistence promises (at once with
 * {@code persistence = none}). The {@code *Async} variants apply the operation on the calling
 * thread too, but do not wait for durability: a write's future completes when the change is
 * durable, a read's future is already complete. They also let code keep working when the key is
 * owned by another node and the call has to cross the network.
 *
 * <p><b>Errors.</b> {@code null} keys and values are rejected with {@link NullPointerException}. A
 * write that would exceed {@code memory.maxBytes} and cannot evict throws
 * {@link MemoryLimitExceededException}; an oversized key or value throws
 * {@link EntryTooLargeException}; a codec failure throws {@link CodecException}; any call after the
 * node closed throws {@link NodeClosedException}. A failed write has no effect, with one exception:
 * when persistence cannot store a change (disk full), writes throw
 * {@link StorageUnavailableException}, whose {@link StorageUnavailableException#changeApplied()}
 * tells whether the write was refused or applied but not yet durable. Async variants report the
 * same exceptions through the returned future instead of throwing.
 *
 * <p><b>Expiry.</b> An entry whose time to live has run out is never returned, counted by
 * {@link #containsKey} or matched by check-and-set, even before the background sweep reclaims it.
 *
 * @param <K> key type
 * @param <V> value type
 */
public interface ShoalMap<K, V> {

    /** The map's name. */
    String name();

    /** The value of {@code key}, or {@code null} when it has none (or it expired). */
    V get(K key);

    /** The value of {@code key} with its metadata, or {@code null} when it has none. */
    ShoalEntry<K, V> getEntry(K key);

    /**
     * Stores {@code value} under {@code key}, without expiry, replacing any value.
     *
     * @return the version of the stored value
     */
    long put(K key, V value);

    /**
     * Stores {@code value} under {@code key}, to expire after {@code ttl}.
     *
     * @param ttl positive time to live; {@link Duration#ZERO} means no expiry
     * @return the version of the stored value
     * @throws IllegalArgumentException if {@code ttl} is negative
     */
    long put(K key, V value, Duration ttl);

    /**
     * Stores {@code value} only if {@code key} has no value.
     *
     * @return {@code null} if the value was stored, otherwise the value already present (which is
     *     left unchanged)
     */
    V putIfAbsent(K key, V value);

    /**
     * Check-and-set: replaces the value of {@code key} only if its current version is
     * {@code expectedVersion}, that is, if nobody changed it since it was read with
     * {@link #getEntry}. Of two writers that read the same version, at most one succeeds.
     *
     * @return {@code true} if replaced; {@code false} if the key has no value or another version
     */
    boolean replace(K key, long expectedVersion, V newValue);

    /**
     * Removes {@code key}.
     *
     * @return {@code true} if it had a value
     */
    boolean remove(K key);

    /**
     * Check-and-set removal: removes {@code key} only if its current version is
     * {@code expectedVersion}.
     *
     * @return {@code true} if removed
     */
    boolean remove(K key, long expectedVersion);

    /** Whether {@code key} has a value that has not expired. */
    boolean containsKey(K key);

    /**
     * Number of entries in this map on this node. Entries that expired less than a sweep interval
     * ago ({@code expiry.sweepIntervalMs}) may still be counted.
     */
    long size();

    /** Removes every entry of this map (each removal is a {@link ChangeType#REMOVED} event). */
    void clear();

    CompletableFuture<V> getAsync(K key);

    CompletableFuture<ShoalEntry<K, V>> getEntryAsync(K key);

    CompletableFuture<Long> putAsync(K key, V value);

    CompletableFuture<Long> putAsync(K key, V value, Duration ttl);

    CompletableFuture<V> putIfAbsentAsync(K key, V value);

    CompletableFuture<Boolean> replaceAsync(K key, long expectedVersion, V newValue);

    CompletableFuture<Boolean> removeAsync(K key);

    CompletableFuture<Boolean> removeAsync(K key, long expectedVersion);

    /**
     * Registers a listener for every change of this map. See {@link ChangeListener} for threading
     * and ordering.
     */
    Subscription addListener(ChangeListener<K, V> listener);

    /** Registers a listener for the changes of one key. */
    Subscription addKeyListener(K key, ChangeListener<K, V> listener);

    /**
     * Registers a listener for the keys whose encoded bytes start with the encoded bytes of
     * {@code prefix}. For {@code String} and {@code byte[]} keys that is the ordinary prefix; for
     * other codecs it is whatever their encoding makes of it.
     */
    Subscription addPrefixListener(K prefix, ChangeListener<K, V> listener);

    /**
     * A live {@link ConcurrentMap} view. Its single-key operations have this map's semantics;
     * {@code put} and {@code remove} return the previous value. Iteration is weakly consistent (it
     * never throws {@link java.util.ConcurrentModificationException}, sees each key at most once,
     * and may or may not see changes made while it runs) and visits bucket by bucket.
     */
    ConcurrentMap<K, V> asMap();
}
