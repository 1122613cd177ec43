package io.shoal.core;

import io.shoal.CodecException;
import io.shoal.internal.AbstractMapView;
import net.openhft.chronicle.bytes.RandomDataInput;
import net.openhft.chronicle.hash.Data;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentMap;

/**
 * The {@link ConcurrentMap} view of a {@link ShoalMapImpl}; the common semantics (CAS loops for
 * the two-argument {@code remove}/{@code replace}, nulls refused, foreign keys "absent") are
 * {@link AbstractMapView}'s. Single-key operations map onto the engine's atomic operations,
 * {@code put} and {@code remove} included (they return the previous value in one step). Iteration
 * takes one bucket at a time: it copies that bucket's live entries of this map, then hands them
 * out, so it is weakly consistent and never throws ConcurrentModificationException.
 * {@code clear} removes entry after entry (ShoalMapImpl.clear is this view's clear).
 */
final class MapView<K, V> extends AbstractMapView<K, V> {
    private final ShoalMapImpl<K, V> impl;
    private final LocalEngine engine;
    private final MapHandle handle;

    MapView(ShoalMapImpl<K, V> map, LocalEngine engine, MapHandle handle) {
        super(map);
        this.impl = map;
        this.engine = engine;
        this.handle = handle;
    }

    @Override
    public V put(K key, V value) {
        return impl.putReturningPrevious(key, value);
    }

    @Override
    protected V removeReturningPrevious(K key) {
        return impl.removeReturningPrevious(key);
    }

    @Override
    protected boolean refusesKey(K key) {
        try {
            impl.withKey(key);
            return false;
        } catch (CodecException e) {
            return true;
        }
    }

    @Override
    protected EntryIterator<byte[][]> entryIterator() {
        return new BucketIterator();
    }

    private final class BucketIterator extends EntryIterator<byte[][]> {
        private final List<byte[][]> batch = new ArrayList<>();
        private int nextBucket;
        private int position;

        @Override
        public boolean hasNext() {
            while (position >= batch.size() && nextBucket < engine.bucketCount()) {
                loadBucket(nextBucket++);
            }
            return position < batch.size();
        }

        @Override
        protected byte[][] nextRaw() {
            return batch.get(position++);
        }

        @Override
        protected K decodeKey(byte[][] raw) {
            return impl.decodeKey(raw[0]);
        }

        @Override
        protected V decodeValue(byte[][] raw) {
            StoredValue value = new StoredValue();
            value.bytes = raw[1];
            value.length = raw[1].length;
            return impl.decodeValue(value);
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
}
