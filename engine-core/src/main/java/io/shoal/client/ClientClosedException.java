package io.shoal.client;

import io.shoal.NodeClosedException;

/**
 * The {@link ShoalClient} has been closed: no further operations are accepted, and calls still
 * pending when it closed fail with this. A {@link NodeClosedException}, so code written against an
 * embedded node catches it unchanged.
 */
public final class ClientClosedException extends NodeClosedException {
    private static final long serialVersionUID = 1L;

    /** @param clientName the closed client's name ({@link ClientConfig#clientName()}) */
    public ClientClosedException(String clientName) {
        super("client " + clientName + " is closed", null);
    }
}
