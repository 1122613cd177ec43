package io.shoal.spi;

/**
 * Turns keys or values into bytes and back. The bytes of a key decide its hash and bucket, so a
 * key codec must be deterministic: equal keys must always encode to equal bytes, on every node
 * and in every client.
 *
 * <p><b>Threading.</b> Called on the thread of the map operation, concurrently from many threads:
 * implementations must be thread-safe (stateless, or with per-thread state). They must not block.
 *
 * <p><b>Errors.</b> Throw {@link io.shoal.CodecException} for a value that cannot be encoded or
 * bytes that cannot be decoded; the operation fails with it and has no effect.
 *
 * <p>Built-in codecs: {@link io.shoal.Codecs}. The default for other classes is Kryo, with class
 * registration required ({@code codec.kryo.classes}).
 *
 * @param <T> the type encoded
 */
public interface Codec<T> {

    /** Appends the bytes of {@code value} (never {@code null}) to {@code out}. */
    void encode(T value, ByteSink out);

    /**
     * Reads a value from {@code bytes[offset, offset + length)}. The array may be reused by the
     * caller after this returns: copy what the result keeps.
     */
    T decode(byte[] bytes, int offset, int length);
}
