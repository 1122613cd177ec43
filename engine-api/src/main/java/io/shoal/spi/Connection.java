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
     * Sets the largest frame this side accepts from the peer from now on; a new connection starts
     * at {@link Transport#maxFrameBytes()}. A frame declaring more closes the connection before
     * anything is buffered for it: {@link FrameHandler#onClose} gets a cause naming the size and
     * the limit. The protocol keeps it small until a connection has authenticated. Thread-safe;
     * applies to every frame whose length the transport has not read yet.
     *
     * @throws IllegalArgumentException naming the value if it is below 1 or above
     *     {@link Transport#maxFrameBytes()}
     */
    void limitInboundFrameBytes(int maxBytes);

    /**
     * Bytes accepted by {@link #send} and not yet written out: a sender that must not let a slow
     * peer grow this side's memory (event pushes, for example) checks it and drops or waits.
     * Thread-safe, cheap, approximate under concurrent sends.
     */
    long queuedBytes();

    /**
     * Closes the connection after the frames already queued; both sides' handlers get
     * {@link FrameHandler#onClose}. Idempotent.
     */
    void close();
}
