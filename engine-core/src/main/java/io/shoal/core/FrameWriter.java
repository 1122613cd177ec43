package io.shoal.core;

import io.shoal.protocol.Frame;
import io.shoal.protocol.ProtocolCodec;
import io.shoal.spi.Connection;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * Where the server encodes an outgoing frame before {@link Connection#send} copies it: one growable
 * heap buffer per thread (I/O threads, the event thread, the timer), so replies allocate nothing
 * once the buffer has grown. Hot replies and event pushes are written field by field in the layout
 * of docs/protocol.md (the tests decode every one with the strict codec); everything else goes
 * through {@link ProtocolCodec#encode(Frame, ByteBuffer)}. A buffer grown past
 * {@link #KEEP_AT_MOST_BYTES} (a large SCAN page) is dropped after its frame is sent.
 *
 * <p>Not thread-safe: {@link #get()} hands out the calling thread's writer; use it for one frame,
 * then {@link #sendTo} or {@link #copy} it.
 */
final class FrameWriter {
    private static final int INITIAL_BYTES = 4096;
    private static final int KEEP_AT_MOST_BYTES = 1 << 20;
    private static final ThreadLocal<FrameWriter> PER_THREAD = ThreadLocal.withInitial(FrameWriter::new);

    private ByteBuffer buf = ByteBuffer.allocate(INITIAL_BYTES);

    /** The calling thread's writer, emptied. */
    static FrameWriter get() {
        FrameWriter writer = PER_THREAD.get();
        writer.buf.clear();
        return writer;
    }

    FrameWriter header(int opcode, int flags, int requestId) {
        ensure(Frame.HEADER_BYTES);
        buf.put((byte) opcode).put((byte) flags).putShort((short) 0).putInt(requestId);
        return this;
    }

    /** A reply header: the request's opcode and id, flags {@code REPLY}. */
    FrameWriter reply(int opcode, int requestId) {
        return header(opcode, Frame.FLAG_REPLY, requestId);
    }

    FrameWriter u8(int value) {
        ensure(1);
        buf.put((byte) value);
        return this;
    }

    FrameWriter bool(boolean value) {
        return u8(value ? 1 : 0);
    }

    FrameWriter u32(int bits) {
        ensure(4);
        buf.putInt(bits);
        return this;
    }

    FrameWriter i64(long value) {
        ensure(8);
        buf.putLong(value);
        return this;
    }

    /** {@code bytes}: u32 length, then the bytes. */
    FrameWriter bytes(byte[] src, int offset, int length) {
        ensure(4 + length);
        buf.putInt(length).put(src, offset, length);
        return this;
    }

    /** The whole frame through the codec. */
    FrameWriter frame(Frame frame) {
        ensure(ProtocolCodec.encodedSizeBytes(frame));
        ProtocolCodec.encode(frame, buf);
        return this;
    }

    /** Bytes written so far. */
    int sizeBytes() {
        return buf.position();
    }

    /** Hands the frame to the connection, which copies it before returning. */
    CompletableFuture<Void> sendTo(Connection connection) {
        buf.flip();
        try {
            return connection.send(buf);
        } finally {
            release();
        }
    }

    /** A copy of the frame, for sending later from another thread. */
    ByteBuffer copy() {
        buf.flip();
        ByteBuffer copy = ByteBuffer.allocate(buf.remaining());
        copy.put(buf).flip();
        release();
        return copy;
    }

    private void release() {
        if (buf.capacity() > KEEP_AT_MOST_BYTES) {
            buf = ByteBuffer.allocate(INITIAL_BYTES);
        } else {
            buf.clear();
        }
    }

    private void ensure(int bytes) {
        if (buf.remaining() < bytes) {
            long needed = (long) buf.position() + bytes;
            if (needed > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("frame of " + needed + " bytes is too large to encode");
            }
            ByteBuffer grown = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 16, Math.max(needed, 2L * buf.capacity())));
            buf.flip();
            grown.put(buf);
            buf = grown;
        }
    }
}
