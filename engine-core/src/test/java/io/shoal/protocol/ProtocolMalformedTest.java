package io.shoal.protocol;

import static io.shoal.protocol.Frame.FLAG_ERROR;
import static io.shoal.protocol.Frame.FLAG_PUSH;
import static io.shoal.protocol.Frame.FLAG_REPLY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.protocol.ProtocolSamples.Sample;
import io.shoal.protocol.WireBuilder.Field;
import io.shoal.protocol.WireBuilder.Type;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every kind of bad input of docs/protocol.md section 3 fails with a {@link ProtocolException}
 * carrying the right code, the frame's opcode and request id, and a message naming the field, its
 * offset and the bad value; never with another exception, never allocating what a lying length
 * asks for.
 */
class ProtocolMalformedTest {

    static ProtocolException reject(byte[] frame) {
        return reject(ByteBuffer.wrap(frame));
    }

    static ProtocolException reject(ByteBuffer frame) {
        int position = frame.position();
        int limit = frame.limit();
        ProtocolException e = assertThrows(ProtocolException.class, () -> ProtocolCodec.decode(frame),
                () -> "accepted " + HexFormat.of().formatHex(bytesOf(frame)));
        assertEquals(position, frame.position(), "decode moved the buffer");
        assertEquals(limit, frame.limit(), "decode moved the limit");
        return e;
    }

    static ProtocolException rejectAs(ErrorCode code, byte[] frame) {
        ProtocolException e = reject(frame);
        assertEquals(code, e.code(), e.getMessage());
        return e;
    }

    private static byte[] bytesOf(ByteBuffer frame) {
        byte[] bytes = new byte[frame.remaining()];
        frame.duplicate().get(bytes);
        return bytes;
    }

    /** {@code frame} with the {@code sizeBytes}-byte big-endian field at {@code offset} set to {@code value}. */
    static byte[] with(byte[] frame, int offset, int sizeBytes, long value) {
        byte[] copy = frame.clone();
        for (int i = sizeBytes - 1; i >= 0; i--) {
            copy[offset + i] = (byte) value;
            value >>>= 8;
        }
        return copy;
    }

    static long read(byte[] frame, Field field) {
        long value = 0;
        for (int i = 0; i < field.sizeBytes(); i++) {
            value = (value << 8) | (frame[field.offset() + i] & 0xFF);
        }
        return value;
    }

    private static Stream<DynamicTest> perSample(java.util.function.Consumer<Sample> check) {
        return ProtocolSamples.all().stream().map(s -> DynamicTest.dynamicTest(s.name(), () -> check.accept(s)));
    }

    // ------------------------------------------------------------------------------------------
    // truncation and trailing bytes

    @TestFactory
    Stream<DynamicTest> everyPrefixOfEveryVectorIsMalformed() {
        return perSample(s -> checkPrefixes(s.bytes(), s.frame()));
    }

    @Test
    void everyPrefixOfRandomFramesIsMalformed() {
        SplittableRandom random = new SplittableRandom(5);
        int checked = 0;
        while (checked < 400) {
            Frame frame = RandomFrames.any(random);
            byte[] bytes = ProtocolCodec.encode(frame).array();
            if (bytes.length <= 3000) {
                checkPrefixes(bytes, frame);
                checked++;
            }
        }
    }

