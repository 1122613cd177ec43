package io.shoal.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Random frames of every kind encode and decode back to equal frames, through every kind of buffer. */
class ProtocolRoundTripTest {
    private static final int FRAMES_PER_KIND = 300;

    static Stream<RandomFrames.Kind> kinds() {
        return RandomFrames.kinds().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void randomFramesRoundTrip(RandomFrames.Kind kind) throws ProtocolException {
        SplittableRandom random = new SplittableRandom(kind.name().hashCode());
        for (int i = 0; i < FRAMES_PER_KIND; i++) {
            Frame frame = kind.next(random);
            ByteBuffer encoded = ProtocolCodec.encode(frame);
            byte[] bytes = Arrays.copyOf(encoded.array(), encoded.remaining());
            assertEquals(ProtocolCodec.encodedSizeBytes(frame), bytes.length);

            Frame decoded = ProtocolCodec.decode(encoded);
            assertEquals(frame, decoded);
            assertEquals(frame.hashCode(), decoded.hashCode());
            assertEquals(frame.toString(), decoded.toString());
            assertEquals(0, encoded.position(), "decode does not move the buffer");
            assertEquals(bytes.length, encoded.limit());
            assertEquals(frame.header(), ProtocolCodec.decodeHeader(encoded));
            assertArrayEquals(bytes, ProtocolCodec.encode(decoded).array(), "re-encoded");

            assertEquals(frame, ProtocolCodec.decode(inTheMiddle(bytes, false, ByteOrder.LITTLE_ENDIAN)), "heap slice");
            assertEquals(frame, ProtocolCodec.decode(inTheMiddle(bytes, true, ByteOrder.BIG_ENDIAN)), "direct");
            assertEquals(frame, ProtocolCodec.decode(
                    inTheMiddle(bytes, false, ByteOrder.BIG_ENDIAN).asReadOnlyBuffer()), "read-only");
        }
    }

    /** The bytes between position 5 and a limit 3 before the end of a bigger buffer. */
    private static ByteBuffer inTheMiddle(byte[] bytes, boolean direct, ByteOrder order) {
        ByteBuffer buffer = direct ? ByteBuffer.allocateDirect(bytes.length + 8) : ByteBuffer.allocate(bytes.length + 8);
        buffer.order(order);
        buffer.put(new byte[] {9, 9, 9, 9, 9}).put(bytes).put(new byte[] {7, 7, 7});
        return buffer.position(5).limit(5 + bytes.length);
    }

    @Test
    void encodeWritesAtThePositionInAnyByteOrderAndAdvancesIt() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 2000; i++) {
            Frame frame = RandomFrames.any(random);
            byte[] expected = ProtocolCodec.encode(frame).array();
            for (ByteBuffer out : new ByteBuffer[] {
                    ByteBuffer.allocate(expected.length + 10).order(ByteOrder.LITTLE_ENDIAN),
                    ByteBuffer.allocateDirect(expected.length + 10)}) {
                ByteOrder order = out.order();
                out.position(4);
                ProtocolCodec.encode(frame, out);
                assertEquals(4 + expected.length, out.position());
                assertEquals(order, out.order(), "order unchanged");
                byte[] written = new byte[expected.length];
                out.get(4, written);
                assertArrayEquals(expected, written);
            }
        }
    }

    @Test
    void aReusedBufferTakesFrameAfterFrame() throws ProtocolException {
        SplittableRandom random = new SplittableRandom(11);
        ByteBuffer reused = ByteBuffer.allocate(1 << 20);
        for (int i = 0; i < 500; i++) {
            Frame frame = RandomFrames.any(random);
            reused.clear();
            ProtocolCodec.encode(frame, reused);
            assertEquals(frame, ProtocolCodec.decode(reused.flip()));
        }
    }

    @Test
    void aFrameThatDoesNotFitWritesNothing() {
        Frame frame = new Frame(1, new Request.Put("m", new byte[] {1}, new byte[100], 0));
        int size = ProtocolCodec.encodedSizeBytes(frame);
        ByteBuffer out = ByteBuffer.allocate(size - 1);
        Arrays.fill(out.array(), (byte) 0x55);
        assertThrows(BufferOverflowException.class, () -> ProtocolCodec.encode(frame, out));
        assertEquals(0, out.position());
        for (byte b : out.array()) {
            assertEquals(0x55, b);
        }
        ByteBuffer exact = ByteBuffer.allocate(size);
        ProtocolCodec.encode(frame, exact);
        assertEquals(size, exact.position());
        assertThrows(ReadOnlyBufferException.class,
                () -> ProtocolCodec.encode(frame, ByteBuffer.allocate(size).asReadOnlyBuffer()));
    }

    @Test
    void decodedFramesShareNoMemoryWithTheInput() throws ProtocolException {
        byte[] bytes = ProtocolCodec.encode(new Frame(3, new Request.Get("m", new byte[] {1, 2, 3}))).array();
        Request.Get get = (Request.Get) ProtocolCodec.decode(ByteBuffer.wrap(bytes)).body();
        Arrays.fill(bytes, (byte) 0);
        assertArrayEquals(new byte[] {1, 2, 3}, get.key());
        assertNotSame(bytes, get.key());
    }

    @Test
    void largeValuesAndLongStringsRoundTrip() throws ProtocolException {
        byte[] value = new byte[5 << 20];
        new SplittableRandom(3).nextBytes(value);
        String reason = "ü".repeat(32_767) + "x"; // 65,535 bytes of UTF-8: the largest str
        for (Frame frame : new Frame[] {
                new Frame(-1, new Request.Put("m".repeat(255), new byte[0], value, Long.MAX_VALUE)),
                new Frame(0x7FFF_FFFF, new Request.Goodbye(reason)),
                new Frame(0, new ErrorReply(255, ErrorCode.INTERNAL_ERROR, reason))}) {
            assertEquals(frame, ProtocolCodec.decode(ProtocolCodec.encode(frame)));
        }
        assertTrue(ProtocolCodec.encodedSizeBytes(new Frame(0, new Request.Goodbye(reason))) == 8 + 2 + 65_535);
    }
}
