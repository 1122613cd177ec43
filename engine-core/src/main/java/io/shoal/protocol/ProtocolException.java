package io.shoal.protocol;

/**
 * A frame that breaks docs/protocol.md, found by {@link ProtocolCodec#decode} or
 * {@link ProtocolCodec#decodeHeader}: the only exception the decoders throw.
 *
 * <p>{@link #code()} is what to answer: {@link ErrorCode#MALFORMED_FRAME} (a length, flag,
 * reserved field, enum, bool or string is invalid, or bytes are left over),
 * {@link ErrorCode#UNKNOWN_OPCODE}, or {@link ErrorCode#INVALID_ARGUMENT} (the frame is well-formed
 * but a value is not allowed: a bad map name, a negative TTL, SCAN's maxEntries out of range, a
 * non-empty match for kind ALL, a replicated change whose value does not fit its type; the
 * connection stays open). {@link #opcode()} and
 * {@link #requestId()} are the frame's when its header could be read, else 0, so that
 * {@link #toErrorFrame()} is the error reply the spec asks for. The message names the field, its
 * offset in the frame and the bad value.
 *
 * <p>It carries no stack trace: it reports bad input from a peer, not a bug, and a peer can send
 * many.
 */
public final class ProtocolException extends Exception {
    private static final long serialVersionUID = 1L;
    /** Longest message an error reply built from this exception carries, in characters. */
    private static final int MAX_REPLY_MESSAGE_CHARS = 1024;

    private final ErrorCode code;
    private final int opcode;
    private final int requestId;

    ProtocolException(ErrorCode code, int opcode, int requestId, String message) {
        super(message, null, false, false);
        this.code = code;
        this.opcode = opcode;
        this.requestId = requestId;
    }

    /** The error code to answer with. */
    public ErrorCode code() {
        return code;
    }

    /** The frame's opcode byte, or 0 if its header could not be read. */
    public int opcode() {
        return opcode;
    }

    /** The frame's request id, or 0 if its header could not be read. */
    public int requestId() {
        return requestId;
    }

    /** The error reply for this failure: the frame's opcode and request id, {@link #code()}, the message. */
    public Frame toErrorFrame() {
        String message = getMessage();
        if (message.length() > MAX_REPLY_MESSAGE_CHARS) {
            int end = MAX_REPLY_MESSAGE_CHARS;
            if (Character.isHighSurrogate(message.charAt(end - 1))) {
                end--;
            }
            message = message.substring(0, end) + "...";
        }
        return new Frame(requestId, new ErrorReply(opcode, code, message));
    }
}
