package io.shoal.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.CodecException;
import io.shoal.Codecs;
import io.shoal.spi.ByteSink;
import io.shoal.spi.Codec;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The {@link CodecContractTest} for every codec in {@link Codecs}, plus their exact byte formats. */
class BuiltInCodecsTest {

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    @Test
    void builtInFindsTheCodecOfEachType() {
        assertSame(Codecs.string(), Codecs.builtIn(String.class));
        assertSame(Codecs.longs(), Codecs.builtIn(Long.class));
        assertSame(Codecs.longs(), Codecs.builtIn(long.class));
        assertSame(Codecs.ints(), Codecs.builtIn(Integer.class));
        assertSame(Codecs.ints(), Codecs.builtIn(int.class));
        assertSame(Codecs.bytes(), Codecs.builtIn(byte[].class));
        assertNull(Codecs.builtIn(Object.class));
        assertNull(Codecs.builtIn(Short.class));
    }

    @Nested
    class StringCodec extends CodecContractTest<String> {

        @Override
        protected Codec<String> codec() {
            return Codecs.string();
        }

        @Override
        protected List<String> samples() {
            return List.of(
                    "",
                    "a",
                    "hello, world",
                    "\u0000 nul and \u007f delete",
                    "ascii then \u0080 and é",
                    "é at the start",
                    "\u00e9\u00e8\u00ea naïve façade",
                    "日本語のキー",
                    "emoji \uD83D\uDE00 and flag \uD83C\uDDEB\uD83C\uDDF7", // surrogate pairs
                    "\uD83D\uDE00",
                    "\uFFFF last BMP char",
                    "x".repeat(100 * 1024),
                    "é😀k".repeat(100 * 1024 / 8));
        }

        @Test
        void encodesAsUtf8() {
            assertArrayEquals(new byte[0], encode(""));
            assertArrayEquals(hex("616263"), encode("abc"));
            assertArrayEquals(hex("c3a9"), encode("é"));
            assertArrayEquals(hex("e697a5"), encode("日"));
            assertArrayEquals(hex("f09f9880"), encode("\uD83D\uDE00"));
            assertArrayEquals(hex("61c3a962"), encode("aéb"));
            for (String sample : samples()) {
                assertArrayEquals(sample.getBytes(StandardCharsets.UTF_8), encode(sample), describe(sample));
            }
        }

        @Test
        void refusesStringsWithoutAUtf8Form() {
            // Lenient UTF-8 would turn a lone surrogate into '?', making "\uD800" and "?" one key.
            for (String lone : List.of("\uD800", "a\uDC00", "x\uD83D")) {
                CodecException e = assertThrows(CodecException.class,
                        () -> codec().encode(lone, new ByteSink()));
                assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
            }
        }

        @Test
        void refusesBytesThatAreNotUtf8() {
            for (byte[] bad : List.of(hex("ff"), hex("c3"), hex("61ed a080".replace(" ", "")))) {
                CodecException e = assertThrows(CodecException.class,
                        () -> codec().decode(bad, 0, bad.length));
                assertTrue(e.getMessage().contains(bad.length + " bytes"), e.getMessage());
            }
        }
    }

    @Nested
    class LongCodec extends CodecContractTest<Long> {

        @Override
        protected Codec<Long> codec() {
            return Codecs.longs();
        }

        @Override
        protected List<Long> samples() {
            return List.of(0L, 1L, -1L, 255L, 256L, Long.MIN_VALUE, Long.MAX_VALUE, 0x0102030405060708L,
                    (long) Integer.MIN_VALUE, (long) Integer.MAX_VALUE + 1);
        }

        @Test
        void encodesAsEightBytesBigEndian() {
            assertArrayEquals(hex("0000000000000000"), encode(0L));
            assertArrayEquals(hex("0000000000000001"), encode(1L));
            assertArrayEquals(hex("ffffffffffffffff"), encode(-1L));
            assertArrayEquals(hex("0102030405060708"), encode(0x0102030405060708L));
            assertArrayEquals(hex("8000000000000000"), encode(Long.MIN_VALUE));
            assertArrayEquals(hex("7fffffffffffffff"), encode(Long.MAX_VALUE));
        }

        @ParameterizedTest
        @ValueSource(ints = {0, 1, 4, 7, 9, 16})
        void rejectsAnyOtherLength(int length) {
            CodecException error = assertThrows(CodecException.class, () -> codec().decode(new byte[20], 2, length));
            assertTrue(error.getMessage().contains(String.valueOf(length)), error.getMessage());
        }
    }

    @Nested
    class IntCodec extends CodecContractTest<Integer> {

        @Override
        protected Codec<Integer> codec() {
            return Codecs.ints();
        }

        @Override
        protected List<Integer> samples() {
            return List.of(0, 1, -1, 127, 128, 255, 256, Integer.MIN_VALUE, Integer.MAX_VALUE, 0x01020304);
        }

        @Test
        void encodesAsFourBytesBigEndian() {
            assertArrayEquals(hex("00000000"), encode(0));
            assertArrayEquals(hex("000000ff"), encode(255));
            assertArrayEquals(hex("ffffffff"), encode(-1));
            assertArrayEquals(hex("01020304"), encode(0x01020304));
            assertArrayEquals(hex("80000000"), encode(Integer.MIN_VALUE));
            assertArrayEquals(hex("7fffffff"), encode(Integer.MAX_VALUE));
        }

        @ParameterizedTest
        @ValueSource(ints = {0, 1, 3, 5, 8})
        void rejectsAnyOtherLength(int length) {
            CodecException error = assertThrows(CodecException.class, () -> codec().decode(new byte[20], 2, length));
            assertTrue(error.getMessage().contains(String.valueOf(length)), error.getMessage());
        }
    }

    @Nested
    class BytesCodec extends CodecContractTest<byte[]> {

        @Override
        protected Codec<byte[]> codec() {
            return Codecs.bytes();
        }

        @Override
        protected List<byte[]> samples() {
            byte[] everyValue = new byte[256];
            for (int i = 0; i < everyValue.length; i++) {
                everyValue[i] = (byte) i;
            }
            return List.of(new byte[0], new byte[] {0}, new byte[] {(byte) 0xFF}, everyValue,
                    TransportContractTest.randomBytes(100 * 1024, 7));
        }

        @Test
        void encodesAsIs() {
            for (byte[] sample : samples()) {
                assertArrayEquals(sample, encode(sample), describe(sample));
            }
            assertEquals(0, encode(new byte[0]).length);
        }
    }
}