    private static void checkPrefixes(byte[] bytes, Frame frame) {
        for (int length = 0; length < bytes.length; length++) {
            ProtocolException e = reject(ByteBuffer.wrap(bytes, 0, length));
            assertEquals(ErrorCode.MALFORMED_FRAME, e.code(), e.getMessage());
            if (length < Frame.HEADER_BYTES) {
                assertEquals(0, e.opcode());
                assertEquals(0, e.requestId());
            } else {
                assertEquals(frame.opcode(), e.opcode());
                assertEquals(frame.requestId(), e.requestId());
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> bytesAfterTheLastFieldAreMalformed() {
        return perSample(s -> {
            for (int extra : new int[] {1, 8}) {
                byte[] longer = Arrays.copyOf(s.bytes(), s.bytes().length + extra);
                ProtocolException e = rejectAs(ErrorCode.MALFORMED_FRAME, longer);
                assertTrue(e.getMessage().contains(extra + " bytes left over"), e.getMessage());
            }
        });
    }

    // ------------------------------------------------------------------------------------------
    // lengths and counts

    @TestFactory
    Stream<DynamicTest> everyLengthAndCountTooLongTooShortOrHugeIsMalformed() {
        return perSample(s -> {
            byte[] bytes = s.bytes();
            for (Field field : s.wire().fields()) {
                if (!field.isLengthOrCount()) {
                    continue;
                }
                long original = read(bytes, field);
                List<Long> values = new ArrayList<>(List.of(original + 1));
                if (original > 0) {
                    values.add(original - 1);
                }
                List<Long> huge = field.sizeBytes() == 1 ? List.of(0xFFL) : field.sizeBytes() == 2 ? List.of(0xFFFFL)
                        : List.of(0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL);
                values.addAll(huge);
                for (long value : values) {
                    ProtocolException e = rejectAs(ErrorCode.MALFORMED_FRAME,
                            with(bytes, field.offset(), field.sizeBytes(), value));
                    assertEquals(s.frame().opcode(), e.opcode());
                    assertEquals(s.frame().requestId(), e.requestId());
                    if (huge.contains(value)) {
                        assertTrue(e.getMessage().contains(Long.toString(value))
                                && e.getMessage().contains("'" + field.name() + "'")
                                && e.getMessage().contains("offset " + field.offset()), e.getMessage());
                    }
                }
            }
        });
    }

    @Test
    void aLengthIsCheckedBeforeAnythingIsAllocated() throws ProtocolException {
        List<byte[]> liars = List.of(
                WireBuilder.frame(Opcode.GET.code(), 0, 1).str("map", "m").u32("key length", 0x7FFF_FFFFL).toBytes(),
                WireBuilder.frame(Opcode.HASH_CHECK.code(), 0, 1).u32("data length", 0xFFFF_FFFFL).u8("x", 1).toBytes(),
                WireBuilder.frame(Opcode.GOODBYE.code(), 0, 1).u16("reason length", 0xFFFF).toBytes(),
                WireBuilder.frame(Opcode.SCAN.code(), FLAG_REPLY, 1).count32("count", 0xFFFF_FFFFL).u8("more", 0)
                        .toBytes(),
                WireBuilder.frame(Opcode.STATS.code(), FLAG_REPLY, 1).count16("count", 0xFFFF).toBytes(),
                WireBuilder.frame(Opcode.LOAD_LEVELS.code(), FLAG_REPLY, 1).count16("count", 0xFFFF).toBytes(),
                WireBuilder.frame(Opcode.SERVER_INFO.code(), FLAG_PUSH, 0).i64("tableVersion", 1)
                        .count16("count", 0xFFFF).toBytes(),
                WireBuilder.frame(Opcode.VIEW.code(), 0, 1).i64("version", 1).count16("memberCount", 0xFFFF).toBytes(),
                tableRequest(0, 1, 65_536, 0xFFFF_FFFFL).toBytes(),
                tableRequest(0, 1, 65_536, 65_536).toBytes(),
                WireBuilder.frame(Opcode.TABLE_FETCH.code(), FLAG_REPLY, 1).i64("fromVersion", 0).i64("toVersion", 1)
                        .u32("bucketCount", 1).u8("backupCount", 0).count32("entryCount", 1).u32("bucket", 0)
                        .count8("replicaCount", 0xFF).toBytes(),
                WireBuilder.frame(Opcode.REPLICATE.code(), 0, 1).count16("count", 0xFFFF).toBytes(),
                migrateChunk(0xFFFF_FFFFL, 0).toBytes(),
                migrateChunk(0x7FFF_FFFFL, 1).toBytes());
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int rounds = 200;
        for (byte[] liar : liars) {
            for (int i = 0; i < rounds; i++) { // warm up: class loading and compilation allocate too
                rejectAs(ErrorCode.MALFORMED_FRAME, liar);
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < rounds; i++) {
                try {
                    ProtocolCodec.decode(ByteBuffer.wrap(liar));
                } catch (ProtocolException expected) {
                    // the message is built; nothing of the claimed size
                }
            }
            long perDecodeBytes = (threads.getCurrentThreadAllocatedBytes() - before) / rounds;
            assertTrue(perDecodeBytes < 8 * 1024, perDecodeBytes + " bytes allocated per decode of a "
                    + liar.length + "-byte frame " + HexFormat.of().formatHex(liar));
        }
    }

    // ------------------------------------------------------------------------------------------
    // bools, enums, strings

    @TestFactory
    Stream<DynamicTest> boolsOtherThanZeroOrOneAreMalformed() {
        return perSample(s -> {
            for (Field field : s.wire().fields()) {
                if (field.type() != Type.BOOL) {
                    continue;
                }
                for (int value : new int[] {2, 0x80, 0xFF}) {
                    ProtocolException e = rejectAs(ErrorCode.MALFORMED_FRAME, with(s.bytes(), field.offset(), 1, value));
                    assertTrue(e.getMessage().contains("'" + field.name() + "' at offset " + field.offset() + " is "
                            + value), e.getMessage());
                }
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> enumValuesOutsideTheirTableAreMalformed() {
        return perSample(s -> {
            for (Field field : s.wire().fields()) {
                if (field.type() != Type.ENUM) {
                    continue;
                }
                int tried = field.sizeBytes() == 1 ? 256 : 300;
                for (int value = 0; value <= tried; value++) {
                    int code = value == tried ? (1 << (8 * field.sizeBytes())) - 1 : value;
                    byte[] mutated = with(s.bytes(), field.offset(), field.sizeBytes(), code);
                    if (field.validCodes().contains(code)) {
                        try {
                            ProtocolCodec.decode(ByteBuffer.wrap(mutated));
                        } catch (ProtocolException e) {
                            // SUBSCRIBE kind 0 (ALL) with the sample's non-empty match
                            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
                        }
                    } else {
                        ProtocolException e = rejectAs(ErrorCode.MALFORMED_FRAME, mutated);
                        assertTrue(e.getMessage().contains("'" + field.name() + "' at offset " + field.offset()
                                + " is " + code), e.getMessage());
                    }
                }
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> stringsThatAreNotUtf8AreMalformed() {
        return perSample(s -> {
            for (Field field : s.wire().fields()) {
                if (field.type() != Type.UTF8 || field.sizeBytes() == 0) {
                    continue;
                }
                for (int bad : new int[] {0x80, 0xBF, 0xC0, 0xC1, 0xF5, 0xFF}) {
                    ProtocolException e = rejectAs(ErrorCode.MALFORMED_FRAME, with(s.bytes(), field.offset(), 1, bad));
                    assertTrue(e.getMessage().contains("'" + field.name() + "'")
                            && e.getMessage().contains("not strict UTF-8"), e.getMessage());
                }
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "c080", "c1bf", // overlong 2-byte
        "e08080", "e09fbf", // overlong 3-byte
        "f0808080", "f08fbfbf", // overlong 4-byte
        "eda080", "edbfbf", // encoded surrogates (CESU-8)
        "f4908080", "f5808080", "f888808080", // above U+10FFFF, 5-byte form
        "80", "bf", "fe", "ff", // lone continuation, never-valid bytes
        "e282", "61e282", "f09f98", "c3", // truncated sequences
        "e228a1", "c328"}) // bad continuation
    void malformedUtf8IsMalformed(String hex) {
        byte[] utf8 = HexFormat.of().parseHex(hex);
        byte[] frame = WireBuilder.frame(Opcode.GOODBYE.code(), 0, 9).u16("reason length", utf8.length)
                .raw("reason", utf8).toBytes();
        ProtocolException e = rejectAs(ErrorCode.MALFORMED_FRAME, frame);
        assertTrue(e.getMessage().contains("GOODBYE request: field 'reason' at offset 8 is not strict UTF-8"),
                e.getMessage());
        assertEquals(Opcode.GOODBYE.code(), e.opcode());
        assertEquals(9, e.requestId());
    }

    @Test
    void wellFormedUtf8Decodes() throws ProtocolException {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("", "");
        cases.put("00", "\u0000");
        cases.put("c3a9", "é");
        cases.put("e282ac", "€");
        cases.put("efbfbf", "\uFFFF");
        cases.put("efbbbf61", "\uFEFFa");
        cases.put("f09f9880", "😀");
        cases.put("f48fbfbf", new String(Character.toChars(0x10FFFF)));
        for (Map.Entry<String, String> c : cases.entrySet()) {
            byte[] utf8 = HexFormat.of().parseHex(c.getKey());
            byte[] frame = WireBuilder.frame(Opcode.GOODBYE.code(), 0, 9).u16("reason length", utf8.length)
                    .raw("reason", utf8).toBytes();
            assertEquals(new Request.Goodbye(c.getValue()), ProtocolCodec.decode(ByteBuffer.wrap(frame)).body());
            assertEquals(new Request.Goodbye(c.getValue()), ProtocolCodec.decode(
                    ByteBuffer.allocateDirect(frame.length).put(frame).flip()).body(), "direct buffer");
        }
    }

    // ------------------------------------------------------------------------------------------
    // the header

    @Test
    void framesShorterThanTheHeaderAreMalformedWithoutOpcodeOrId() {
        byte[] get = ProtocolCodec.encode(new Frame(5, new Request.Size("m"))).array();
        for (int length = 0; length < Frame.HEADER_BYTES; length++) {
            ProtocolException e = rejectAs(ErrorCode.MALFORMED_FRAME, Arrays.copyOf(get, length));
            assertEquals(0, e.opcode());
            assertEquals(0, e.requestId());
            assertTrue(e.getMessage().contains("frame of " + length + " bytes is shorter than the 8-byte header"),
                    e.getMessage());
            assertThrows(ProtocolException.class, () -> ProtocolCodec.decodeHeader(ByteBuffer.wrap(get, 0, 0)));
        }
    }

    @Test
    void reservedFlagBitsAndReservedFieldAreMalformed() {
        byte[] get = ProtocolCodec.encode(new Frame(0x01020304, new Request.Get("m", new byte[] {1}))).array();
        for (int bit = 3; bit < 8; bit++) {
            ProtocolException e = rejectAs(ErrorCode.MALFORMED_FRAME, with(get, 1, 1, 1 << bit));
            assertEquals(Opcode.GET.code(), e.opcode());
            assertEquals(0x01020304, e.requestId());
            assertTrue(e.getMessage().contains("flags at offset 1 are " + String.format("0x%02x", 1 << bit)),
                    e.getMessage());
        }
        for (long reserved : new long[] {1, 0x100, 0xFFFF}) {
            ProtocolException e = rejectAs(ErrorCode.MALFORMED_FRAME, with(get, 2, 2, reserved));
            assertTrue(e.getMessage().contains("reserved field at offset 2 is " + String.format("0x%04x", reserved)),
                    e.getMessage());
        }
    }

    @Test
    void flagsThatFitNoFrameKindAreMalformed() {
        byte[] get = ProtocolCodec.encode(new Frame(1, new Request.Get("m", new byte[] {1}))).array();
        for (int flags : new int[] {FLAG_ERROR, FLAG_REPLY | FLAG_PUSH, FLAG_ERROR | FLAG_PUSH,
                FLAG_REPLY | FLAG_ERROR | FLAG_PUSH}) {
            rejectAs(ErrorCode.MALFORMED_FRAME, with(get, 1, 1, flags));
        }
    }

    @Test
    void pushFlagsOnlyOnPushOpcodesAndOnlyWithRequestIdZero() {
        for (Opcode opcode : Opcode.values()) {
            byte[] header = WireBuilder.frame(opcode.code(), 0, 0).toBytes();
            if (opcode.isPush()) {
                for (int flags : new int[] {0, FLAG_REPLY}) {
                    ProtocolException e = rejectAs(ErrorCode.MALFORMED_FRAME, with(header, 1, 1, flags));
                    assertTrue(e.getMessage().contains(opcode + " is a push"), e.getMessage());
                }
            } else {
                ProtocolException e = rejectAs(ErrorCode.MALFORMED_FRAME, with(header, 1, 1, FLAG_PUSH));
                assertTrue(e.getMessage().contains(opcode + " is not a push"), e.getMessage());
            }
        }
        byte[] event = ProtocolSamples.all().stream().filter(s -> s.name().equals("event")).findFirst().orElseThrow()
                .bytes();
        ProtocolException e = rejectAs(ErrorCode.MALFORMED_FRAME, with(event, 4, 4, 7));
        assertTrue(e.getMessage().contains("request id at offset 4 is 7: a push has request id 0"), e.getMessage());
    }

    @Test
    void unknownOpcodesAreUnknownOpcodeWithTheHeadersIdAndErrorRepliesEchoAnyOpcode() throws ProtocolException {
        for (int code = 0; code < 256; code++) {
            for (int flags : new int[] {0, FLAG_REPLY, FLAG_PUSH}) {
                int requestId = flags == FLAG_PUSH ? 0 : 0x0A0B0C0D;
                byte[] frame = WireBuilder.frame(code, flags, requestId).u32("something", 1).toBytes();
                int opcode = code;
                boolean known = Arrays.stream(Opcode.values()).anyMatch(o -> o.code() == opcode);
                if (!known) {
                    ProtocolException e = rejectAs(ErrorCode.UNKNOWN_OPCODE, frame);
                    assertEquals(code, e.opcode());
                    assertEquals(requestId, e.requestId());
                    assertTrue(e.getMessage().contains("unknown opcode " + String.format("0x%02x", code)),
                            e.getMessage());
                    assertThrows(ProtocolException.class, () -> ProtocolCodec.decodeHeader(ByteBuffer.wrap(frame)));
                }
            }
            Frame error = new Frame(77, new ErrorReply(code, ErrorCode.UNKNOWN_OPCODE, "no such command"));
            assertEquals(error, ProtocolCodec.decode(ProtocolCodec.encode(error)));
        }
    }

    @Test
    void errorCodesOutsideSectionFiveAreMalformed() {
        for (int code : new int[] {0, 12, 19, 26, 29, 38, 49, 98, 100, 0xFFFF}) {
            byte[] frame = WireBuilder.frame(Opcode.GET.code(), FLAG_REPLY | FLAG_ERROR, 1).u16("code", code)
                    .str("message", "x").toBytes();
            ProtocolException e = rejectAs(ErrorCode.MALFORMED_FRAME, frame);
            assertTrue(e.getMessage().contains("'code' at offset 8 is " + code), e.getMessage());
        }
    }

    @Test
    void decodeHeaderReadsOnlyTheHeader() throws ProtocolException {
        for (Sample s : ProtocolSamples.all()) {
            assertEquals(s.frame().header(), ProtocolCodec.decodeHeader(ByteBuffer.wrap(s.bytes())));
            byte[] headerOnly = Arrays.copyOf(s.bytes(), Frame.HEADER_BYTES);
            assertEquals(s.frame().header(), ProtocolCodec.decodeHeader(ByteBuffer.wrap(headerOnly)));
        }
    }

    // ------------------------------------------------------------------------------------------
    // invalid arguments: well-formed frames with values the spec does not allow

    /** The fields after {@code map} of every request that names a map. */
    private static final Map<Opcode, UnaryOperator<WireBuilder>> AFTER_MAP = new LinkedHashMap<>();

    static {
        AFTER_MAP.put(Opcode.GET, b -> b.bytes("key", "k"));
        AFTER_MAP.put(Opcode.GET_ENTRY, b -> b.bytes("key", "k"));
        AFTER_MAP.put(Opcode.CONTAINS, b -> b.bytes("key", "k"));
        AFTER_MAP.put(Opcode.PUT, b -> b.bytes("key", "k").bytes("value", "v").i64("ttlMs", 0));
        AFTER_MAP.put(Opcode.PUT_IF_ABSENT, b -> b.bytes("key", "k").bytes("value", "v").i64("ttlMs", 0));
        AFTER_MAP.put(Opcode.REPLACE, b -> b.bytes("key", "k").bytes("value", "v").i64("ttlMs", 0)
                .u8("condition", 0).i64("expected", 0));
        AFTER_MAP.put(Opcode.REMOVE, b -> b.bytes("key", "k").u8("condition", 0).i64("expected", 0));
        AFTER_MAP.put(Opcode.SIZE, b -> b);
        AFTER_MAP.put(Opcode.CLEAR, b -> b);
        AFTER_MAP.put(Opcode.SCAN, b -> b.u32("bucket", 0).bool("hasCursor", false).u32("maxEntries", 10));
        AFTER_MAP.put(Opcode.SUBSCRIBE, b -> b.u8("kind", 1).bytes("match", "k"));
    }

    private static byte[] withMap(Opcode opcode, String map) {
        return AFTER_MAP.get(opcode).apply(WireBuilder.frame(opcode.code(), 0, 42).str("map", map)).toBytes();
    }

    @Test
    void badMapNamesAreInvalidArgumentsInEveryRequestThatNamesAMap() throws ProtocolException {
        List<String> bad = List.of("", "a".repeat(256), "é".repeat(128), "a\u0000", "\u001f", "a\u007fb", "\u0080",
                "x\u009f", "\n");
        List<String> good = List.of("a", "a".repeat(255), "é".repeat(127) + "a", "\u00a0", "a b", "ü", "😀", "m/n:o");
        for (Opcode opcode : AFTER_MAP.keySet()) {
            for (String name : bad) {
                ProtocolException e = rejectAs(ErrorCode.INVALID_ARGUMENT, withMap(opcode, name));
                assertEquals(opcode.code(), e.opcode());
                assertEquals(42, e.requestId());
                assertTrue(e.getMessage().startsWith(opcode + " request: field 'map' at offset 8: map name"),
                        e.getMessage());
                assertTrue(!e.code().closesConnection());
            }
            for (String name : good) {
                ProtocolCodec.decode(ByteBuffer.wrap(withMap(opcode, name)));
            }
        }
    }

    @Test
    void negativeTtlIsAnInvalidArgument() throws ProtocolException {
        for (Opcode opcode : List.of(Opcode.PUT, Opcode.PUT_IF_ABSENT, Opcode.REPLACE)) {
            byte[] frame = withMap(opcode, "m");
            int ttlOffset = 8 + 3 + 5 + 5;
            for (long ttlMs : new long[] {-1, Long.MIN_VALUE}) {
                ProtocolException e = rejectAs(ErrorCode.INVALID_ARGUMENT, with(frame, ttlOffset, 8, ttlMs));
                assertTrue(e.getMessage().contains("field 'ttlMs' at offset 21: " + ttlMs + " is negative"),
                        e.getMessage());
            }
            ProtocolCodec.decode(ByteBuffer.wrap(with(frame, ttlOffset, 8, Long.MAX_VALUE)));
        }
    }

    @Test
    void scanMaxEntriesOutsideOneTo65536IsAnInvalidArgument() throws ProtocolException {
        byte[] scan = withMap(Opcode.SCAN, "m");
        int offset = scan.length - 4;
        for (long maxEntries : new long[] {0, 65_537, 0x8000_0000L, 0xFFFF_FFFFL}) {
            ProtocolException e = rejectAs(ErrorCode.INVALID_ARGUMENT, with(scan, offset, 4, maxEntries));
            assertTrue(e.getMessage().contains("'maxEntries' at offset " + offset + ": " + maxEntries), e.getMessage());
        }
        for (long maxEntries : new long[] {1, 65_536}) {
            Request.Scan decoded = (Request.Scan) ProtocolCodec.decode(ByteBuffer.wrap(with(scan, offset, 4, maxEntries)))
                    .body();
            assertEquals(maxEntries, decoded.maxEntries());
        }
    }

    @Test
    void subscribingToAllWithAMatchIsAnInvalidArgument() throws ProtocolException {
        byte[] subscribe = withMap(Opcode.SUBSCRIBE, "m");
        ProtocolException e = rejectAs(ErrorCode.INVALID_ARGUMENT, with(subscribe, 11, 1, 0));
        assertTrue(e.getMessage().contains("'match' at offset 12: must be empty for kind 0"), e.getMessage());
        byte[] allWithoutMatch = WireBuilder.frame(Opcode.SUBSCRIBE.code(), 0, 1).str("map", "m").u8("kind", 0)
                .bytes("match", new byte[0]).toBytes();
        assertEquals(new Request.Subscribe("m", SubscriptionKind.ALL, new byte[0]),
                ProtocolCodec.decode(ByteBuffer.wrap(allWithoutMatch)).body());
    }

    @Test
    void aMalformedFrameIsMalformedEvenIfItAlsoHasAnInvalidArgument() {
        byte[] badMap = withMap(Opcode.PUT, "");
        rejectAs(ErrorCode.INVALID_ARGUMENT, badMap);
        rejectAs(ErrorCode.MALFORMED_FRAME, Arrays.copyOf(badMap, badMap.length + 1));
        rejectAs(ErrorCode.MALFORMED_FRAME, Arrays.copyOf(badMap, badMap.length - 1));
        byte[] badMapAndBadCondition = withMap(Opcode.REPLACE, "\n");
        rejectAs(ErrorCode.MALFORMED_FRAME, with(badMapAndBadCondition, badMapAndBadCondition.length - 9, 1, 9));
        // the first invalid value is the one reported
        byte[] badMapAndTtl = with(badMap, 8 + 2 + 5 + 5, 8, -5);
        ProtocolException e = rejectAs(ErrorCode.INVALID_ARGUMENT, badMapAndTtl);
        assertTrue(e.getMessage().contains("'map'"), e.getMessage());
    }

    // ------------------------------------------------------------------------------------------
    // cluster messages (section 11): tables, node ids, buckets, changes

    /** A TABLE request; each of {@code buckets} has one copy, on n1, UP_TO_DATE. */
    private static WireBuilder tableRequest(long fromVersion, long toVersion, long bucketCount, long entryCount,
                                            long... buckets) {
        return bucketEntries(WireBuilder.frame(Opcode.TABLE.code(), 0, 7), fromVersion, toVersion, bucketCount,
                entryCount, buckets);
    }

    private static WireBuilder bucketEntries(WireBuilder out, long fromVersion, long toVersion, long bucketCount,
                                             long entryCount, long... buckets) {
        out.i64("fromVersion", fromVersion).i64("toVersion", toVersion).u32("bucketCount", bucketCount)
                .u8("backupCount", 1).count32("entryCount", entryCount);
        for (long bucket : buckets) {
            out.u32("bucket", bucket).count8("replicaCount", 1).str("nodeId", "n1").u8("state", 0);
        }
        return out;
    }

    /** A MIGRATE_CHUNK request claiming {@code count} entries and holding {@code present} entries of 35 bytes. */
    private static WireBuilder migrateChunk(long count, int present) {
        WireBuilder out = WireBuilder.frame(Opcode.MIGRATE_CHUNK.code(), 0, 7).u32("bucket", 1).i64("tableVersion", 1)
                .i64("sequence", 1).bool("last", true).count32("count", count);
        for (int i = 0; i < present; i++) {
            out.str("map", "m").bytes("key", new byte[0]).bytes("value", new byte[0]).i64("version", 1)
                    .i64("timestampMs", 0).i64("expiresAtMs", 0);
        }
        return out;
    }

    private static ProtocolException rejectAsMalformed(WireBuilder frame, String expectedInMessage) {
        ProtocolException e = rejectAs(ErrorCode.MALFORMED_FRAME, frame.toBytes());
        assertTrue(e.getMessage().contains(expectedInMessage), e.getMessage());
        return e;
    }

    private static Message decodeBody(WireBuilder frame) throws ProtocolException {
        return ProtocolCodec.decode(ByteBuffer.wrap(frame.toBytes())).body();
    }

    private static ClusterWire.BucketOwners onN1(int bucket) {
        return new ClusterWire.BucketOwners(bucket, List.of(new ClusterWire.Replica("n1", ClusterWire.UP_TO_DATE)));
    }

    @Test
    void tablesThatKeepTheRulesDecode() throws ProtocolException {
        assertEquals(new Request.Table(new ClusterWire.Table(0, 5, 4, 1, List.of(onN1(0), onN1(1), onN1(2), onN1(3)))),
                decodeBody(tableRequest(0, 5, 4, 4, 0, 1, 2, 3)));
        assertEquals(new Request.Table(new ClusterWire.Table(5, 6, 4, 1, List.of(onN1(1), onN1(3)))),
                decodeBody(tableRequest(5, 6, 4, 2, 1, 3)));
        assertEquals(new Request.Table(new ClusterWire.Table(5, 6, 4, 1, List.of())),
                decodeBody(tableRequest(5, 6, 4, 0)));
        assertEquals(new Request.Table(new ClusterWire.Table(0, Long.MAX_VALUE, 1, 1, List.of(onN1(0)))),
                decodeBody(tableRequest(0, Long.MAX_VALUE, 1, 1, 0)));
        assertEquals(new Request.Table(new ClusterWire.Table(1, 2, 65_536, 1, List.of(onN1(65_535)))),
                decodeBody(tableRequest(1, 2, 65_536, 1, 65_535)));
    }

    @Test
    void aFullTableListsEveryBucketOnceInOrder() {
        rejectAsMalformed(tableRequest(0, 5, 4, 3, 0, 1, 2),
                "field 'entryCount' at offset 29 is 3: a full table lists exactly 4 buckets");
        rejectAsMalformed(tableRequest(0, 5, 4, 5, 0, 1, 2, 3, 4), "a full table lists exactly 4 buckets");
        rejectAsMalformed(tableRequest(0, 5, 4, 4, 0, 1, 3, 2), "entry 2 is bucket 3");
        rejectAsMalformed(tableRequest(0, 5, 4, 4, 0, 1, 1, 2), "entry 2 is bucket 1");
        rejectAsMalformed(tableRequest(0, 5, 4, 4, 1, 2, 3, 0), "entry 0 is bucket 1");
        rejectAsMalformed(tableRequest(0, 5, 1, 0), "a full table lists exactly 1 buckets");
    }

    @Test
    void aDifferenceListsChangedBucketsAtMostOnceInAscendingOrder() {
        rejectAsMalformed(tableRequest(5, 6, 4, 2, 3, 1), "bucket 1 follows bucket 3");
        rejectAsMalformed(tableRequest(5, 6, 4, 2, 2, 2), "bucket 2 follows bucket 2");
        rejectAsMalformed(tableRequest(5, 6, 4, 3, 0, 2, 1), "bucket 1 follows bucket 2");
        rejectAsMalformed(tableRequest(5, 6, 4, 1, 4), "bucket 4 is not below bucketCount 4");
        rejectAsMalformed(tableRequest(5, 6, 4, 5, 0, 1, 2, 3, 3), "a difference lists at most 4 buckets");
        rejectAsMalformed(tableRequest(5, 6, 4, 1, 65_536), "'bucket' at offset 33 is 65536");
    }

    @Test
    void tableVersionsAndBucketCountsOutsideTheRulesAreMalformed() {
        for (long bucketCount : new long[] {0, 3, 6, 65_535, 131_072, 0x8000_0000L, 0xFFFF_FFFFL}) {
            rejectAsMalformed(tableRequest(5, 6, bucketCount, 0),
                    "table at offset 8: bucketCount must be a power of two from 1 to 65536: " + bucketCount);
        }
        rejectAsMalformed(tableRequest(5, 5, 4, 0), "toVersion 5 must be greater than fromVersion 5");
        rejectAsMalformed(tableRequest(5, 4, 4, 0), "toVersion 4 must be greater than fromVersion 5");
        rejectAsMalformed(tableRequest(0, 0, 1, 1, 0), "toVersion 0 must be greater than fromVersion 0");
        rejectAsMalformed(tableRequest(-1, 6, 4, 0), "fromVersion must not be negative: -1");
        rejectAsMalformed(tableRequest(Long.MIN_VALUE, 6, 4, 0), "fromVersion must not be negative");
    }

    @Test
    void joinAndTableFetchRepliesCarryOnlyFullTables() throws ProtocolException {
        rejectAsMalformed(bucketEntries(WireBuilder.frame(Opcode.TABLE_FETCH.code(), FLAG_REPLY, 1), 5, 6, 4, 1, 2),
                "table at offset 8: must be a full table (fromVersion 0), is a difference from 5");
        WireBuilder join = WireBuilder.frame(Opcode.JOIN.code(), FLAG_REPLY, 1).bool("accepted", true)
                .i64("version", 1).count16("memberCount", 1).str("nodeId", "n1").str("address", "a").str("zone", "")
                .i64("incarnation", 1);
        rejectAsMalformed(bucketEntries(join, 5, 6, 4, 1, 2), "must be a full table (fromVersion 0)");
        assertEquals(new Reply.TableFetch(new ClusterWire.Table(0, 6, 2, 1, List.of(onN1(0), onN1(1)))),
                decodeBody(bucketEntries(WireBuilder.frame(Opcode.TABLE_FETCH.code(), FLAG_REPLY, 1), 0, 6, 2, 2, 0,
                        1)));
    }

    @Test
    void aNodeNamedTwiceInAViewOrInOneBucketIsMalformed() throws ProtocolException {
        WireBuilder view = WireBuilder.frame(Opcode.VIEW.code(), 0, 1).i64("version", 3).count16("memberCount", 3);
        for (String nodeId : new String[] {"n1", "n2", "n1"}) {
            view.str("nodeId", nodeId).str("address", "a").str("zone", "").i64("incarnation", 1);
        }
        rejectAsMalformed(view, "field 'nodeId' at offset 52: the view lists node \"n1\" twice");

        WireBuilder table = WireBuilder.frame(Opcode.TABLE.code(), 0, 1).i64("fromVersion", 0).i64("toVersion", 1)
                .u32("bucketCount", 1).u8("backupCount", 1).count32("entryCount", 1).u32("bucket", 0)
                .count8("replicaCount", 2).str("nodeId", "n1").u8("state", 0).str("nodeId", "n1").u8("state", 2);
        rejectAsMalformed(table, "bucket 0 lists node \"n1\" twice");

        // the same node in two buckets, and in two views, is fine
        assertEquals(new Request.Table(new ClusterWire.Table(0, 1, 2, 1, List.of(onN1(0), onN1(1)))),
                decodeBody(tableRequest(0, 1, 2, 2, 0, 1)));
    }

    @Test
    void bucketsFrom65536OnAreMalformed() throws ProtocolException {
        for (long bucket : new long[] {65_536, 0x8000_0000L, 0xFFFF_FFFFL}) {
            List<WireBuilder> frames = List.of(
                    WireBuilder.frame(Opcode.BUCKET_DIGEST.code(), 0, 1).u32("bucket", bucket),
                    WireBuilder.frame(Opcode.BUCKET_DIGEST.code(), FLAG_REPLY, 1).u32("bucket", bucket)
                            .i64("sequence", 1).i64("entries", 1).i64("digest", 1),
                    WireBuilder.frame(Opcode.FEED_DONE.code(), 0, 1).u32("bucket", bucket).i64("tableVersion", 1)
                            .str("receiverNodeId", "n1").i64("sequence", 1),
                    WireBuilder.frame(Opcode.MIGRATE_CHUNK.code(), 0, 1).u32("bucket", bucket).i64("tableVersion", 1)
                            .i64("sequence", 1).bool("last", true).count32("count", 0),
                    WireBuilder.frame(Opcode.REPLICATE.code(), 0, 1).count16("count", 1).u32("bucket", bucket)
                            .i64("sequence", 1).u8("changeType", 3).str("map", "m").bytes("key", "k")
                            .bool("hasValue", false).i64("timestampMs", 0).i64("expiresAtMs", 0));
            for (WireBuilder frame : frames) {
                rejectAsMalformed(frame, "is " + bucket + ", a bucket is below 65536");
            }
        }
        assertEquals(new Request.BucketDigest(65_535),
                decodeBody(WireBuilder.frame(Opcode.BUCKET_DIGEST.code(), 0, 1).u32("bucket", 65_535)));
    }

    @Test
    void aMigrateChunkReplyCountsAtMostIntMaxEntries() throws ProtocolException {
        for (long received : new long[] {0x8000_0000L, 0xFFFF_FFFFL}) {
            rejectAsMalformed(WireBuilder.frame(Opcode.MIGRATE_CHUNK.code(), FLAG_REPLY, 1).u32("received", received),
                    "field 'received' at offset 8 is " + received);
        }
        assertEquals(new Reply.MigrateChunk(Integer.MAX_VALUE), decodeBody(
                WireBuilder.frame(Opcode.MIGRATE_CHUNK.code(), FLAG_REPLY, 1).u32("received", 0x7FFF_FFFFL)));
    }

    /** A REPLICATE request with one change of the given type, with or without a value. */
    private static WireBuilder replicate(String map, int changeType, boolean hasValue) {
        WireBuilder out = WireBuilder.frame(Opcode.REPLICATE.code(), 0, 9).count16("count", 1).u32("bucket", 2)
                .i64("sequence", 5).u8("changeType", changeType).str("map", map).bytes("key", "k")
                .bool("hasValue", hasValue);
        if (hasValue) {
            out.bytes("value", "v");
        }
        return out.i64("timestampMs", 1).i64("expiresAtMs", 0);
    }

    @Test
    void aChangeCarriesAValueExactlyWhenItIsCreatedOrUpdated() throws ProtocolException {
        for (EventType type : EventType.values()) {
            boolean carries = type == EventType.CREATED || type == EventType.UPDATED;
            Request.Replicate decoded = (Request.Replicate) decodeBody(replicate("m", type.code(), carries));
            assertEquals(type, decoded.changes().get(0).type());
            ProtocolException e = rejectAs(ErrorCode.INVALID_ARGUMENT, replicate("m", type.code(), !carries).toBytes());
            assertTrue(e.getMessage().startsWith("REPLICATE request: field 'hasValue' at offset 31: a change of type "
                    + type.code() + " (" + type + ") carries " + (carries ? "a value" : "no value")), e.getMessage());
            assertEquals(9, e.requestId());
            assertTrue(!e.code().closesConnection());
        }
    }

    @Test
    void badMapNamesInChangesAndEntriesAreInvalidArguments() throws ProtocolException {
        for (String bad : List.of("", "a".repeat(256), "a\u0000", "\u0085")) {
            ProtocolException e = rejectAs(ErrorCode.INVALID_ARGUMENT, replicate(bad, 1, true).toBytes());
            assertTrue(e.getMessage().startsWith("REPLICATE request: field 'map' at offset 23: map name"),
                    e.getMessage());
            byte[] badAndTruncated = replicate(bad, 1, true).toBytes();
            rejectAs(ErrorCode.MALFORMED_FRAME, Arrays.copyOf(badAndTruncated, badAndTruncated.length - 1));

            WireBuilder chunk = migrateChunk(2, 1).str("map", bad).bytes("key", "k").bytes("value", "v")
                    .i64("version", 1).i64("timestampMs", 0).i64("expiresAtMs", 0);
            e = rejectAs(ErrorCode.INVALID_ARGUMENT, chunk.toBytes());
            assertTrue(e.getMessage().startsWith("MIGRATE_CHUNK request: field 'map' at offset 68: map name"),
                    e.getMessage());
        }
        // a bad name first, a malformed change after it: malformed
        WireBuilder two = WireBuilder.frame(Opcode.REPLICATE.code(), 0, 9).count16("count", 2);
        for (int i = 0; i < 2; i++) {
            two.u32("bucket", 2).i64("sequence", 5 + i).u8("changeType", i == 0 ? 3 : 9).str("map", i == 0 ? "" : "m")
                    .bytes("key", "k").bool("hasValue", false).i64("timestampMs", 1).i64("expiresAtMs", 0);
        }
        rejectAsMalformed(two, "field 'changeType' at offset 59 is 9, not 1 to 5");
    }

    @Test
    void anElementCountLargerThanTheBytesPresentFailsAtTheCount() throws ProtocolException {
        // three entries of 35 bytes: 105 bytes, room for at most three 34-byte entries
        assertEquals(3, ((Request.MigrateChunk) decodeBody(migrateChunk(3, 3))).entries().size());
        rejectAsMalformed(migrateChunk(4, 3), "field 'count' at offset 29 is 4: 4 elements take at least 136 bytes,"
                + " only 105 left");
        rejectAsMalformed(migrateChunk(2, 3), "35 bytes left over");

        WireBuilder replicate = WireBuilder.frame(Opcode.REPLICATE.code(), 0, 1).count16("count", 2);
        rejectAsMalformed(replicate, "field 'count' at offset 8 is 2: 2 elements take at least 72 bytes, only 0 left");
        rejectAsMalformed(WireBuilder.frame(Opcode.VIEW.code(), 0, 1).i64("version", 1).count16("memberCount", 1)
                .str("nodeId", "n1"), "field 'memberCount' at offset 16 is 1: 1 elements take at least 14 bytes");
        rejectAsMalformed(WireBuilder.frame(Opcode.TABLE.code(), 0, 1).i64("fromVersion", 0).i64("toVersion", 1)
                .u32("bucketCount", 1).u8("backupCount", 1).count32("entryCount", 1).u32("bucket", 0)
                .count8("replicaCount", 2).str("nodeId", "n1").u8("state", 0),
                "field 'replicaCount' at offset 37 is 2: 2 elements take at least 6 bytes, only 5 left");
    }

    // ------------------------------------------------------------------------------------------
    // what the exception carries

    @Test
    void theExceptionNamesTheFrameFieldOffsetAndValueAndMakesTheErrorReply() throws ProtocolException {
        byte[] frame = WireBuilder.frame(Opcode.GET.code(), 0, 0xCAFE).str("map", "m").u32("key length", 0xFFFF_FFFFL)
                .toBytes();
        ProtocolException e = rejectAs(ErrorCode.MALFORMED_FRAME, frame);
        assertEquals("GET request: field 'key' at offset 11 has length 4294967295, only 0 bytes left", e.getMessage());
        assertEquals(Opcode.GET.code(), e.opcode());
        assertEquals(0xCAFE, e.requestId());
        assertEquals(0, e.getStackTrace().length, "no stack trace for bad input");

        Frame reply = e.toErrorFrame();
        assertEquals(new Frame(0xCAFE, new ErrorReply(Opcode.GET.code(), ErrorCode.MALFORMED_FRAME, e.getMessage())),
                reply);
        assertEquals(reply, ProtocolCodec.decode(ProtocolCodec.encode(reply)));

        ProtocolException shortFrame = rejectAs(ErrorCode.MALFORMED_FRAME, new byte[3]);
        assertEquals(new Frame(0, new ErrorReply(0, ErrorCode.MALFORMED_FRAME, shortFrame.getMessage())),
                shortFrame.toErrorFrame());

        ProtocolException longMessage = new ProtocolException(ErrorCode.INTERNAL_ERROR, 1, 2, "😀".repeat(5000));
        ErrorReply cut = (ErrorReply) longMessage.toErrorFrame().body();
        assertTrue(cut.message().length() <= 1024 + 3 && cut.message().endsWith("..."), cut.message());
    }
}
