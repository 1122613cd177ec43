package io.shoal.client;

import io.shoal.ShoalException;

/**
 * A node answered that it does not serve the call's key (its bucket is changing hands, or the
 * caller's idea of the partition table is older or newer than the node's); the node did nothing.
 * Thrown only by a client built with {@link ClientConfig.Builder#retryNotOwner(boolean)
 * retryNotOwner(false)}: the default client sends such a call again within its request timeout.
 */
public final class NotOwnerException extends ShoalException {
    private static final long serialVersionUID = 1L;

    public NotOwnerException(String message) {
        super(message);
    }
}
