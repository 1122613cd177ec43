package io.shoal.protocol;

/**
 * The first 8 bytes of a frame, checked (docs/protocol.md section 2): see
 * {@link ProtocolCodec#decodeHeader}. A transport that refuses a frame without reading its body (too
 * large) can still answer with the frame's opcode and request id.
 *
 * @param opcode    the opcode byte (0 to 255)
 * @param flags     {@code 0} (request), {@link Frame#FLAG_REPLY}, {@code FLAG_REPLY | FLAG_ERROR} or
 *                  {@link Frame#FLAG_PUSH}
 * @param requestId the u32 request id, held as an int with the same bits
 */
public record FrameHeader(int opcode, int flags, int requestId) {

    /** Whether the frame is a request (flags 0). */
    public boolean isRequest() {
        return flags == 0;
    }

    /** Whether the frame is a successful reply. */
    public boolean isReply() {
        return flags == Frame.FLAG_REPLY;
    }

    /** Whether the frame is an error reply. */
    public boolean isError() {
        return flags == (Frame.FLAG_REPLY | Frame.FLAG_ERROR);
    }

    /** Whether the frame is a push. */
    public boolean isPush() {
        return flags == Frame.FLAG_PUSH;
    }
}
