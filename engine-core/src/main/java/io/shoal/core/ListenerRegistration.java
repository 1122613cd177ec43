package io.shoal.core;

import io.shoal.ChangeEvent;
import io.shoal.ChangeListener;
import io.shoal.ChangeType;
import io.shoal.spi.ChangeRecord;
import io.shoal.spi.Codec;

import java.util.Arrays;

/**
 * A typed listener of one map, with its filter (all keys, one key, or a key prefix). Subclasses
 * built with {@link #ListenerRegistration(Filter, byte[])} take the raw records instead (the
 * protocol server's remote subscriptions) and override {@link #deliver} and {@link #dropped}.
 */
class ListenerRegistration {
    enum Filter { ALL, KEY, PREFIX }

    private final Filter filter;
    private final byte[] keyBytes;
    private final ChangeListener<Object, Object> listener;
    private final Codec<Object> keyCodec;
    private final Codec<Object> valueCodec;

    /** For a subclass that overrides {@link #deliver} and {@link #dropped}. */
    ListenerRegistration(Filter filter, byte[] keyBytes) {
        this.filter = filter;
        this.keyBytes = keyBytes;
        this.listener = null;
        this.keyCodec = null;
        this.valueCodec = null;
    }

    @SuppressWarnings("unchecked")
    <K, V> ListenerRegistration(Filter filter, byte[] keyBytes, ChangeListener<K, V> listener, Codec<K> keyCodec,
                                Codec<V> valueCodec) {
        this.filter = filter;
        this.keyBytes = keyBytes;
        this.listener = (ChangeListener<Object, Object>) listener;
        this.keyCodec = (Codec<Object>) keyCodec;
        this.valueCodec = (Codec<Object>) valueCodec;
    }

    final boolean matches(byte[] key) {
        return switch (filter) {
            case ALL -> true;
            case KEY -> Arrays.equals(key, keyBytes);
            case PREFIX -> key.length >= keyBytes.length
                    && Arrays.equals(key, 0, keyBytes.length, keyBytes, 0, keyBytes.length);
        };
    }

    void deliver(ChangeRecord record) {
        Object key = keyCodec.decode(record.key(), 0, record.key().length);
        Object value = record.type().isRemoval() || record.value() == null
                ? null : valueCodec.decode(record.value(), 0, record.value().length);
        ChangeType type = record.type();
        listener.onChange(new ChangeEvent<>(record.mapName(), type, key, value, record.bucket(), record.sequence(),
                record.timestampMs()));
    }

    void dropped(long count) {
        listener.onEventsDropped(count);
    }
}
