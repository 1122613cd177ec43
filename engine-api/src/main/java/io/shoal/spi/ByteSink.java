package io.shoal.spi;

import java.util.Arrays;

/**
 * A growable byte buffer that codecs append to. The engine keeps one per thread and
 * {@linkplain #reset() resets} it before each use, so encoding allocates nothing once the buffer
 * has grown to the largest value seen. Not thread-safe.
 */
public final class ByteSink {
    private static final int MAX_CAPACITY = Integer.MAX_VALUE - 16;
    private byte[] bytes;
    private int length;

    public ByteSink() {
        this(256);
    }

    public ByteSink(int initialCapacity) {
        if (initialCapacity < 0) {
            throw new IllegalArgumentException("initialCapacity " + initialCapacity + " is negative");
        }
        bytes = new byte[initialCapacity];
    }

    /** Forgets the content; keeps the capacity. */
    public ByteSink reset() {
        length = 0;
        return this;
    }

    /** Bytes written since the last reset. */
    public int length() {
        return length;
    }

    /** The backing array; valid bytes are {@code [0, length())}. Changes on growth. */
    public byte[] array() {
        return bytes;
    }

    /** A copy of the valid bytes. */
    public byte[] toByteArray() {
        return Arrays.copyOf(bytes, length);
    }

    public ByteSink write(byte b) {
        ensure(1);
        bytes[length++] = b;
        return this;
    }

    public ByteSink write(byte[] src) {
        return write(src, 0, src.length);
    }

    public ByteSink write(byte[] src, int offset, int count) {
        java.util.Objects.checkFromIndexSize(offset, count, src.length);
        ensure(count);
        System.arraycopy(src, offset, bytes, length, count);
        length += count;
        return this;
    }

    /** Appends {@code value} big-endian. */
    public ByteSink writeLong(long value) {
        ensure(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            bytes[length++] = (byte) (value >>> shift);
        }
        return this;
    }

    /** Appends {@code value} big-endian. */
    public ByteSink writeInt(int value) {
        ensure(4);
        bytes[length++] = (byte) (value >>> 24);
        bytes[length++] = (byte) (value >>> 16);
        bytes[length++] = (byte) (value >>> 8);
        bytes[length++] = (byte) value;
        return this;
    }

    /**
     * Makes room for {@code count} more bytes and returns the backing array, to be filled from
     * {@link #length()} on and committed with {@link #advance(int)}.
     */
    public byte[] ensure(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("count " + count + " is negative");
        }
        long needed = (long) length + count;
        if (needed > bytes.length) {
            if (needed > MAX_CAPACITY) {
                throw new IllegalStateException("ByteSink cannot grow to " + needed + " bytes");
            }
            bytes = Arrays.copyOf(bytes, (int) Math.min(MAX_CAPACITY, Math.max(needed, bytes.length * 2L)));
        }
        return bytes;
    }

    /** Commits {@code count} bytes written directly into {@link #ensure(int)}'s array. */
    public ByteSink advance(int count) {
        if (count < 0 || count > bytes.length - length) {
            throw new IllegalArgumentException("cannot advance by " + count + " at " + length + " of " + bytes.length);
        }
        length += count;
        return this;
    }
}
