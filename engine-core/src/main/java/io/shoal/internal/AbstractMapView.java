package io.shoal.internal;

import io.shoal.CodecException;
import io.shoal.ShoalEntry;
import io.shoal.ShoalMap;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * Shoal-internal, shared by the node (io.shoal.core) and the Java client (io.shoal.client); not an
 * API: may change in any release.
 *
 * <p>The {@link ConcurrentMap} view of a {@link ShoalMap}, the logic common to the node's view and
 * the client's. The two-argument {@code remove} and the {@code replace}s compare values by reading
 * the entry's version and then acting only at that version, retrying if it changed (the
 * {@code compute}/{@code merge} defaults of {@link ConcurrentMap} build on these, so they are
 * atomic per key too). Like {@link java.util.concurrent.ConcurrentHashMap}, nulls are refused with
 * NullPointerException (keys, values and queries, including {@code containsValue}), and a query
 * with a key the map's codec cannot encode (a key of another type) answers "absent". Iteration is
 * the subclass's ({@link #entryIterator()}); its entries write through to the map on
 * {@code setValue}, and its {@code remove} removes the last key returned.
 *
 * <p>Hooks for what differs: {@link #put} and {@link #removeReturningPrevious}, which return the
 * previous value; {@link #refusesKey} and {@link #isKeyRefusal}, which tell a foreign key from
 * stored bytes that cannot be decoded; {@link #entryIterator()}; and {@link #clear()}, by default
 * removing entry after entry through the iterator.
 */
public abstract class AbstractMapView<K, V> extends AbstractMap<K, V> implements ConcurrentMap<K, V> {
    protected static final int MAX_CAS_ATTEMPTS = 100_000;
    protected final ShoalMap<K, V> map;
    private final EntrySet entrySet = new EntrySet();

    protected AbstractMapView(ShoalMap<K, V> map) {
        this.map = map;
    }

    /** Put, returning the previous live value; atomic per key. */
    @Override
    public abstract V put(K key, V value);

    /** Remove, returning the removed live value; atomic per key. The key is not null. */
    protected abstract V removeReturningPrevious(K key);

    /**
     * Whether the map's codec refuses the key (for example a key of another type), in which case no
     * entry can have it: queries then answer "absent", as {@link Map} allows, instead of throwing.
     * Only called after an operation failed with an exception {@link #isKeyRefusal} accepts, to tell
     * such a key from stored bytes that cannot be decoded (which must still throw).
     */
    protected abstract boolean refusesKey(K key);

    /** Whether a query's failure may come from the codec refusing the key (then {@link #refusesKey} decides). */
    protected boolean isKeyRefusal(RuntimeException e) {
        return e instanceof CodecException;
    }

    /** A new weakly consistent iterator over the live entries; never throws ConcurrentModificationException. */
    protected abstract EntryIterator<?> entryIterator();

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
    public V remove(Object key) {
        K k = castKey(key);
        return unlessForeign(k, null, () -> removeReturningPrevious(k));
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

    /** Removes entry after entry through the iterator; a subclass may clear in one step instead. */
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
     * when the codec fails to encode it (see {@link #refusesKey}).
     */
    @SuppressWarnings("unchecked")
    private K castKey(Object key) {
        return (K) Objects.requireNonNull(key, "key");
    }

    /** The query's answer, or {@code absent} if it failed because the key is foreign. */
    private <R> R unlessForeign(K key, R absent, Supplier<R> query) {
        try {
            return query.get();
        } catch (RuntimeException e) {
            if (isKeyRefusal(e) && refusesKey(key)) {
                return absent;
            }
            throw e;
        }
    }

    /**
     * The view's iterator over raw entries of type {@code R}: the subclass finds them
     * ({@link #hasNext}, {@link #nextRaw}) and decodes them; this class hands out write-through
     * entries and removes the last key returned.
     */
    protected abstract class EntryIterator<R> implements Iterator<Map.Entry<K, V>> {
        private K lastKey;

        /** The next raw entry; called only after {@link #hasNext} answered true. */
        protected abstract R nextRaw();

        protected abstract K decodeKey(R raw);

        protected abstract V decodeValue(R raw);

        @Override
        public final Map.Entry<K, V> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            R raw = nextRaw();
            K key = decodeKey(raw);
            lastKey = key;
            return new WriteThroughEntry(key, decodeValue(raw));
        }

        @Override
        public final void remove() {
            if (lastKey == null) {
                throw new IllegalStateException("next() has not been called, or remove() was already called");
            }
            map.remove(lastKey);
            lastKey = null;
        }
    }

    private final class EntrySet extends AbstractSet<Map.Entry<K, V>> {
        @Override
        public Iterator<Map.Entry<K, V>> iterator() {
            return entryIterator();
        }

        @Override
        public int size() {
            return AbstractMapView.this.size();
        }

        @Override
        public boolean isEmpty() {
            return AbstractMapView.this.isEmpty();
        }

        @Override
        public void clear() {
            AbstractMapView.this.clear();
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
            return AbstractMapView.this.remove(e.getKey(), e.getValue());
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
