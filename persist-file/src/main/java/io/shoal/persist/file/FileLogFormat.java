package io.shoal.persist.file;

import io.shoal.ChangeType;
import io.shoal.spi.ChangeRecord;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * Log segment format version 1, exactly as {@code docs/formats.md} section 1 specifies: names,
 * the 32-byte header, the {@code length | type | crc | payload} framing and the payload layout.
 * Stateless helpers; buffers passed in must be big-endian (the {@link ByteBuffer} default).
 */
final class FileLogFormat {
    static final int FORMAT_VERSION = 1;
    static final byte[] MAGIC = {'S', 'H', 'O', 'A', 'L', 'L', 'O', 'G'};
    static final int HEADER_BYTES = 32;
    static final int HEADER_CRC_OFFSET = 28;
    static final int FRAME_HEADER_BYTES = 9;
    static final int FIXED_PAYLOAD_BYTES = 30;
    static final int MIN_PAYLOAD_BYTES = FIXED_PAYLOAD_BYTES + 4;
    /** Room for the engine's largest entry: 64 MiB value, 1 MiB key, 255-byte map name. */
    static final int MAX_PAYLOAD_BYTES = 66 << 20;
    static final int MAX_MAP_NAME_BYTES = 0xFFFF;

    private static final Pattern NAME = Pattern.compile("log-[0-9a-f]{16}\\.seg");
    private static final ChangeType[] TYPES = {null, ChangeType.CREATED, ChangeType.UPDATED,
        ChangeType.REMOVED, ChangeType.EXPIRED, ChangeType.EVICTED};

    private FileLogFormat() {
    }

    static String segmentName(long firstRecordNumber) {
        return String.format("log-%016x.seg", firstRecordNumber);
    }

    static boolean isSegmentName(String name) {
        return NAME.matcher(name).matches();
    }

    static long firstRecordNumberOf(Path segment) {
        String name = segment.getFileName().toString();
        return Long.parseUnsignedLong(name.substring(4, 20), 16);
    }

    static byte typeCode(ChangeType type) {
        return switch (type) {
            case CREATED -> 1;
            case UPDATED -> 2;
            case REMOVED -> 3;
            case EXPIRED -> 4;
            case EVICTED -> 5;
        };
    }

    /** The type of a code, or {@code null} for an unknown code. */
    static ChangeType type(int code) {
        return code >= 1 && code < TYPES.length ? TYPES[code] : null;
    }

    /** Writes the 32-byte header at the buffer's position. */
    static void writeHeader(ByteBuffer buffer, long creationTimeMs, long firstRecordNumber) {
        int start = buffer.position();
        buffer.put(MAGIC).putShort((short) FORMAT_VERSION).putShort((short) HEADER_BYTES)
                .putLong(creationTimeMs).putLong(firstRecordNumber);
        CRC32C crc = new CRC32C();
        crc.update(buffer.duplicate().position(start).limit(start + HEADER_CRC_OFFSET));
        buffer.putInt((int) crc.getValue());
    }

    /** Payload bytes of {@code record} given its map name's UTF-8 length; may exceed the maximum. */
    static long payloadBytes(ChangeRecord record, int mapNameBytes) {
        long bytes = FIXED_PAYLOAD_BYTES + (long) mapNameBytes + 4 + record.key().length;
        return record.value() == null ? bytes : bytes + 4 + record.value().length;
    }

    /**
     * Encodes one record frame at the buffer's position; the buffer must have room for
     * {@code 9 + payloadBytes}. {@code crcView} is a reusable duplicate of {@code buffer}.
     */
    static void writeRecord(ByteBuffer buffer, ByteBuffer crcView, CRC32C crc, ChangeRecord record,
                            byte[] mapName, int payloadBytes) {
        int start = buffer.position();
        buffer.putInt(payloadBytes).put(typeCode(record.type())).putInt(0)
                .putInt(record.bucket()).putLong(record.sequence()).putLong(record.timestampMs())
                .putLong(record.expiresAtMs()).putShort((short) mapName.length).put(mapName)
                .putInt(record.key().length).put(record.key());
        if (record.value() != null) {
            buffer.putInt(record.value().length).put(record.value());
        }
        crc.reset();
        crcView.limit(start + 5).position(start);
        crc.update(crcView);
        crcView.limit(buffer.position()).position(start + FRAME_HEADER_BYTES);
        crc.update(crcView);
        buffer.putInt(start + 5, (int) crc.getValue());
    }

