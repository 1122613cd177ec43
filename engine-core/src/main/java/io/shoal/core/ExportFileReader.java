package io.shoal.core;

import io.shoal.spi.ByteSink;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;

import static io.shoal.core.ExportFormat.CRC_BYTES;
import static io.shoal.core.ExportFormat.END_BYTES;
import static io.shoal.core.ExportFormat.ENTRY_FIXED_BYTES;
import static io.shoal.core.ExportFormat.HEADER_FIXED_BYTES;

/**
 * Decodes an export file ({@code docs/formats.md} section 3) through one reused buffer, checking
 * as it goes: every length against the format's limits, the node's limits and the bytes left in the
 * file before it is used, every CRC before what it covers is trusted. The header and map table are
 * read by {@link #open}; then each {@link #next} reads one entry into the caller's buffers. A
 * problem stops it with {@link Damaged}, naming the offset of the structure that failed. Not
 * thread-safe.
 */
final class ExportFileReader implements Closeable {
    private static final int BUFFER_BYTES = 256 << 10;

    /** The file is not a valid export file (or not one this node can take); {@link #offset} says where. */
    static final class Damaged extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final long offset;

        Damaged(String problem, long offset) {
            super(problem, null, false, false);
            this.offset = offset;
        }
    }

    private final FileChannel channel;
    private final long fileBytes;
    private final int maxKeyBytes;
    private final int maxValueBytes;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
    private final CRC32C crc = new CRC32C();
    /** Offset in the file of the next unread byte (buffer.position()). */
    private long position;
    private long creationTimeMs;
    private List<String> mapNames;
    private long entriesRead;
    private boolean ended;
    private long entryOffset;
    private int mapIndex;
    private long expiresAtMs;
    private long timestampMs;

    private ExportFileReader(FileChannel channel, int maxKeyBytes, int maxValueBytes) throws IOException {
        this.channel = channel;
        this.fileBytes = channel.size();
        this.maxKeyBytes = maxKeyBytes;
        this.maxValueBytes = maxValueBytes;
        buffer.flip();
    }

    /**
     * Opens {@code file} and reads its header and map table.
     *
     * @param maxKeyBytes   the longest key accepted (the node's {@code store.maxKeyBytes})
     * @param maxValueBytes the longest value accepted (the node's {@code store.maxValueBytes})
     * @throws Damaged      if the header or the map table is not valid
     * @throws IOException  if the file cannot be opened or read
     */
    static ExportFileReader open(Path file, int maxKeyBytes, int maxValueBytes) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            ExportFileReader reader = new ExportFileReader(channel, maxKeyBytes, maxValueBytes);
            reader.readHeader();
            return reader;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private void readHeader() throws IOException {
        byte[] magic = new byte[ExportFormat.MAGIC.length];
        if (fileBytes < magic.length || !readFixed(magic.length) || !Arrays.equals(get(magic), ExportFormat.MAGIC)) {
            throw new Damaged("not a Shoal export file: it does not start with \"SHOALEXP\"", 0);
        }
        crc.reset();
        crc.update(magic);
        requireFixed(HEADER_FIXED_BYTES - magic.length, "the header", 0);
        crc.update(buffer.array(), buffer.arrayOffset() + buffer.position(), HEADER_FIXED_BYTES - magic.length);
        int version = Short.toUnsignedInt(buffer.getShort());
        if (version != ExportFormat.VERSION) {
            throw new Damaged("format version " + version + " is not supported (this node reads version "
                    + ExportFormat.VERSION + ")", magic.length);
        }
        creationTimeMs = buffer.getLong();
        long mapCount = Integer.toUnsignedLong(buffer.getInt());
        position += HEADER_FIXED_BYTES - magic.length;
        if (mapCount > ExportFormat.MAX_MAPS) {
            throw new Damaged("the header lists " + mapCount + " maps, more than the format allows ("
                    + ExportFormat.MAX_MAPS + ")", ExportFormat.MAP_COUNT_OFFSET);
        }
        if (2 * mapCount + CRC_BYTES > left()) {
            throw truncated("the header", 0, HEADER_FIXED_BYTES + 2 * mapCount + CRC_BYTES);
        }
        byte[][] names = new byte[(int) mapCount][];
        long[] nameOffsets = new long[names.length];
        for (int i = 0; i < names.length; i++) {
            nameOffsets[i] = position;
            requireFixed(1, "the header", 0);
            int length = Byte.toUnsignedInt(buffer.get());
            crc.update(length);
            position++;
            if (length == 0) {
                throw new Damaged("map name " + i + " is empty", nameOffsets[i]);
            }
            names[i] = new byte[length];
            readBytes(names[i], 0, length, "the header", 0);
        }
        requireFixed(CRC_BYTES, "the header", 0);
        checkCrc("header", 0);
        List<String> decoded = new ArrayList<>(names.length);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < names.length; i++) {
            String name = decodeName(names[i], nameOffsets[i]);
            try {
                MapRegistry.validate(name);
            } catch (IllegalArgumentException e) {
                throw new Damaged(e.getMessage(), nameOffsets[i]);
            }
            if (!seen.add(name)) {
                throw new Damaged("map \"" + name + "\" is listed twice", nameOffsets[i]);
            }
            decoded.add(name);
        }
        mapNames = List.copyOf(decoded);
    }

    /**
     * Reads the next entry: its key into {@code key} and its value into {@code value} (both reset
     * first), its other fields into this reader ({@link #mapIndex()}, ...).
     *
     * @return false at the end marker, once it and the end of the file have been checked
     * @throws Damaged     if the entry or the end marker is not valid, or the file ends before it
     * @throws IOException if the file cannot be read
     */
    boolean next(ByteSink key, ByteSink value) throws IOException {
        if (ended) {
            return false;
        }
        long offset = position;
        if (left() == 0) {
            throw new Damaged("the file is truncated: it ends after " + entriesRead
                    + " entries without the end marker", offset);
        }
        requireFixed(1, "the record", offset);
        byte kind = buffer.get(buffer.position());
        if (kind == ExportFormat.KIND_ENTRY) {
            readEntry(offset, key, value);
            return true;
        }
        if (kind == ExportFormat.KIND_END) {
            readEnd(offset);
            return false;
        }
        throw new Damaged("unknown record kind " + kind, offset);
    }

    private void readEntry(long offset, ByteSink key, ByteSink value) throws IOException {
        requireFixed(ENTRY_FIXED_BYTES, "the entry", offset);
        crc.reset();
        crc.update(buffer.array(), buffer.arrayOffset() + buffer.position(), ENTRY_FIXED_BYTES);
        buffer.get();
        long index = Integer.toUnsignedLong(buffer.getInt());
        long expiresAt = buffer.getLong();
        long timestamp = buffer.getLong();
        long keyLength = Integer.toUnsignedLong(buffer.getInt());
        long valueLength = Integer.toUnsignedLong(buffer.getInt());
        position += ENTRY_FIXED_BYTES;
        checkLength("key", keyLength, ExportFormat.MAX_KEY_BYTES, maxKeyBytes, "store.maxKeyBytes", offset);
        checkLength("value", valueLength, ExportFormat.MAX_VALUE_BYTES, maxValueBytes, "store.maxValueBytes", offset);
        long rest = keyLength + valueLength + CRC_BYTES;
        if (rest > left()) {
            throw truncated("the entry", offset, ENTRY_FIXED_BYTES + rest);
        }
        readInto(key, (int) keyLength, offset);
        readInto(value, (int) valueLength, offset);
        requireFixed(CRC_BYTES, "the entry", offset);
        checkCrc("entry", offset);
        if (index >= mapNames.size()) {
            throw new Damaged("the entry refers to map " + index + " but the header lists " + mapNames.size()
                    + " maps", offset);
        }
        entryOffset = offset;
        mapIndex = (int) index;
        expiresAtMs = expiresAt;
        timestampMs = timestamp;
        entriesRead++;
    }

    private void readEnd(long offset) throws IOException {
        requireFixed(END_BYTES, "the end marker", offset);
        crc.reset();
        crc.update(buffer.array(), buffer.arrayOffset() + buffer.position(), END_BYTES - CRC_BYTES);
        buffer.get();
        long count = buffer.getLong();
        position += END_BYTES - CRC_BYTES;
        checkCrc("end marker", offset);
        if (count != entriesRead) {
            throw new Damaged("the end marker counts " + count + " entries but the file holds " + entriesRead, offset);
        }
        if (left() > 0) {
            throw new Damaged("bytes follow the end marker (" + left() + ")", position);
        }
        ended = true;
    }

    private void checkLength(String what, long length, int formatLimit, int nodeLimit, String setting, long offset) {
        if (length > formatLimit) {
            throw new Damaged("impossible " + what + " length " + length + " (the format allows at most "
                    + formatLimit + ")", offset);
        }
        if (length > nodeLimit) {
            throw new Damaged(what + " of " + length + " bytes is larger than this node's " + setting + " = "
                    + nodeLimit, offset);
        }
    }

    private void checkCrc(String what, long offset) {
        int stored = buffer.getInt();
        position += CRC_BYTES;
        int computed = (int) crc.getValue();
        if (stored != computed) {
            throw new Damaged(what + " CRC mismatch: stored " + Integer.toHexString(stored) + ", computed "
                    + Integer.toHexString(computed), offset);
        }
    }

    private static String decodeName(byte[] bytes, long offset) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new Damaged("map name is not valid UTF-8", offset);
        }
    }

    private Damaged truncated(String what, long offset, long needed) {
        return new Damaged("the file is truncated: " + what + " needs " + needed + " bytes from offset " + offset
                + " but the file ends at offset " + fileBytes, offset);
    }

    /** Makes {@code count} bytes (at most the buffer's size) readable in the buffer; false at the end of the file. */
    private boolean readFixed(int count) throws IOException {
        if (buffer.remaining() >= count) {
            return true;
        }
        buffer.compact();
        try {
            while (buffer.position() < count) {
                if (channel.read(buffer) < 0) {
                    return false;
                }
            }
            return true;
        } finally {
            buffer.flip();
        }
    }

    private void requireFixed(int count, String what, long offset) throws IOException {
        if (count > left()) {
            throw truncated(what, offset, position - offset + count);
        }
        if (!readFixed(count)) {
            throw new Damaged("the file shrank while it was read", position);
        }
    }

    private byte[] get(byte[] into) {
        buffer.get(into);
        position += into.length;
        return into;
    }

    private void readInto(ByteSink sink, int length, long offset) throws IOException {
        sink.reset();
        readBytes(sink.ensure(length), 0, length, "the entry", offset);
        sink.advance(length);
    }

    /** Copies {@code length} bytes (already checked against the bytes left) and adds them to the CRC. */
    private void readBytes(byte[] into, int at, int length, String what, long offset) throws IOException {
        int done = 0;
        while (done < length) {
            if (!buffer.hasRemaining()) {
                requireFixed(1, what, offset);
            }
            int n = Math.min(length - done, buffer.remaining());
            buffer.get(into, at + done, n);
            done += n;
            position += n;
        }
        crc.update(into, at, length);
    }

    private long left() {
        return fileBytes - position;
    }

    long creationTimeMs() {
        return creationTimeMs;
    }

    /** The map table, in file order. */
    List<String> mapNames() {
        return mapNames;
    }

    /** Offset of the entry last read. */
    long entryOffset() {
        return entryOffset;
    }

    /** Index in {@link #mapNames()} of the entry last read. */
    int mapIndex() {
        return mapIndex;
    }

    long expiresAtMs() {
        return expiresAtMs;
    }

    long timestampMs() {
        return timestampMs;
    }

    /** Bytes read so far. */
    long position() {
        return position;
    }

    long fileBytes() {
        return fileBytes;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
