package io.shoal.protocol;

/**
 * The body of a {@link Frame}: a {@link Request}, its {@link Reply}, an {@link ErrorReply} or a
 * {@link Push}. Each kind of frame of docs/protocol.md section 4 is one record; the frame's opcode
 * and flags follow from the record's type.
 *
 * <p>Records are immutable except for their {@code byte[]} fields, which are neither copied on the
 * way in nor on the way out: do not modify an array after handing it to a message. Their
 * {@code equals}, {@code hashCode} and {@code toString} compare and show array contents.
 * Constructors check what the wire format can carry (u16/u32 ranges, 32-byte nonces, string
 * lengths, map names) and throw {@link IllegalArgumentException} or {@link NullPointerException},
 * so every message that exists can be encoded.
 */
public sealed interface Message permits Request, Reply, ErrorReply, Push {
}
