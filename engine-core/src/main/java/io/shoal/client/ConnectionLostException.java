package io.shoal.client;

import io.shoal.ShoalException;

/**
 * The connection a request was sent on was lost before its reply came: the node closed it, went
 * silent for {@link ClientConfig#deadPeerTimeout()}, or said GOODBYE. The client reconnects by
 * itself (see {@link ShoalClient}); this request is not retried (see {@link RetryPolicy}).
 *
 * <p>For a write ({@link #isWrite()}) the outcome is unknown: the node may or may not have applied
 * it. Read the key again (for example with {@code getEntry}) before deciding to retry.
 */
public class ConnectionLostException extends ShoalException {
    private static final long serialVersionUID = 1L;
    private final boolean write;

    public ConnectionLostException(String message, boolean write) {
        super(message);
        this.write = write;
    }

    /** Whether the request was a write, whose outcome is then unknown. */
    public boolean isWrite() {
        return write;
    }
}
