package io.shoal.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;

import org.junit.jupiter.api.BeforeAll;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Jazzer fuzz targets for the decoder. Each asserts that decoding any bytes either returns a frame
 * that encodes back to exactly those bytes, or throws {@link ProtocolException} with a decoder's
 * code (and an error reply that can be encoded) — never another exception, an out-of-memory error
 * or a hang.
 *
 * <p>Plain {@code mvn test} replays only the corpus in
 * {@code src/test/resources/io/shoal/protocol/ProtocolFuzzTestInputs/<method>/}; with
 * {@code JAZZER_FUZZ=1} Jazzer fuzzes one target ({@code bin/shoal fuzz <target> --minutes N}) and
 * writes a failing input to that directory, so it is replayed by every build after.
 */
class ProtocolFuzzTest {
    private static final int[] REPLY_FLAGS = {Frame.FLAG_REPLY, Frame.FLAG_REPLY | Frame.FLAG_ERROR, Frame.FLAG_PUSH};

    /**
     * Jazzer's agent stays in surefire's JVM after these tests and would hook (network, files,
     * reflection) every class of the test classpath loaded later: keep it to the codec. Runs before
     * the agent is configured, which happens when the first fuzz test asks for its inputs.
     */
    @BeforeAll
    static void instrumentOnlyTheCodec() {
        if (System.getProperty("jazzer.instrument") == null && System.getenv("JAZZER_INSTRUMENT") == null) {
            System.setProperty("jazzer.instrument", "io.shoal.protocol.**");
        }
    }

    /** A request (flags 0, request id 1): input byte 0 is the opcode, the rest the body. */
    @FuzzTest
    void request(byte[] input) {
        int opcode = input.length > 0 ? input[0] & 0xFF : 0;
        byte[] frame = frame(opcode, 0, 1, input, 1);
        Frame decoded = check(frame);
        if (decoded != null && !(decoded.body() instanceof Request)) {
            throw new AssertionError("flags 0 decoded to " + decoded);
        }
    }

    /**
     * What a client receives besides requests: input byte 0 is the opcode, byte 1 picks a reply,
     * an error reply or a push (request id 1, 1, 0), the rest is the body.
     */
    @FuzzTest
    void reply(byte[] input) {
        int opcode = input.length > 0 ? input[0] & 0xFF : 0;
        int flags = REPLY_FLAGS[input.length > 1 ? (input[1] & 0xFF) % REPLY_FLAGS.length : 0];
        byte[] frame = frame(opcode, flags, flags == Frame.FLAG_PUSH ? 0 : 1, input, 2);
        Frame decoded = check(frame);
        if (decoded != null && decoded.body() instanceof Request) {
            throw new AssertionError("flags " + flags + " decoded to a request " + decoded);
        }
    }

    /** Whole frames, header included; {@link ProtocolCodec#decodeHeader} must agree with decode. */
    @FuzzTest
    void header(byte[] input) {
        FrameHeader header = null;
        ProtocolException headerError = null;
        try {
            header = ProtocolCodec.decodeHeader(ByteBuffer.wrap(input));
        } catch (ProtocolException e) {
            headerError = e;
        }
        Frame decoded = check(input);
        if (decoded != null && !decoded.header().equals(header)) {
            throw new AssertionError("decodeHeader gave " + header + " (or " + headerError + ") for " + decoded);
        }
        if (headerError != null && decoded != null) {
            throw new AssertionError("decodeHeader failed but decode did not: " + headerError.getMessage());
        }
    }

    private static byte[] frame(int opcode, int flags, int requestId, byte[] input, int bodyStart) {
        int bodyLength = Math.max(0, input.length - bodyStart);
        ByteBuffer frame = ByteBuffer.allocate(Frame.HEADER_BYTES + bodyLength);
        frame.put((byte) opcode).put((byte) flags).putShort((short) 0).putInt(requestId);
        if (bodyLength > 0) {
            frame.put(input, bodyStart, bodyLength);
        }
        return frame.array();
    }

    /** The decoded frame, or null if decoding failed as it may. */
    private static Frame check(byte[] frame) {
        ByteBuffer buffer = ByteBuffer.wrap(frame);
        Frame decoded;
        try {
            decoded = ProtocolCodec.decode(buffer);
        } catch (ProtocolException e) {
            if (e.code() != ErrorCode.MALFORMED_FRAME && e.code() != ErrorCode.UNKNOWN_OPCODE
                    && e.code() != ErrorCode.INVALID_ARGUMENT) {
                throw new AssertionError("unexpected code " + e.code() + ": " + e.getMessage());
            }
            ProtocolCodec.encode(e.toErrorFrame()); // the answer can always be sent
            return null;
        }
        if (buffer.position() != 0 || buffer.limit() != frame.length) {
            throw new AssertionError("decode moved the buffer");
        }
        byte[] again = ProtocolCodec.encode(decoded).array();
        if (!Arrays.equals(frame, again)) {
            throw new AssertionError("decoded " + decoded + " from " + HexFormat.of().formatHex(frame)
                    + " but it encodes to " + HexFormat.of().formatHex(again));
        }
        return decoded;
    }
}
