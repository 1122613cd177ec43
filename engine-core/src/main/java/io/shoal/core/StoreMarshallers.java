package io.shoal.core;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.hash.serialization.SizedReader;
import net.openhft.chronicle.hash.serialization.SizedWriter;
import net.openhft.chronicle.hash.serialization.impl.EnumMarshallable;

/**
 * Chronicle Map marshallers for {@link StoredKey} and {@link StoredValue}. Stateless singletons;
 * reading fills the caller's reusable holder, so lookups allocate nothing.
 */
final class StoreMarshallers {
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
            value.version = in.readLong();
            value.timestampMs = in.readLong();
            value.valueHash = in.readLong();
            value.expiresAtMs = in.readLong();
            value.lastAccessSeconds = in.readInt();
            value.frequency = in.readInt();
            in.read(value.ensureCapacity(length), 0, length);
            value.length = length;
            return value;
        }

        @Override
        public ValueMarshaller readResolve() {
            return INSTANCE;
        }
    }
}
