package io.shoal.core;

import net.openhft.chronicle.algo.hashing.LongHashFunction;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.RandomDataInput;
import net.openhft.chronicle.bytes.internal.HeapBytesStore;
import net.openhft.chronicle.hash.AbstractData;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.hash.serialization.DataAccess;
import net.openhft.chronicle.wire.WireIn;
import net.openhft.chronicle.wire.WireOut;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import net.openhft.chronicle.hash.serialization.SizedReader;
import net.openhft.chronicle.hash.serialization.SizedWriter;
import net.openhft.chronicle.hash.serialization.impl.EnumMarshallable;

/**
 * Chronicle Map marshallers for {@link StoredKey} and {@link StoredValue}, and the key's
 * {@link DataAccess}. Reading fills the caller's reusable holder, so lookups allocate nothing; a
 * lookup key is laid out once in a buffer that Chronicle reads in place (no serialization pass).
 */
final class StoreMarshallers {
    /** Chronicle Bytes write in the platform's order; these read the header back the same way. */
    static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private StoreMarshallers() {
    }

    static final class KeyMarshaller implements SizedReader<StoredKey>, SizedWriter<StoredKey>,
            EnumMarshallable<KeyMarshaller> {
        static final KeyMarshaller INSTANCE = new KeyMarshaller();

        private KeyMarshaller() {
        }

        @Override
        public long size(StoredKey key) {
            return ValueLayout.KEY_PREFIX_BYTES + key.length;
        }

        @Override
        public void write(Bytes<?> out, long size, StoredKey key) {
            out.writeLong(key.mapId);
            out.write(key.bytes, 0, key.length);
        }

        @Override
        public StoredKey read(Bytes<?> in, long size, StoredKey using) {
            int length = (int) (size - ValueLayout.KEY_PREFIX_BYTES);
            StoredKey key = using != null ? using : new StoredKey();
            key.mapId = in.readLong();
            if (key.bytes == null || key.bytes.length < length) {
                key.bytes = new byte[Math.max(length, 16)];
            }
            in.read(key.bytes, 0, length);
            key.length = length;
            return key;
        }

        @Override
        public KeyMarshaller readResolve() {
            return INSTANCE;
        }
    }

    static final class ValueMarshaller implements SizedReader<StoredValue>, SizedWriter<StoredValue>,
            EnumMarshallable<ValueMarshaller> {
        static final ValueMarshaller INSTANCE = new ValueMarshaller();

        private ValueMarshaller() {
        }

        @Override
        public long size(StoredValue value) {
            return ValueLayout.HEADER_BYTES + value.length;
        }

        @Override
        public void write(Bytes<?> out, long size, StoredValue value) {
            out.writeLong(value.version);
            out.writeLong(value.timestampMs);
            out.writeLong(value.valueHash);
            out.writeLong(value.expiresAtMs);
            out.writeInt(value.lastAccessSeconds);
            out.writeInt(value.frequency);
            out.write(value.bytes, 0, value.length);
        }

        @Override
        public StoredValue read(Bytes<?> in, long size, StoredValue using) {
            int length = (int) (size - ValueLayout.HEADER_BYTES);
            StoredValue value = using != null ? using : new StoredValue();
            byte[] header = value.header;
            in.read(header, 0, ValueLayout.HEADER_BYTES); // one bounds-checked copy, not six reads
            value.version = (long) LONG.get(header, ValueLayout.VERSION);
            value.timestampMs = (long) LONG.get(header, ValueLayout.TIMESTAMP);
            value.valueHash = (long) LONG.get(header, ValueLayout.VALUE_HASH);
            value.expiresAtMs = (long) LONG.get(header, ValueLayout.EXPIRES_AT);
            value.lastAccessSeconds = (int) INT.get(header, ValueLayout.LAST_ACCESS);
            value.frequency = (int) INT.get(header, ValueLayout.FREQUENCY);
            in.read(value.ensureCapacity(length), 0, length);
            value.length = length;
            return value;
        }

        @Override
        public ValueMarshaller readResolve() {
            return INSTANCE;
        }
    }

    /**
     * Hands Chronicle a lookup key as {@code [mapId | key bytes]} in a per-context buffer wrapped
     * once, instead of serializing it through {@code Bytes} on every lookup. Chronicle makes one
     * instance per query context ({@link #copy()}), so it is never shared between threads.
     */
    static final class KeyDataAccess extends AbstractData<StoredKey> implements DataAccess<StoredKey> {
        private transient byte[] buffer;
        private transient HeapBytesStore<byte[]> store;
        private transient int size;
        private transient StoredKey key;

        KeyDataAccess() {
            wrap(64);
        }

        private void wrap(int capacity) {
            buffer = new byte[capacity];
            store = HeapBytesStore.wrap(buffer);
        }

        @Override
        public Data<StoredKey> getData(StoredKey instance) {
            key = instance;
            int n = ValueLayout.KEY_PREFIX_BYTES + instance.length;
            if (buffer.length < n) {
                wrap(Math.max(n, buffer.length * 2));
            }
            LONG.set(buffer, 0, instance.mapId);
            System.arraycopy(instance.bytes, 0, buffer, ValueLayout.KEY_PREFIX_BYTES, instance.length);
            size = n;
            return this;
        }

        @Override
        public RandomDataInput bytes() {
            return store;
        }

        @Override
        public long offset() {
            return store.start();
        }

        @Override
        public long size() {
            return size;
        }

        /**
         * The same hash as {@link Data}'s default, which reads the bytes through bounds-checked
         * interface calls: here they are hashed straight from the array (a sixth of a put's CPU
         * before).
         */
        @Override
        public long hash(LongHashFunction f) {
            return f.hashBytes(buffer, 0, size);
        }

        @Override
        public StoredKey get() {
            return key;
        }

        @Override
        public StoredKey getUsing(StoredKey using) {
            StoredKey k = using != null ? using : new StoredKey();
            return k.set(key.mapId, Arrays.copyOf(key.bytes, key.length), key.length);
        }

        @Override
        public void uninit() {
            key = null;
        }

        @Override
        public DataAccess<StoredKey> copy() {
            return new KeyDataAccess();
        }

        @Override
        public void writeMarshallable(WireOut wireOut) {
        }

        @Override
        public void readMarshallable(WireIn wireIn) {
            wrap(64);
        }
    }
}
