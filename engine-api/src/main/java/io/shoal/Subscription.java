package io.shoal;

/**
 * A registered listener. {@link #close()} unregisters it: no event is delivered after
 * {@code close()} returns, except one already being delivered on the event thread. Idempotent.
 */
public interface Subscription extends AutoCloseable {
    @Override
    void close();
}
