package io.shoal.persist.file;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * A forward-only window over one file, read in large chunks into one reused direct buffer, for
 * the recovery readers ({@link FileLogReader}, {@link FileSnapshot}). {@link #ensure} makes a byte
 * range available and returns its index in {@link #buffer()}; callers decode with absolute gets.
 * A range beyond what is buffered is read by moving the bytes still needed to the start of the
 * buffer and filling the rest with one or a few positional reads (as much as fits, up to the file
 * size given to {@link #reset}), so a file is read once, in order, whatever the record sizes.
 *
 * <p>Lengths: {@link #ensure} never allocates for a range it is not asked for, and callers ask only
 * for ranges they have checked against the format's limits and the bytes left in the file; a range
 * larger than the buffer grows it to exactly what is needed (at least doubling, up to
 * {@code maxBytes}). A grown buffer is kept until the window is dropped (one recovery).
 *
 * <p>Optionally keeps a running CRC32C of every byte read from offset 0 up to a given end (the
 * snapshot's file CRC): bytes are read once each and in order, so the running CRC sees each byte
 * of that range once, in order, as soon as it is read. Not thread-safe; single use per recovery.
 */
final class ReadWindow {
    static final int CHUNK_BYTES = 1 << 20;

    private final int maxBytes;
    private ByteBuffer buffer;
    private ByteBuffer view;
    private FileChannel channel;
    private long size;
    private long start; // file offset of buffer index 0
    private int end; // bytes of the buffer holding file data
    private CRC32C running;
    private long runningEnd;

    /** {@code maxBytes}: the largest range a caller may ask for (its format's largest frame). */
    ReadWindow(int maxBytes) {
        this.maxBytes = maxBytes;
        this.buffer = ByteBuffer.allocateDirect(Math.min(CHUNK_BYTES, maxBytes));
        this.view = buffer.duplicate();
    }

    /** Starts on a new file of {@code size} bytes, reading from offset 0; nothing is read yet. */
    ReadWindow reset(FileChannel file, long fileSize) {
        this.channel = file;
        this.size = fileSize;
        this.start = 0;
        this.end = 0;
        this.running = null;
        return this;
    }

    /**
     * From now on, feeds every byte read below file offset {@code endOffset} into {@code crc}.
     * Call before the first {@link #ensure} after {@link #reset}.
     */
    void checksumUpTo(CRC32C crc, long endOffset) {
        this.running = crc;
        this.runningEnd = endOffset;
    }

    /** The buffer; valid until the next {@link #ensure}. Big-endian; use absolute gets only. */
    ByteBuffer buffer() {
        return buffer;
    }

    /**
     * Makes file bytes {@code [offset, offset + n)} available and returns the buffer index of
     * {@code offset}. {@code offset} must not be below an offset ensured before (forward only), and
     * the caller must have checked {@code n <= size - offset} and {@code n <= maxBytes}.
     *
     * @throws EOFException if the file ends early (it shrank since its size was taken)
     */
    int ensure(long offset, int n) throws IOException {
        long relative = offset - start;
        if (relative >= 0 && relative + n <= end) {
            return (int) relative;
        }
        if (n > maxBytes || n > size - offset || relative < 0 || running != null && relative > end) {
            throw new IllegalArgumentException("range of " + n + " bytes at " + offset + " in a file of " + size
                    + " bytes (window at " + start + " to " + (start + end) + ", limit " + maxBytes + ")");
        }
        int keep = relative < end ? end - (int) relative : 0;
        if (n > buffer.capacity()) {
            ByteBuffer grown = ByteBuffer.allocateDirect((int) Math.max(n, Math.min(2L * buffer.capacity(), maxBytes)));
            if (keep > 0) {
                grown.put(buffer.duplicate().limit(end).position((int) relative));
            }
            buffer = grown;
            view = grown.duplicate();
        } else if (keep > 0) {
            buffer.limit(end).position((int) relative);
            buffer.compact();
        }
        start = offset;
        end = keep;
        long readAt = start + end;
        buffer.limit((int) Math.min(buffer.capacity(), size - start)).position(end);
        while (end < n) {
            int read = channel.read(buffer, readAt);
            if (read < 0) {
                throw new EOFException("unexpected end of file at offset " + readAt + " (expected " + size + " bytes)");
            }
            if (running != null && readAt < runningEnd) {
                int counted = (int) Math.min(read, runningEnd - readAt);
                running.update(view.limit(end + counted).position(end));
            }
            end += read;
            readAt += read;
        }
        buffer.clear();
        return 0;
    }

    /** Feeds buffer bytes {@code [index, index + n)} into {@code crc}. */
    void update(CRC32C crc, int index, int n) {
        crc.update(view.limit(index + n).position(index));
    }

    /** Copies buffer bytes {@code [index, index + into.length)} into {@code into}. */
    void copy(int index, byte[] into) {
        buffer.get(index, into);
    }

    /** File offset just past the bytes read so far. */
    long readUpTo() {
        return start + end;
    }
}
