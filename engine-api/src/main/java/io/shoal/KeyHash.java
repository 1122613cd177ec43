package io.shoal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The canonical 64-bit key hash of Shoal ("key hash v1").
 *
 * <p><b>What it is.</b> Every key stored in Shoal is first turned into bytes by its codec
 * (for {@code String} keys: the UTF-8 bytes; for {@code long} keys: the 8 bytes big-endian;
 * in general the codec defines the bytes). Those bytes are hashed with this class, and the
 * resulting 64-bit value decides which bucket (and therefore which owner, store segment and
 * lock) the entry belongs to. The hash is computed on every map operation, so the
 * {@code byte[]} variants are allocation-free and branch-light.
 *
 * <p><b>Algorithm.</b> The hash is <a href="https://github.com/Cyan4973/xxHash">XXH64</a>
 * exactly as the xxHash specification defines it, with <b>seed 0</b>, reading the input in
 * <b>little-endian</b> byte order. The result is the same 64-bit value as the reference
 * implementation's {@code XXH64(data, len, 0)}; printed as an unsigned 16-digit hex number,
 * e.g. the empty input hashes to {@code ef46db3751d8e999} and {@code "abc"} to
 * {@code 44bc2cf5ad770999}.
 *
 * <p><b>Cross-language contract.</b> This is a wire- and storage-level contract, not an
 * implementation detail: clients in any language (and any future version of Shoal) that
 * route keys to buckets <em>must</em> compute exactly the same value for the same key bytes.
 * Changing the algorithm, the seed or the byte order would require a new, explicitly
 * versioned key hash. The full, language-neutral specification with step-by-step algorithm and
 * test vectors is in {@code docs/keyhash.md} at the root of the Shoal repository; the unit test
 * {@code KeyHashTest} reads its test vectors from that document so the two cannot drift.
 *
 * <p><b>Buckets.</b> The bucket count is always a power of two, and the bucket of a key is
 * the low bits of its hash: {@code bucket = hash & (bucketCount - 1)}, see
 * {@link #bucketOf(long, int)}.
 *
 * <p><b>Thread safety.</b> The class is stateless (it holds only immutable constants), so all
 * methods are safe to call concurrently from any number of threads. The caller must not
 * modify an array or buffer while it is being hashed.
 *
 * @see <a href="https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md">xxHash
 *      specification</a>
 */
public final class KeyHash {

    /** The seed used by key hash v1. Always 0. */
    public static final long SEED = 0L;

    /** The largest permitted bucket count, 2<sup>30</sup>. */
    public static final int MAX_BUCKET_COUNT = 1 << 30;

    static final long PRIME64_1 = 0x9E3779B185EBCA87L;
    static final long PRIME64_2 = 0xC2B2AE3D27D4EB4FL;
    static final long PRIME64_3 = 0x165667B19E3779F9L;
    static final long PRIME64_4 = 0x85EBCA77C2B2AE63L;
    static final long PRIME64_5 = 0x27D4EB2F165667C5L;

    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private KeyHash() {
        throw new AssertionError("no instances");
    }

    /**
     * Hashes all bytes of {@code bytes}.
     *
     * @param bytes the key bytes, not null
     * @return the XXH64 (seed 0) hash of the bytes
     * @throws NullPointerException if {@code bytes} is null
     */
    public static long hash(byte[] bytes) {
        return hashArray(bytes, 0, bytes.length);
    }

    /**
     * Hashes {@code length} bytes of {@code bytes} starting at {@code offset}. Does not allocate.
     *
     * @param bytes  the array holding the key bytes, not null
     * @param offset index of the first byte to hash
     * @param length number of bytes to hash
     * @return the XXH64 (seed 0) hash of {@code bytes[offset .. offset+length)}
     * @throws NullPointerException      if {@code bytes} is null
     * @throws IndexOutOfBoundsException if {@code offset} or {@code length} is negative or
     *                                   {@code offset + length > bytes.length}
     */
    public static long hash(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        return hashArray(bytes, offset, length);
    }

    /**
     * Hashes the remaining bytes of {@code buffer} (from its position to its limit) without
     * changing its position, limit or mark. Works for heap, direct and read-only buffers, and
     * does not depend on the buffer's {@link ByteBuffer#order() byte order} setting.
     *
     * @param buffer the buffer holding the key bytes, not null
     * @return the XXH64 (seed 0) hash of the remaining bytes
     * @throws NullPointerException if {@code buffer} is null
     */
    public static long hash(ByteBuffer buffer) {
        int position = buffer.position();
        int length = buffer.limit() - position;
        if (buffer.hasArray()) {
            return hashArray(buffer.array(), buffer.arrayOffset() + position, length);
        }
        return hashBuffer(buffer, position, length);
    }

    /**
     * Hashes the UTF-8 encoding of {@code s} (the bytes a {@code String} key codec produces).
     * Unpaired surrogates are encoded as {@code '?'}, as {@link String#getBytes} does. May
     * allocate.
     *
     * @param s the text, not null
     * @return the XXH64 (seed 0) hash of the UTF-8 bytes of {@code s}
     * @throws NullPointerException if {@code s} is null
     */
    public static long hashUtf8(CharSequence s) {
        byte[] utf8 = s.toString().getBytes(StandardCharsets.UTF_8);
        return hashArray(utf8, 0, utf8.length);
    }

    /**
     * Returns the bucket of a key with hash {@code keyHash} among {@code bucketCount} buckets:
     * {@code (int) (keyHash & (bucketCount - 1))}, i.e. the low bits of the hash.
     *
     * @param keyHash     the key hash, as returned by one of the {@code hash} methods
     * @param bucketCount the number of buckets: a power of two in {@code [1, 2^30]}
     * @return the bucket index, in {@code [0, bucketCount)}
     * @throws IllegalArgumentException if {@code bucketCount} is not a positive power of two
     *                                  no larger than 2<sup>30</sup>
     */
    public static int bucketOf(long keyHash, int bucketCount) {
        if (bucketCount <= 0 || (bucketCount & (bucketCount - 1)) != 0
                || bucketCount > MAX_BUCKET_COUNT) {
            throw new IllegalArgumentException("bucketCount must be a power of two in [1, 2^30], got "
                    + bucketCount);
        }
        return (int) (keyHash & (bucketCount - 1));
    }

    // ---------------------------------------------------------------------------------------
    // Implementation. Bounds are checked by the callers; the VarHandle accesses still check
    // their own indexes, so a bug here fails loudly rather than reading out of bounds.

    private static long hashArray(byte[] b, int off, int len) {
        int p = off;
        final int end = off + len;
        long acc;
        if (len >= 32) {
            long v1 = SEED + PRIME64_1 + PRIME64_2;
            long v2 = SEED + PRIME64_2;
            long v3 = SEED;
            long v4 = SEED - PRIME64_1;
            final int limit = end - 32;
            do {
                v1 = round(v1, (long) LONG_LE.get(b, p));
                v2 = round(v2, (long) LONG_LE.get(b, p + 8));
                v3 = round(v3, (long) LONG_LE.get(b, p + 16));
                v4 = round(v4, (long) LONG_LE.get(b, p + 24));
                p += 32;
            } while (p <= limit);
            acc = convergeAccumulators(v1, v2, v3, v4);
        } else {
            acc = SEED + PRIME64_5;
        }
        acc += len;
        while (p <= end - 8) {
            acc = mixLane(acc, (long) LONG_LE.get(b, p));
            p += 8;
        }
        if (p <= end - 4) {
            acc = mixInt(acc, (int) INT_LE.get(b, p));
            p += 4;
        }
        while (p < end) {
            acc = mixByte(acc, b[p]);
            p++;
        }
        return avalanche(acc);
    }

    private static long hashBuffer(ByteBuffer buf, int off, int len) {
        // Absolute reads do not move the position. getLong/getInt honour buf.order(); convert
        // to little-endian by reversing when the buffer is set to big-endian.
        final boolean swap = buf.order() != ByteOrder.LITTLE_ENDIAN;
        int p = off;
        final int end = off + len;
        long acc;
        if (len >= 32) {
            long v1 = SEED + PRIME64_1 + PRIME64_2;
            long v2 = SEED + PRIME64_2;
            long v3 = SEED;
            long v4 = SEED - PRIME64_1;
            final int limit = end - 32;
            do {
                v1 = round(v1, readLong(buf, p, swap));
                v2 = round(v2, readLong(buf, p + 8, swap));
                v3 = round(v3, readLong(buf, p + 16, swap));
                v4 = round(v4, readLong(buf, p + 24, swap));
                p += 32;
            } while (p <= limit);
            acc = convergeAccumulators(v1, v2, v3, v4);
        } else {
            acc = SEED + PRIME64_5;
        }
        acc += len;
        while (p <= end - 8) {
            acc = mixLane(acc, readLong(buf, p, swap));
            p += 8;
        }
        if (p <= end - 4) {
            int v = buf.getInt(p);
            acc = mixInt(acc, swap ? Integer.reverseBytes(v) : v);
            p += 4;
        }
        while (p < end) {
            acc = mixByte(acc, buf.get(p));
            p++;
        }
        return avalanche(acc);
    }

    private static long readLong(ByteBuffer buf, int index, boolean swap) {
        long v = buf.getLong(index);
        return swap ? Long.reverseBytes(v) : v;
    }

    private static long round(long acc, long lane) {
        acc += lane * PRIME64_2;
        acc = Long.rotateLeft(acc, 31);
        return acc * PRIME64_1;
    }

    private static long mergeAccumulator(long acc, long v) {
        acc ^= round(0, v);
        return acc * PRIME64_1 + PRIME64_4;
    }

    private static long convergeAccumulators(long v1, long v2, long v3, long v4) {
        long acc = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7)
                + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
        acc = mergeAccumulator(acc, v1);
        acc = mergeAccumulator(acc, v2);
        acc = mergeAccumulator(acc, v3);
        acc = mergeAccumulator(acc, v4);
        return acc;
    }

    private static long mixLane(long acc, long lane) {
        acc ^= round(0, lane);
        return Long.rotateLeft(acc, 27) * PRIME64_1 + PRIME64_4;
    }

    private static long mixInt(long acc, int lane) {
        acc ^= (lane & 0xFFFFFFFFL) * PRIME64_1;
        return Long.rotateLeft(acc, 23) * PRIME64_2 + PRIME64_3;
    }

    private static long mixByte(long acc, byte lane) {
        acc ^= (lane & 0xFFL) * PRIME64_5;
        return Long.rotateLeft(acc, 11) * PRIME64_1;
    }

    private static long avalanche(long acc) {
        acc ^= acc >>> 33;
        acc *= PRIME64_2;
        acc ^= acc >>> 29;
        acc *= PRIME64_3;
        acc ^= acc >>> 32;
        return acc;
    }
}
