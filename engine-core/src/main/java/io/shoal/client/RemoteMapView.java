package io.shoal.client;

import io.shoal.CodecException;
import io.shoal.KeyHash;
import io.shoal.ShoalEntry;
import io.shoal.protocol.Message;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * The {@link ConcurrentMap} view of a {@link RemoteMap}, with the semantics of the in-process view.
 * Single-key operations are protocol requests; those that return the previous value, which the
 * protocol does not return, are check-and-set loops: {@code put} is PUT_IF_ABSENT, or REPLACE at
 * the version PUT_IF_ABSENT found; {@code remove} is GET_ENTRY and REMOVE at its version; each
 * retries when another writer got in between, so every one is atomic per key. Nulls are refused
 * with NullPointerException, and a query with a key the codec cannot encode answers "absent".
 *
 * <p>Iteration reads bucket after bucket with SCAN (protocol section 4.2), a page of
 * {@link #PAGE_ENTRIES} at a time, the next page of a bucket starting after the last key seen; the
 * first pages of the next {@link #PREFETCH_BUCKETS} buckets are requested ahead, pipelined. It is
 * weakly consistent: it never throws ConcurrentModificationException, sees each key at most once
 * (per bucket the node returns keys in ascending order after the cursor) and sees every key that is
 * present throughout. It follows the client across a reconnect: the cursor is the same on any node.
 */
final class RemoteMapView<K, V> extends AbstractMap<K, V> implements ConcurrentMap<K, V> {
    static final int PAGE_ENTRIES = 256;
    static final int PREFETCH_BUCKETS = 8;
    private static final int MAX_CAS_ATTEMPTS = 100_000;
    private final RemoteMap<K, V> map;
    private final EntrySet entrySet = new EntrySet();

    RemoteMapView(RemoteMap<K, V> map) {
        this.map = map;
    }

    @Override
    public V get(Object key) {
        K k = castKey(key);
        return unlessForeign(k, null, () -> map.get(k));
    }

    @Override
    public boolean containsKey(Object key) {
        K k = castKey(key);
        return unlessForeign(k, false, () -> map.containsKey(k));
    }

    @Override
    public boolean containsValue(Object value) {
        Objects.requireNonNull(value, "value");
        return super.containsValue(value);
    }

    @Override
    public V put(K key, V value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
            Reply.PutIfAbsent absent = map.client.call(map.putIfAbsentRequest(key, value), Reply.PutIfAbsent.class);
            if (absent.applied()) {
                return null;
            }
            Reply.Replace replaced = map.client.call(map.replaceRequest(key, absent.version(), value), Reply.Replace.class);
            if (replaced.applied()) {
                return map.decodeValue(absent.existing());
            }
        }
        throw new IllegalStateException("put(key, value) kept losing to concurrent writers of the same key");
    }

    @Override
    public V remove(Object key) {
        K k = castKey(key);
        return unlessForeign(k, null, () -> {
            for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
                ShoalEntry<K, V> entry = map.getEntry(k);
                if (entry == null) {
                    return null;
                }
                if (map.remove(k, entry.version())) {
                    return entry.value();
                }
            }
            throw new IllegalStateException("remove(key) kept losing to concurrent writers of the same key");
        });
    }

    @Override
    public V putIfAbsent(K key, V value) {
        return map.putIfAbsent(key, value);
    }

    @Override
    public boolean remove(Object key, Object value) {
        K k = castKey(key);
        if (value == null) {
            return false;
        }
        for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
            ShoalEntry<K, V> entry = unlessForeign(k, null, () -> map.getEntry(k));
            if (entry == null || !Objects.deepEquals(entry.value(), value)) {
                return false;
            }
            if (map.remove(k, entry.version())) {
                return true;
            }
        }
        throw new IllegalStateException("remove(key, value) kept losing to concurrent writers of the same key");
    }

    @Override
    public boolean replace(K key, V oldValue, V newValue) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(oldValue, "oldValue");
        Objects.requireNonNull(newValue, "newValue");
        for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
            ShoalEntry<K, V> entry = map.getEntry(key);
            if (entry == null || !Objects.deepEquals(entry.value(), oldValue)) {
                return false;
            }
            if (map.replace(key, entry.version(), newValue)) {
                return true;
            }
        }
        throw new IllegalStateException("replace(key, old, new) kept losing to concurrent writers of the same key");
    }

    @Override
    public V replace(K key, V value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
            ShoalEntry<K, V> entry = map.getEntry(key);
            if (entry == null) {
                return null;
            }
            if (map.replace(key, entry.version(), value)) {
                return entry.value();
            }
        }
        throw new IllegalStateException("replace(key, value) kept losing to concurrent writers of the same key");
    }

    @Override
    public int size() {
        return (int) Math.min(Integer.MAX_VALUE, map.size());
    }

    @Override
    public boolean isEmpty() {
        return map.size() == 0;
    }

    @Override
    public void clear() {
        map.clear();
    }

    @Override
    public Set<Map.Entry<K, V>> entrySet() {
        return entrySet;
    }

    @SuppressWarnings("unchecked")
    private K castKey(Object key) {
        return (K) Objects.requireNonNull(key, "key");
    }

    /** The query's answer, or {@code absent} if it failed because the codec refuses the key (a key of another type). */
    private <R> R unlessForeign(K key, R absent, Supplier<R> query) {
        try {
            return query.get();
        } catch (CodecException | ClassCastException e) {
            if (isForeign(key)) {
                return absent;
            }
            throw e;
        }
    }

    private boolean isForeign(K key) {
        try {
            map.encodeKey(key);
            return false;
        } catch (CodecException | ClassCastException e) {
            return true;
        }
    }

    private final class EntrySet extends AbstractSet<Map.Entry<K, V>> {
        @Override
        public Iterator<Map.Entry<K, V>> iterator() {
            return new ScanIterator();
        }

        @Override
        public int size() {
            return RemoteMapView.this.size();
        }

        @Override
        public boolean isEmpty() {
            return RemoteMapView.this.isEmpty();
        }

        @Override
        public void clear() {
            RemoteMapView.this.clear();
        }

        @Override
        public boolean contains(Object o) {
            if (!(o instanceof Map.Entry<?, ?> e) || e.getKey() == null || e.getValue() == null) {
                return false;
            }
            Object value = get(e.getKey());
            return value != null && Objects.deepEquals(value, e.getValue());
        }

        @Override
        public boolean remove(Object o) {
            if (!(o instanceof Map.Entry<?, ?> e) || e.getKey() == null || e.getValue() == null) {
                return false;
            }
            return RemoteMapView.this.remove(e.getKey(), e.getValue());
        }
    }

    /** Pages of SCAN, bucket after bucket, with the first pages of the next buckets requested ahead. */
    private final class ScanIterator implements Iterator<Map.Entry<K, V>> {
        private final int bucketCount = map.client.bucketCount();
        private final ArrayDeque<Call> ahead = new ArrayDeque<>(); // first pages of buckets nextBucket, nextBucket + 1, ...
        private int nextBucket;       // the bucket whose first page is ahead.peekFirst()
        private int requestedBuckets; // first pages requested so far
        private int pageBucket = -1;
        private List<Reply.ScanEntry> page = List.of();
        private boolean pageMore;
        private int position;
        private K lastKey;

        @Override
        public boolean hasNext() {
            while (position >= page.size()) {
                if (pageBucket >= 0 && pageMore) {
                    Reply.ScanEntry last = page.get(page.size() - 1);
                    Request.ScanCursor cursor = new Request.ScanCursor(KeyHash.hash(last.key()), last.key());
                    load(pageBucket, map.client.submit(new Request.Scan(map.name, pageBucket, cursor, PAGE_ENTRIES)));
                    continue;
                }
                if (nextBucket >= bucketCount) {
                    return false;
                }
                fillAhead();
                int bucket = nextBucket++;
                Call first = ahead.pollFirst();
                if (first.isCompletedExceptionally()) {
                    // asked ahead, and timed out or lost while this iterator was busy elsewhere: ask again
                    first = map.client.submit(new Request.Scan(map.name, bucket, null, PAGE_ENTRIES));
                }
                load(bucket, first);
            }
            return true;
        }

        private void fillAhead() {
            while (requestedBuckets < bucketCount && requestedBuckets < nextBucket + PREFETCH_BUCKETS) {
                ahead.addLast(map.client.submit(new Request.Scan(map.name, requestedBuckets++, null, PAGE_ENTRIES)));
            }
        }

        private void load(int bucket, Call call) {
            Message message = map.client.await(call);
            Reply.Scan reply = ClientImpl.expect(call, message, Reply.Scan.class);
            pageBucket = bucket;
            page = reply.entries();
            pageMore = reply.more() && !page.isEmpty();
            position = 0;
        }

        @Override
        public Map.Entry<K, V> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Reply.ScanEntry raw = page.get(position++);
            K key = map.decodeKey(raw.key());
            lastKey = key;
            return new WriteThroughEntry(key, map.decodeValue(raw.value()));
        }

        @Override
        public void remove() {
            if (lastKey == null) {
                throw new IllegalStateException("next() has not been called, or remove() was already called");
            }
            map.remove(lastKey);
            lastKey = null;
        }
    }

    private final class WriteThroughEntry extends SimpleEntry<K, V> {
        private static final long serialVersionUID = 1L;

        WriteThroughEntry(K key, V value) {
            super(key, value);
        }

        @Override
        public V setValue(V value) {
            Objects.requireNonNull(value, "value");
            map.put(getKey(), value);
            return super.setValue(value);
        }
    }
}
