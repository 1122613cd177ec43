package io.shoal.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Writes a frame field by field straight from the spec's field types, independently of
 * {@link ProtocolCodec}, and remembers where each field is: the tests compare it with the codec's
 * output, mutate its length, bool, enum and string fields, and print it as space-separated hex
 * tokens (one per wire item) for docs/protocol.md.
 */
final class WireBuilder {

    enum Type { U8, U16, U32, I64, BOOL, ENUM, RAW, LENGTH16, LENGTH32, COUNT8, COUNT16, COUNT32, UTF8, BYTES }

    /** One wire item; {@code validCodes} lists the allowed values of an ENUM. */
    record Field(String name, Type type, int offset, int sizeBytes, Set<Integer> validCodes) {
        boolean isLengthOrCount() {
            return type == Type.LENGTH16 || type == Type.LENGTH32 || type == Type.COUNT8 || type == Type.COUNT16
                    || type == Type.COUNT32;
        }
    }

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final List<Field> fields = new ArrayList<>();
    private final List<String> tokens = new ArrayList<>();

    static WireBuilder frame(int opcode, int flags, int requestId) {
        return new WireBuilder().u8("opcode", opcode).u8("flags", flags).u16("reserved", 0)
                .u32("requestId", requestId & 0xFFFF_FFFFL);
    }

    private WireBuilder put(String name, Type type, byte[] bytes, Set<Integer> validCodes) {
        fields.add(new Field(name, type, out.size(), bytes.length, validCodes));
        out.writeBytes(bytes);
        if (bytes.length > 0) {
            tokens.add(HexFormat.of().formatHex(bytes));
        }
        return this;
    }

    private static byte[] big(long value, int sizeBytes) {
        byte[] bytes = new byte[sizeBytes];
        for (int i = sizeBytes - 1; i >= 0; i--) {
            bytes[i] = (byte) value;
            value >>>= 8;
        }
        return bytes;
    }

    WireBuilder u8(String name, int value) {
        return put(name, Type.U8, big(value, 1), null);
    }

    WireBuilder u16(String name, int value) {
        return put(name, Type.U16, big(value, 2), null);
    }

    WireBuilder u32(String name, long value) {
        return put(name, Type.U32, big(value, 4), null);
    }

    WireBuilder i64(String name, long value) {
        return put(name, Type.I64, big(value, 8), null);
    }

    WireBuilder bool(String name, boolean value) {
        return put(name, Type.BOOL, big(value ? 1 : 0, 1), null);
    }

    WireBuilder enumU8(String name, int code, Set<Integer> validCodes) {
        return put(name, Type.ENUM, big(code, 1), validCodes);
    }

    WireBuilder enumU16(String name, int code, Set<Integer> validCodes) {
        return put(name, Type.ENUM, big(code, 2), validCodes);
    }

    WireBuilder raw(String name, byte[] value) {
        return put(name, Type.RAW, value, null);
    }

    WireBuilder bytes(String name, byte[] value) {
        put(name, Type.LENGTH32, big(value.length, 4), null);
        return put(name, Type.BYTES, value, null);
    }

    WireBuilder bytes(String name, String utf8) {
        return bytes(name, utf8.getBytes(StandardCharsets.UTF_8));
    }

    WireBuilder str(String name, String value) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        put(name, Type.LENGTH16, big(utf8.length, 2), null);
        return put(name, Type.UTF8, utf8, null);
    }

    WireBuilder count8(String name, int count) {
        return put(name, Type.COUNT8, big(count, 1), null);
    }

    WireBuilder count16(String name, int count) {
        return put(name, Type.COUNT16, big(count, 2), null);
    }

    WireBuilder count32(String name, long count) {
        return put(name, Type.COUNT32, big(count, 4), null);
    }

    byte[] toBytes() {
        return out.toByteArray();
    }

    List<Field> fields() {
        return List.copyOf(fields);
    }

    /** The frame as hex tokens, one per wire item, separated by spaces. */
    String tokens() {
        return String.join(" ", tokens);
    }
}
