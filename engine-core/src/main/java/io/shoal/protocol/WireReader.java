package io.shoal.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads the fields of one frame with absolute indexes, checking each against the bytes left
 * before allocating or copying. One per {@link ProtocolCodec#decode} call; not thread-safe.
 * Offsets in messages count from the frame's first byte.
 */
final class WireReader {
    private final ByteBuffer buf; // big-endian view of the caller's buffer
    private final int base;       // index of the frame's first byte
    private final int limit;      // index after the frame's last byte
    private int pos;

    // from the header, for exceptions; 0 until it has been read
    private int opcode;
    private int flags;
    private int requestId;
    private boolean headerRead;

    /** The first INVALID_ARGUMENT problem, reported by {@link #finish()} once the frame proved well-formed. */
    private String invalidArgument;

    WireReader(ByteBuffer frame) {
        this.buf = frame.order() == ByteOrder.BIG_ENDIAN ? frame : frame.duplicate().order(ByteOrder.BIG_ENDIAN);
        this.base = frame.position();
        this.limit = frame.limit();
        this.pos = base;
    }

    FrameHeader header() throws ProtocolException {
        int length = limit - base;
        if (length < Frame.HEADER_BYTES) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, 0, 0,
                    "frame of " + length + " bytes is shorter than the 8-byte header");
        }
        opcode = buf.get(base) & 0xFF;
        flags = buf.get(base + 1) & 0xFF;
        int reserved = buf.getShort(base + 2) & 0xFFFF;
        requestId = buf.getInt(base + 4);
        headerRead = true;
        pos = base + Frame.HEADER_BYTES;
        if ((flags & ~(Frame.FLAG_REPLY | Frame.FLAG_ERROR | Frame.FLAG_PUSH)) != 0) {
            throw malformed("flags at offset 1 are " + hex8(flags) + ": bits 3-7 must be 0");
        }
        if (reserved != 0) {
            throw malformed("reserved field at offset 2 is " + String.format("0x%04x", reserved) + ", must be 0");
        }
        boolean request = flags == 0;
        boolean reply = flags == Frame.FLAG_REPLY;
        boolean push = flags == Frame.FLAG_PUSH;
        if (flags == (Frame.FLAG_REPLY | Frame.FLAG_ERROR)) {
            return new FrameHeader(opcode, flags, requestId); // echoes any opcode, even 0 or unknown
        }
        if (!request && !reply && !push) {
            throw malformed("flags at offset 1 are " + hex8(flags)
                    + ": not 0 (request), REPLY, REPLY|ERROR or PUSH");
        }
        Opcode known = Opcode.lookup(opcode);
        if (known == null) {
            throw new ProtocolException(ErrorCode.UNKNOWN_OPCODE, opcode, requestId,
                    "unknown opcode " + hex8(opcode) + " at offset 0");
        }
        if (known.isPush() != push) {
            throw malformed(known.isPush()
                    ? "flags at offset 1 are " + hex8(flags) + ": " + known + " is a push, it needs flags PUSH"
                    : "flags at offset 1 are " + hex8(flags) + ": " + known + " is not a push");
        }
        if (push && requestId != 0) {
            throw malformed("request id at offset 4 is " + Integer.toUnsignedString(requestId)
                    + ": a push has request id 0");
        }
        return new FrameHeader(opcode, flags, requestId);
    }

    /** Offset of the next field, from the frame's first byte. */
    int offset() {
        return pos - base;
    }

    private int left() {
        return limit - pos;
    }

    private void need(int bytes, String field) throws ProtocolException {
        if (left() < bytes) {
            throw malformed("field '" + field + "' at offset " + offset() + " needs " + bytes + " bytes, "
                    + left() + " left");
        }
    }

    int u8(String field) throws ProtocolException {
        need(1, field);
        return buf.get(pos++) & 0xFF;
    }

    int u16(String field) throws ProtocolException {
        need(2, field);
        int value = buf.getShort(pos) & 0xFFFF;
        pos += 2;
        return value;
    }

    long u32(String field) throws ProtocolException {
        need(4, field);
        long value = buf.getInt(pos) & 0xFFFF_FFFFL;
        pos += 4;
        return value;
    }

    long i64(String field) throws ProtocolException {
        need(8, field);
        long value = buf.getLong(pos);
        pos += 8;
        return value;
    }

    boolean bool(String field) throws ProtocolException {
        int at = offset();
        int value = u8(field);
        if (value > 1) {
            throw malformed("field '" + field + "' at offset " + at + " is " + value + ", a bool is 0 or 1");
        }
        return value == 1;
    }

    byte[] raw32(String field) throws ProtocolException {
        need(Fields.RAW32_BYTES, field);
        return copy(Fields.RAW32_BYTES);
    }

    /** {@code bytes}: a u32 length checked against the bytes left, then a copy. */
    byte[] bytes(String field) throws ProtocolException {
        int at = offset();
        long length = u32(field + " length");
        if (length > left()) {
            throw malformed("field '" + field + "' at offset " + at + " has length " + length + ", only "
                    + left() + " bytes left");
        }
        return copy((int) length);
    }

    /** {@code str}: a u16 length checked against the bytes left, then strict UTF-8. */
    String str(String field) throws ProtocolException {
        int at = offset();
        int length = u16(field + " length");
        if (length > left()) {
            throw malformed("field '" + field + "' at offset " + at + " has length " + length + ", only "
                    + left() + " bytes left");
        }
        String value = utf8(field, length);
        pos += length;
        return value;
    }

    /** {@code map}: a {@code str}; a bad name is noted as INVALID_ARGUMENT, not malformed. */
    String map() throws ProtocolException {
        int at = offset();
        String name = str("map");
        String problem = Fields.mapNameProblem(name, offset() - at - 2);
        if (problem != null) {
            invalid("map", at, problem);
        }
        return name;
    }

    /** {@code ttlMs}: an i64; a negative value is noted as INVALID_ARGUMENT. */
    long ttlMs() throws ProtocolException {
        int at = offset();
        long ttlMs = i64("ttlMs");
        if (ttlMs < 0) {
            invalid("ttlMs", at, ttlMs + " is negative");
        }
        return ttlMs;
    }

    Condition condition() throws ProtocolException {
        int at = offset();
        int code = u8("condition");
        Condition value = Condition.lookup(code);
        if (value == null) {
            throw malformed("field 'condition' at offset " + at + " is " + code + ", not 0, 1 or 2");
        }
        return value;
    }

    SubscriptionKind subscriptionKind() throws ProtocolException {
        int at = offset();
        int code = u8("kind");
        SubscriptionKind value = SubscriptionKind.lookup(code);
        if (value == null) {
            throw malformed("field 'kind' at offset " + at + " is " + code + ", not 0, 1 or 2");
        }
        return value;
    }

    EventType eventType() throws ProtocolException {
        int at = offset();
        int code = u8("type");
        EventType value = EventType.lookup(code);
        if (value == null) {
            throw malformed("field 'type' at offset " + at + " is " + code + ", not 1 to 5");
        }
        return value;
    }

    ErrorCode errorCode() throws ProtocolException {
        int at = offset();
        int code = u16("code");
        ErrorCode value = ErrorCode.lookup(code);
        if (value == null) {
            throw malformed("field 'code' at offset " + at + " is " + code + ", not an error code of section 5");
        }
        return value;
    }

    /** A bucket index ({@code u32}): below {@link ClusterWire#MAX_BUCKET_COUNT}, else malformed. */
    int bucket(String field) throws ProtocolException {
        int at = offset();
        long value = u32(field);
        if (value >= ClusterWire.MAX_BUCKET_COUNT) {
            throw malformed("field '" + field + "' at offset " + at + " is " + value + ", a bucket is below "
                    + ClusterWire.MAX_BUCKET_COUNT);
        }
        return (int) value;
    }

    /** A {@code u8} enum code from {@code min} to {@code max}, else malformed. */
    int code8(String field, int min, int max) throws ProtocolException {
        int at = offset();
        int value = u8(field);
        if (value < min || value > max) {
            throw malformed("field '" + field + "' at offset " + at + " is " + value + ", not " + min + " to " + max);
        }
        return value;
    }

    /** A {@code u32} that must fit a non-negative {@code int} (a count of elements of one frame). */
    int u31(String field) throws ProtocolException {
        int at = offset();
        long value = u32(field);
        if (value > Integer.MAX_VALUE) {
            throw malformed("field '" + field + "' at offset " + at + " is " + value + ", more than "
                    + Integer.MAX_VALUE);
        }
        return (int) value;
    }

    /**
     * A u8 element count, checked against the bytes left: every element takes at least
     * {@code minElementBytes}.
     */
    int count8(String field, int minElementBytes) throws ProtocolException {
        int at = offset();
        return checkCount(field, at, u8(field), minElementBytes, 0);
    }

    /**
     * A u16 element count, checked against the bytes left: every element takes at least
     * {@code minElementBytes}.
     */
    int count16(String field, int minElementBytes) throws ProtocolException {
        int at = offset();
        return checkCount(field, at, u16(field), minElementBytes, 0);
    }

    /**
     * A u32 element count, checked against the bytes left: every element takes at least
     * {@code minElementBytes}, and {@code trailingBytes} follow the elements.
     */
    int count32(String field, int minElementBytes, int trailingBytes) throws ProtocolException {
        int at = offset();
        return checkCount(field, at, u32(field), minElementBytes, trailingBytes);
    }

    private int checkCount(String field, int at, long count, int minElementBytes, int trailingBytes)
            throws ProtocolException {
        if (count * minElementBytes + trailingBytes > left()) {
            throw malformed("field '" + field + "' at offset " + at + " is " + count + ": " + count
                    + " elements take at least " + (count * minElementBytes + trailingBytes) + " bytes, only "
                    + left() + " left");
        }
        return (int) count;
    }

    /** Notes a well-formed but invalid value; the first one is reported by {@link #finish()}. */
    void invalid(String field, int at, String problem) {
        if (invalidArgument == null) {
            invalidArgument = describe() + ": field '" + field + "' at offset " + at + ": " + problem;
        }
    }

    /** Whether no invalid value has been noted so far (records with such a value cannot be built). */
    boolean valid() {
        return invalidArgument == null;
    }

    /** After the last field: no byte may be left over, then any noted invalid value is reported. */
    void finish() throws ProtocolException {
        if (left() != 0) {
            throw malformed(left() + " bytes left over after the last field, at offset " + offset());
        }
        if (invalidArgument != null) {
            throw new ProtocolException(ErrorCode.INVALID_ARGUMENT, opcode, requestId, invalidArgument);
        }
    }

    private byte[] copy(int length) {
        byte[] out = new byte[length];
        buf.get(pos, out, 0, length);
        pos += length;
        return out;
    }

    private String utf8(String field, int length) throws ProtocolException {
        if (length == 0) {
            return "";
        }
        boolean ascii = true;
        for (int i = pos; i < pos + length; i++) {
            if (buf.get(i) < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            if (buf.hasArray()) {
                return new String(buf.array(), buf.arrayOffset() + pos, length, StandardCharsets.US_ASCII);
            }
            byte[] bytes = new byte[length];
            buf.get(pos, bytes, 0, length);
            return new String(bytes, StandardCharsets.US_ASCII);
        }
        ByteBuffer in = buf.duplicate().limit(pos + length).position(pos);
        CharBuffer out = CharBuffer.allocate(length);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError() || result.isOverflow()) {
            int bad = in.position();
            int shown = result.isError() ? Math.min(result.length(), 4) : 1;
            StringBuilder bytes = new StringBuilder();
            for (int i = bad; i < bad + shown && i < pos + length; i++) {
                bytes.append(String.format("%02x", buf.get(i) & 0xFF));
            }
            throw malformed("field '" + field + "' at offset " + (pos - 2 - base) + " is not strict UTF-8: bytes "
                    + bytes + " at offset " + (bad - base));
        }
        return out.flip().toString();
    }

    /** A malformed-frame exception for this frame; {@code problem} names the field and its offset. */
    ProtocolException malformed(String problem) {
        return new ProtocolException(ErrorCode.MALFORMED_FRAME, opcode, requestId, describe() + ": " + problem);
    }

    /** "GET request", "SCAN reply", "error reply", "EVENT push", or "frame" before the header is known. */
    private String describe() {
        if (!headerRead) {
            return "frame";
        }
        Opcode known = Opcode.lookup(opcode);
        String name = known != null ? known.name() : "opcode " + hex8(opcode);
        switch (flags) {
            case 0:
                return name + " request";
            case Frame.FLAG_REPLY:
                return name + " reply";
            case Frame.FLAG_REPLY | Frame.FLAG_ERROR:
                return "error reply (to " + name + ")";
            case Frame.FLAG_PUSH:
                return name + " push";
            default:
                return name + " frame";
        }
    }

    private static String hex8(int value) {
        return String.format("0x%02x", value);
    }
}
