package io.shoal.protocol;

import static io.shoal.protocol.Fields.notNull;

/**
 * One frame of the protocol (docs/protocol.md section 2): a header and a body. The header's opcode
 * and flags follow from the body's type ({@link #opcode()}, {@link #flags()}); only the request id
 * is free. A {@link Request} has flags 0, a {@link Reply} {@code REPLY}, an {@link ErrorReply}
 * {@code REPLY | ERROR}, a {@link Push} {@code PUSH} and request id 0.
 *
 * @param requestId chosen by the sender of a request, echoed by its reply, 0 in a push (a u32 held
 *                  as an int with the same bits)
 * @param body      the message
 */
public record Frame(int requestId, Message body) {
    /** Size of the header in bytes: {@code opcode u8, flags u8, reserved u16, requestId u32}. */
    public static final int HEADER_BYTES = 8;
    /** Flag bit 0: the frame is a reply. */
    public static final int FLAG_REPLY = 0x01;
    /** Flag bit 1: the reply is an error (only with {@link #FLAG_REPLY}). */
    public static final int FLAG_ERROR = 0x02;
    /** Flag bit 2: the frame is a push. */
    public static final int FLAG_PUSH = 0x04;

    public Frame {
        notNull(body, "body");
        if (body instanceof Push && requestId != 0) {
            throw new IllegalArgumentException("a push has request id 0, not " + Integer.toUnsignedString(requestId));
        }
    }

    /** The header's opcode byte. */
    public int opcode() {
        if (body instanceof Request request) {
            return request.opcode().code();
        } else if (body instanceof Reply reply) {
            return reply.opcode().code();
        } else if (body instanceof Push push) {
            return push.opcode().code();
        }
        return ((ErrorReply) body).opcode();
    }

    /** The header's flags. */
    public int flags() {
        if (body instanceof Request) {
            return 0;
        } else if (body instanceof Reply) {
            return FLAG_REPLY;
        } else if (body instanceof Push) {
            return FLAG_PUSH;
        }
        return FLAG_REPLY | FLAG_ERROR;
    }

    /** The header. */
    public FrameHeader header() {
        return new FrameHeader(opcode(), flags(), requestId);
    }
}
