package io.shoal.protocol;

import static io.shoal.protocol.Fields.notNull;
import static io.shoal.protocol.Fields.str;
import static io.shoal.protocol.Fields.u8;

/**
 * An error reply body (frame flags {@code REPLY | ERROR}, docs/protocol.md section 5).
 *
 * @param opcode  the failed request's opcode byte as it was received, which may be one version 1
 *                does not know (the answer to {@code UNKNOWN_OPCODE}), or 0 for a connection error
 *                or a frame whose header could not be read
 * @param code    what went wrong; {@link ErrorCode#closesConnection()} tells whether the node closes
 *                the connection after it
 * @param message for people, never to be parsed (at most 65,535 bytes of UTF-8)
 */
public record ErrorReply(int opcode, ErrorCode code, String message) implements Message {
    public ErrorReply {
        u8(opcode, "opcode");
        notNull(code, "code");
        str(message, "message");
    }
}
