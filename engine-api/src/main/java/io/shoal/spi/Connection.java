package io.shoal.spi;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/** One open connection of a {@link Transport}. Thread-safe. */
public interface Connection {

    /** The peer's address, for logs. */
    String remoteAddress();

    /**
     * Queues {@code frame}'s remaining bytes as one frame. The transport copies or takes over the
     * bytes before this returns, so the caller may reuse the buffer. Never blocks.
     *
     * @return completed when the frame was written out; exceptionally if the connection closed
     *     first, or with an {@link IllegalArgumentException} naming the size if the frame is larger
     *     than {@link Transport#maxFrameBytes()} (the connection stays open: nothing was sent)
     */
    CompletableFuture<Void> send(ByteBuffer frame);

    boolean isOpen();

    /**
     * Closes the connection after the frames already queued; both sides' handlers get
     * {@link FrameHandler#onClose}. Idempotent.
     */
    void close();
}
