package io.shoal.transport.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.shoal.ShoalException;

import java.util.concurrent.CompletableFuture;

/**
 * One queued frame and the future {@link TcpConnection#send} returned for it.
 *
 * <p>Design: the future doubles as the Netty write listener, so a send allocates the encoded
 * buffer, this object and Netty's promise, nothing more. The encoded buffer (length prefix and
 * payload) is handed to Netty exactly once, by {@link #takeFrame}; a frame never handed over is
 * released by {@link #fail}.
 */
final class FrameWrite extends CompletableFuture<Void> implements ChannelFutureListener {
    private final TcpConnection connection;
    private final int bytes;
    private ByteBuf frame;

    FrameWrite(TcpConnection connection, ByteBuf frame) {
        this.connection = connection;
        this.frame = frame;
        this.bytes = frame.readableBytes();
    }

    /** The encoded frame, for the channel to write and release. Called once, on the event loop. */
    ByteBuf takeFrame() {
        ByteBuf taken = frame;
        frame = null;
        return taken;
    }

    /** Fails a frame that was never handed to the channel, releasing its buffer. */
    void fail(Throwable cause) {
        ByteBuf unsent = takeFrame();
        if (unsent != null) {
            unsent.release();
        }
        connection.dequeued(bytes);
        completeExceptionally(cause);
    }

    @Override
    public void operationComplete(ChannelFuture future) {
        connection.dequeued(bytes);
        if (future.isSuccess()) {
            complete(null);
        } else {
            completeExceptionally(new ShoalException("frame not written: connection " + connection + " closed first",
                    future.cause()));
        }
    }
}
