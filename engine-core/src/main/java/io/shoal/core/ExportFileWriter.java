package io.shoal.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32C;

import static io.shoal.core.ExportFormat.CRC_BYTES;
import static io.shoal.core.ExportFormat.ENTRY_FIXED_BYTES;
import static io.shoal.core.ExportFormat.HEADER_FIXED_BYTES;

/**
 * Encodes an export file ({@code docs/formats.md} section 3) into a channel through one reused
 * buffer: the header and map table when constructed, then one {@link #entry} per entry, then
 * {@link #finish}. Keys and values larger than the buffer go to the channel directly. Not
 * thread-safe.
 */
final class ExportFileWriter {
    private static final int BUFFER_BYTES = 256 << 10;

    private final WritableByteChannel out;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
    private final ByteBuffer fields = ByteBuffer.allocate(ENTRY_FIXED_BYTES);
    private final CRC32C crc = new CRC32C();
    private long entries;
    private long bytesWritten;

    /**
     * Writes the header.
     *
     * @param mapNames the map table, in order: an entry refers to a map by its index in this list
     */
    ExportFileWriter(WritableByteChannel out, long creationTimeMs, List<String> mapNames) throws IOException {
        if (mapNames.size() > ExportFormat.MAX_MAPS) {
            throw new IllegalArgumentException(mapNames.size() + " maps are more than an export file holds ("
                    + ExportFormat.MAX_MAPS + ")");
        }
        this.out = out;
        crc.reset();
        fields.clear();
        fields.put(ExportFormat.MAGIC).putShort((short) ExportFormat.VERSION).putLong(creationTimeMs)
                .putInt(mapNames.size());
        write(fields.array(), 0, HEADER_FIXED_BYTES);
        for (String name : mapNames) {
            byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            if (bytes.length < 1 || bytes.length > ExportFormat.MAX_MAP_NAME_BYTES) {
                throw new IllegalArgumentException("map name \"" + name + "\" is not 1 to "
                        + ExportFormat.MAX_MAP_NAME_BYTES + " UTF-8 bytes long");
            }
            fields.array()[0] = (byte) bytes.length;
            write(fields.array(), 0, 1);
            write(bytes, 0, bytes.length);
        }
        writeCrc();
    }

    /** Appends one entry of the map at {@code mapIndex} in the map table. */
    void entry(int mapIndex, byte[] key, int keyLength, byte[] value, int valueLength, long expiresAtMs,
               long timestampMs) throws IOException {
        crc.reset();
        fields.clear();
        fields.put(ExportFormat.KIND_ENTRY).putInt(mapIndex).putLong(expiresAtMs).putLong(timestampMs)
                .putInt(keyLength).putInt(valueLength);
        write(fields.array(), 0, ENTRY_FIXED_BYTES);
        write(key, 0, keyLength);
        write(value, 0, valueLength);
        writeCrc();
        entries++;
    }

    /** Appends the end marker and writes out what is buffered; returns the size of the file. */
    long finish() throws IOException {
        crc.reset();
        fields.clear();
        fields.put(ExportFormat.KIND_END).putLong(entries);
        write(fields.array(), 0, ExportFormat.END_BYTES - CRC_BYTES);
        writeCrc();
        flush();
        return bytesWritten;
    }

    long entries() {
        return entries;
    }

    /** Bytes of the file so far, buffered ones included. */
    long bytesWritten() {
        return bytesWritten;
    }

    private void write(byte[] bytes, int offset, int length) throws IOException {
        crc.update(bytes, offset, length);
        if (length > buffer.remaining()) {
            flush();
            if (length > buffer.capacity()) {
                writeFully(ByteBuffer.wrap(bytes, offset, length));
                bytesWritten += length;
                return;
            }
        }
        buffer.put(bytes, offset, length);
        bytesWritten += length;
    }

    private void writeCrc() throws IOException {
        if (buffer.remaining() < CRC_BYTES) {
            flush();
        }
        buffer.putInt((int) crc.getValue());
        bytesWritten += CRC_BYTES;
    }

    private void flush() throws IOException {
        buffer.flip();
        writeFully(buffer);
        buffer.clear();
    }

    private void writeFully(ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }
}
