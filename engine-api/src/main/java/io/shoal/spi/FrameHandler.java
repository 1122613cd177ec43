package io.shoal.spi;

import java.nio.ByteBuffer;

/**
 * Receives a connection's events. No-op defaults, so callbacks added later do not break
 * implementations.
 *
 * <p><b>Threading.</b> Called on the transport's I/O thread for the connection, one call at a
 * time per connection, and in order: {@link #onOpen} first, then every frame in the order sent,
 * then {@link #onClose} exactly once. Must not block: hand long work elsewhere.
 *
 * <p><b>Errors.</b> An exception thrown by a callback closes the connection: this side's
 * {@link #onClose} gets the exception as its cause, frames still queued for this side are dropped,
 * and the peer sees the connection close as if the other end had closed it.
 */
public abstract class FrameHandler {

    public void onOpen(Connection connection) {
    }

    /**
     * One whole frame; {@code frame} is valid only during the call (copy what is kept). Its
     * length was checked against {@link Transport#maxFrameBytes()} before it was allocated.
     */
    public void onFrame(Connection connection, ByteBuffer frame) {
    }

    /**
     * The peer declared a frame larger than this side accepts (the transport's
     * {@link Transport#maxFrameBytes()} or {@link Connection#limitInboundFrameBytes}). Nothing of it
     * was buffered and no later frame is delivered. Frames sent from this call are written before
     * the transport closes the connection, so a protocol can tell the peer why; then
     * {@link #onClose} follows with a cause naming the size and the limit. Default: nothing.
     */
    public void onFrameTooLarge(Connection connection, long declaredBytes, int limitBytes) {
    }

    /** The connection closed; {@code cause} is {@code null} for an orderly close. */
    public void onClose(Connection connection, Throwable cause) {
    }
}
