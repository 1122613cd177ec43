package io.shoal;

import io.shoal.spi.Codec;

import java.util.Set;

/**
 * A running Shoal node inside this process, obtained from {@link Shoal#start}. Thread-safe.
 *
 * <p>{@link #close()} stops the node's components in the reverse order of their start, releases
 * the off-heap stores and returns when all its threads have ended. Maps of a closed node throw
 * {@link NodeClosedException}.
 */
public interface ShoalNode extends AutoCloseable {

    /** This node's stable id ({@code node.id}, or a generated one). */
    String nodeId();

    /**
     * The map called {@code name}, read and written through the given codecs. Calls with the same
     * name share the same data, whatever their codecs.
     *
     * @throws IllegalArgumentException if the name is empty, longer than 255 UTF-8 bytes or holds
     *     control characters
     */
    <K, V> ShoalMap<K, V> map(String name, Codec<K> keyCodec, Codec<V> valueCodec);

    /**
     * The map called {@code name} with codecs chosen by type: built-in codecs for {@code String},
     * {@code Long}, {@code Integer} and {@code byte[]}; Kryo for any other class, which must be
     * listed in {@code codec.kryo.classes} (registration is required, so that every node and
     * client agrees on class ids).
     *
     * @throws CodecException if a type has no codec (for example an unregistered class)
     */
    <K, V> ShoalMap<K, V> map(String name, Class<K> keyType, Class<V> valueType);

    /** Names of the maps that were opened on this node. */
    Set<String> mapNames();

    /** Current counters. Cheap enough to call once a second. */
    NodeStats stats();

    /** Whether {@link #close()} has been called. */
    boolean isClosed();

    /** Stops the node. Idempotent; blocks until every component has stopped. */
    @Override
    void close();
}
