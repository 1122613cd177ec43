package io.shoal.transport.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.shoal.ShoalException;

import java.util.List;

/**
 * Splits the byte stream into frames: a 4-byte big-endian unsigned length, then that many bytes.
 *
 * <p>Design: the declared length is checked against {@code maxFrameBytes} as soon as its 4 bytes
 * are in, before anything is allocated for the frame; an oversized length throws a
 * {@link ShoalException} naming it, the limit and the peer, which closes the connection. The
 * cumulation buffer only ever grows with bytes actually received, so a peer that lies within the
 * limit costs at most what it sends. After a bad length the rest of the stream is discarded. A whole frame is passed on as a retained slice of the
 * cumulation (no copy); the next handler releases it.
 */
final class FrameDecoder extends ByteToMessageDecoder {
    static final int LENGTH_PREFIX_BYTES = 4;

    private volatile int maxFrameBytes;
    private boolean failed;

    FrameDecoder(int maxFrameBytes) {
        this.maxFrameBytes = maxFrameBytes;
    }

    /** Applies to every frame whose length prefix has not been read yet. Any thread. */
    void limit(int maxBytes) {
        maxFrameBytes = maxBytes;
    }

    /** A declared length over the limit; the connection closes after the handler has been told. */
    static final class FrameTooLargeException extends ShoalException {
        private static final long serialVersionUID = 1L;
        final long declaredBytes;
        final int limitBytes;

        FrameTooLargeException(String message, long declaredBytes, int limitBytes) {
            super(message);
            this.declaredBytes = declaredBytes;
            this.limitBytes = limitBytes;
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes()); // the stream is out of step; the connection is closing
            return;
        }
        if (in.readableBytes() < LENGTH_PREFIX_BYTES) {
            return;
        }
        long length = in.getUnsignedInt(in.readerIndex());
        int limit = maxFrameBytes;
        if (length > limit) {
            failed = true;
            throw new FrameTooLargeException(TcpTransport.describe(ctx.channel().remoteAddress())
                    + " declared a frame of " + length + " bytes (0x" + Long.toHexString(length) + "); this side's limit is "
                    + limit + " bytes; closing the connection", length, limit);
        }
        if (in.readableBytes() - LENGTH_PREFIX_BYTES < length) {
            return;
        }
        in.skipBytes(LENGTH_PREFIX_BYTES);
        out.add(in.readRetainedSlice((int) length));
    }
}