    /** What {@link #readPayload} returns for a well-formed payload it was asked not to decode. */
    static final ChangeRecord WELL_FORMED = new ChangeRecord(ChangeType.REMOVED, "", 0, 0, new byte[0], null, 0, 0);

    /**
     * Decodes the payload at buffer indexes {@code [index, index + length)}, whose CRC matched and
     * whose {@code length} is at least {@link #MIN_PAYLOAD_BYTES}; every inner length is checked
     * against the payload bytes left before use. Returns {@code null} when the payload is
     * malformed; {@code problem[0]} then says why. Absolute reads only: the buffer is not changed.
     */
    static ChangeRecord readPayload(ChangeType type, ByteBuffer buffer, int index, int length, NameDecoder names,
                                    String[] problem) {
        return readPayload(type, buffer, index, length, names, problem, true);
    }

    /**
     * As {@link #readPayload(ChangeType, ByteBuffer, int, int, NameDecoder, String[])}; with
     * {@code decode} false it only validates, allocates nothing and returns {@link #WELL_FORMED}.
     */
    static ChangeRecord readPayload(ChangeType type, ByteBuffer buffer, int index, int length, NameDecoder names,
                                    String[] problem, boolean decode) {
        int bucket = buffer.getInt(index);
        long sequence = buffer.getLong(index + 4);
        long timestampMs = buffer.getLong(index + 12);
        long expiresAtMs = buffer.getLong(index + 20);
        if (bucket < 0) {
            problem[0] = "negative bucket " + bucket;
            return null;
        }
        int end = index + length;
        int at = index + FIXED_PAYLOAD_BYTES;
        int nameLength = buffer.getShort(at - 2) & 0xFFFF;
        if (nameLength > end - at - 4) {
            problem[0] = "map name length " + nameLength + " runs past the payload";
            return null;
        }
        String mapName = decode ? names.decode(buffer, at, nameLength) : null;
        at += nameLength;
        long keyLength = buffer.getInt(at) & 0xFFFF_FFFFL;
        at += 4;
        if (keyLength > end - at) {
            problem[0] = "key length " + keyLength + " runs past the payload (" + (end - at) + " bytes left)";
            return null;
        }
        byte[] key = null;
        if (decode) {
            key = new byte[(int) keyLength];
            buffer.get(at, key);
        }
        at += (int) keyLength;
        byte[] value = null;
        if (!type.isRemoval()) {
            if (end - at < 4) {
                problem[0] = "missing value length";
                return null;
            }
            long valueLength = buffer.getInt(at) & 0xFFFF_FFFFL;
            at += 4;
            if (valueLength > end - at) {
                problem[0] = "value length " + valueLength + " runs past the payload (" + (end - at) + " bytes left)";
                return null;
            }
            if (decode) {
                value = new byte[(int) valueLength];
                buffer.get(at, value);
            }
            at += (int) valueLength;
        }
        if (at < end) {
            problem[0] = (end - at) + " bytes left after the last field";
            return null;
        }
        if (!decode) {
            return WELL_FORMED;
        }
        return new ChangeRecord(type, mapName, bucket, sequence, key, value, timestampMs, expiresAtMs);
    }

    /**
     * Decodes map names, handing out the same {@code String} again for bytes seen before (a log
     * holds the records of few maps), so replay neither allocates nor decodes a name per record.
     * A small direct-mapped cache; not thread-safe.
     */
    static final class NameDecoder {
        private static final int SLOTS = 64;
        private final byte[][] bytes = new byte[SLOTS][];
        private final String[] names = new String[SLOTS];
        private byte[] scratch = new byte[256];

        /** The UTF-8 name at buffer indexes {@code [index, index + length)}; {@code length} was validated. */
        String decode(ByteBuffer buffer, int index, int length) {
            if (scratch.length < length) {
                scratch = new byte[Math.max(length, 2 * scratch.length)];
            }
            buffer.get(index, scratch, 0, length);
            int hash = length;
            for (int i = 0; i < length; i++) {
                hash = 31 * hash + scratch[i];
            }
            int slot = (hash ^ (hash >>> 16)) & (SLOTS - 1);
            byte[] cached = bytes[slot];
            if (cached != null && Arrays.equals(cached, 0, cached.length, scratch, 0, length)) {
                return names[slot];
            }
            byte[] copy = Arrays.copyOf(scratch, length);
            String name = new String(copy, StandardCharsets.UTF_8);
            bytes[slot] = copy;
            names[slot] = name;
            return name;
        }
    }
}
