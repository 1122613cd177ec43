package io.shoal.core;

import io.shoal.CodecException;
import io.shoal.ShoalEntry;
import net.openhft.chronicle.bytes.RandomDataInput;
import net.openhft.chronicle.hash.Data;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;

/**
 * The {@link ConcurrentMap} view of a {@link ShoalMapImpl}. Single-key operations map onto the
 * engine's atomic operations; the two-argument {@code remove}/{@code replace} compare values by
 * reading the entry's version and then acting only at that version, retrying if it changed (the
 * {@code compute}/{@code merge} defaults of {@link ConcurrentMap} build on these, so they are
 * atomic per key too). Iteration takes one bucket at a time: it copies that bucket's live entries
 * of this map, then hands them out, so it is weakly consistent and never throws
 * ConcurrentModificationException. Like {@link java.util.concurrent.ConcurrentHashMap}, nulls are
 * refused with NullPointerException (keys, values and queries, including {@code containsValue}),
 * and a query with a key the map's codec cannot encode (a key of another type) answers "absent".
 */
final class MapView<K, V> extends AbstractMap<K, V> implements ConcurrentMap<K, V> {
    private static final int MAX_CAS_ATTEMPTS = 100_000;
    private final ShoalMapImpl<K, V> map;
    private final LocalEngine engine;
    private final MapHandle handle;
    private final EntrySet entrySet = new EntrySet();

    MapView(ShoalMapImpl<K, V> map, LocalEngine engine, MapHandle handle) {
        this.map = map;
        this.engine = engine;
        this.handle = handle;
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
        return map.putReturningPrevious(key, value);
    }

    @Override
    public V remove(Object key) {
        K k = castKey(key);
        return unlessForeign(k, null, () -> map.removeReturningPrevious(k));
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
        Iterator<Map.Entry<K, V>> it = entrySet.iterator();
        while (it.hasNext()) {
            it.next();
            it.remove();
        }
    }

    @Override
    public Set<Map.Entry<K, V>> entrySet() {
        return entrySet;
    }

    /**
     * The query key, unchecked: the map's type is erased, so a key of a foreign type only shows up
     * when the codec fails to encode it (see {@link #isForeign}).
     */
    @SuppressWarnings("unchecked")
    private K castKey(Object key) {
        return (K) Objects.requireNonNull(key, "key");
    }

    /** The query's answer, or {@code absent} if it failed because the key is foreign. */
    private <R> R unlessForeign(K key, R absent, java.util.function.Supplier<R> query) {
        try {
            return query.get();
        } catch (CodecException e) {
            if (isForeign(key)) {
                return absent;
            }
            throw e;
        }
    }

    /**
     * Whether the key's codec refuses it (for example a key of another type), in which case no
     * entry can have it: queries then answer "absent", as {@link Map} allows, instead of throwing.
     * Only called after an operation failed with a CodecException, to tell such a key from stored
     * bytes that cannot be decoded (which must still throw).
     */
    private boolean isForeign(K key) {
        try {
            map.withKey(key);
            return false;
        } catch (CodecException e) {
            return true;
        }
    }

    private final class EntrySet extends AbstractSet<Map.Entry<K, V>> {
        @Override
        public Iterator<Map.Entry<K, V>> iterator() {
            return new BucketIterator();
        }

        @Override
        public int size() {
            return MapView.this.size();
        }

        @Override
        public boolean isEmpty() {
            return MapView.this.isEmpty();
        }

        @Override
        public void clear() {
            MapView.this.clear();
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
            return MapView.this.remove(e.getKey(), e.getValue());
        }
    }

    private final class BucketIterator implements Iterator<Map.Entry<K, V>> {
        private final List<byte[][]> batch = new ArrayList<>();
        private int nextBucket;
        private int position;
        private K lastKey;

        @Override
        public boolean hasNext() {
            while (position >= batch.size() && nextBucket < engine.bucketCount()) {
                loadBucket(nextBucket++);
            }
            return position < batch.size();
        }

        @Override
        public Map.Entry<K, V> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            byte[][] raw = batch.get(position++);
            K key = map.decodeKey(raw[0]);
            StoredValue value = new StoredValue();
            value.bytes = raw[1];
            value.length = raw[1].length;
            lastKey = key;
            return new WriteThroughEntry(key, map.decodeValue(value));
        }

        @Override
        public void remove() {
            if (lastKey == null) {
                throw new IllegalStateException("next() has not been called, or remove() was already called");
            }
            map.remove(lastKey);
            lastKey = null;
        }

        private void loadBucket(int index) {
            batch.clear();
            position = 0;
            long nowMs = System.currentTimeMillis();
            engine.bucket(index).visitAll(entry -> {
                Data<StoredKey> key = entry.key();
                RandomDataInput keyIn = key.bytes();
                if (keyIn.readLong(key.offset()) != handle.id) {
                    return true;
                }
                Data<StoredValue> value = entry.value();
                RandomDataInput valueIn = value.bytes();
                long expiresAt = valueIn.readLong(value.offset() + ValueLayout.EXPIRES_AT);
                if (expiresAt != 0 && expiresAt <= nowMs) {
                    return true;
                }
                byte[] keyBytes = new byte[(int) (key.size() - ValueLayout.KEY_PREFIX_BYTES)];
                keyIn.read(key.offset() + ValueLayout.KEY_PREFIX_BYTES, keyBytes, 0, keyBytes.length);
                byte[] valueBytes = new byte[(int) (value.size() - ValueLayout.HEADER_BYTES)];
                valueIn.read(value.offset() + ValueLayout.HEADER_BYTES, valueBytes, 0, valueBytes.length);
                batch.add(new byte[][] {keyBytes, valueBytes});
                return true;
            });
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
