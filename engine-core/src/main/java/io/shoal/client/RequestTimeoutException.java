package io.shoal.client;

import io.shoal.ShoalException;

/**
 * A request of a {@link ShoalClient} got no reply within {@link ClientConfig#requestTimeout()},
 * counted from the moment the call was made (time spent waiting for a connection included). The
 * message names the operation, the map, the node it was sent to (or that no node was reachable, and
 * why) and the timeout.
 *
 * <p>For a write the outcome is unknown: the node may have applied it and its reply may still be on
 * the way. Read the key again (for example with {@code getEntry}) before deciding to retry.
 */
public class RequestTimeoutException extends ShoalException {
    private static final long serialVersionUID = 1L;
    private final boolean write;

    public RequestTimeoutException(String message, boolean write) {
        super(message);
        this.write = write;
    }

    /** Whether the request was a write, whose outcome is then unknown. */
    public boolean isWrite() {
        return write;
    }
}
