package io.shoal.spi;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Moves frames between endpoints ({@code transport = <name>}). A transport knows nothing of the
 * protocol: a frame is an opaque byte sequence, delivered whole, once, and in order per
 * connection. The protocol codec lives in {@code engine-core} and is shared by every transport.
 *
 * <p>Addresses are transport-specific strings ({@code host:port} for TCP; a name for in-memory and
 * shared-memory transports).
 *
 * <p><b>Threading.</b> All methods are thread-safe. {@link #listen} and {@link #connect} do not
 * block beyond binding; handlers are called on the transport's I/O threads (see
 * {@link FrameHandler}).
 *
 * <p><b>Errors.</b> {@code listen} throws {@link io.shoal.ShoalException} if it cannot bind;
 * {@code connect} completes its future exceptionally with a {@link io.shoal.ShoalException} naming
 * the address if the peer cannot be reached within the timeout. After {@link #close()},
 * {@code listen} throws and {@code connect} fails with {@link IllegalStateException}. {@code close}
 * may be called from a handler.
 */
public interface Transport extends AutoCloseable {

    /** Largest frame this transport carries, in bytes; larger sends fail. */
    int maxFrameBytes();

    /**
     * Accepts connections at {@code address}; each accepted connection reports to
     * {@code handler}. An address may ask for an ephemeral port or name; the returned server tells
     * the bound address.
     */
    Server listen(String address, FrameHandler handler);

    /** Opens a connection to {@code address}; its events go to {@code handler}. */
    CompletableFuture<Connection> connect(String address, FrameHandler handler, Duration connectTimeout);

    /** Closes every server and connection of this transport. Idempotent; may block briefly. */
    @Override
    void close();

    /** A listening endpoint. */
    interface Server extends AutoCloseable {
        /** The address clients connect to (ephemeral parts resolved). */
        String address();

        /** Stops accepting and closes the connections it accepted. Idempotent. */
        @Override
        void close();
    }
}
