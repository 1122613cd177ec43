package io.shoal.core;

import java.nio.charset.StandardCharsets;

/**
 * Constants of the export file format, specified in {@code docs/formats.md} section 3 (the
 * writer, {@link ExportFileWriter}, and the reader, {@link ExportFileReader}, must obey it). All
 * integers are big-endian; every byte of a file is covered by exactly one CRC32C.
 */
final class ExportFormat {
    static final byte[] MAGIC = "SHOALEXP".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    /** Magic, format version, creation time, map count; the map table and the header CRC follow. */
    static final int HEADER_FIXED_BYTES = 22;
    static final int MAP_COUNT_OFFSET = 18;
    static final int MAX_MAPS = 1 << 20;
    static final int MAX_MAP_NAME_BYTES = 255;

    static final byte KIND_ENTRY = 1;
    static final byte KIND_END = 2;
    /** Kind, map index, expiry time, timestamp, key length, value length; key, value and CRC follow. */
    static final int ENTRY_FIXED_BYTES = 29;
    static final int CRC_BYTES = 4;
    /** Kind, entry count, CRC. */
    static final int END_BYTES = 13;
    /** The largest {@code store.maxKeyBytes} and {@code store.maxValueBytes} a node accepts. */
    static final int MAX_KEY_BYTES = 1 << 20;
    static final int MAX_VALUE_BYTES = 64 << 20;

    private ExportFormat() {
    }
}
