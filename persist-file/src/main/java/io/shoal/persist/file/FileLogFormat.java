package io.shoal.persist.file;

import io.shoal.ChangeType;
import io.shoal.spi.ChangeRecord;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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

    /** CRC32C of a frame's first 5 bytes followed by a payload. */
    static int recordCrc(ByteBuffer frameHeader, ByteBuffer payload, CRC32C crc) {
        crc.reset();
        crc.update(frameHeader.duplicate().position(0).limit(5));
        crc.update(payload.duplicate());
        return (int) crc.getValue();
    }

    /**
     * Decodes a payload whose CRC matched; every inner length is checked against the bytes left
     * before use. Returns {@code null} when the payload is malformed; {@code problem[0]} then says why.
     */
    static ChangeRecord readPayload(ChangeType type, ByteBuffer payload, String[] problem) {
        int bucket = payload.getInt();
        long sequence = payload.getLong();
        long timestampMs = payload.getLong();
        long expiresAtMs = payload.getLong();
        if (bucket < 0) {
            problem[0] = "negative bucket " + bucket;
            return null;
        }
        int nameLength = payload.getShort() & 0xFFFF;
        if (nameLength > payload.remaining() - 4) {
            problem[0] = "map name length " + nameLength + " runs past the payload";
            return null;
        }
        String mapName = new String(payload.array(), payload.arrayOffset() + payload.position(), nameLength,
                StandardCharsets.UTF_8);
        payload.position(payload.position() + nameLength);
        byte[] key = readBytes(payload, "key", problem);
        if (key == null) {
            return null;
        }
        byte[] value = null;
        if (!type.isRemoval()) {
            if (payload.remaining() < 4) {
                problem[0] = "missing value length";
                return null;
            }
            value = readBytes(payload, "value", problem);
            if (value == null) {
                return null;
            }
        }
        if (payload.hasRemaining()) {
            problem[0] = payload.remaining() + " bytes left after the last field";
            return null;
        }
        return new ChangeRecord(type, mapName, bucket, sequence, key, value, timestampMs, expiresAtMs);
    }

    private static byte[] readBytes(ByteBuffer payload, String what, String[] problem) {
        long length = payload.getInt() & 0xFFFF_FFFFL;
        if (length > payload.remaining()) {
            problem[0] = what + " length " + length + " runs past the payload (" + payload.remaining() + " bytes left)";
            return null;
        }
        byte[] bytes = new byte[(int) length];
        payload.get(bytes);
        return bytes;
    }
}
