package io.shoal;

/**
 * The node (or the map's node) has been closed; no further operations are accepted. A closed
 * {@code ShoalClient} throws its subclass {@code io.shoal.client.ClientClosedException}.
 */
public class NodeClosedException extends ShoalException {
    private static final long serialVersionUID = 1L;

    /** @param nodeId the closed node's id, named in the message */
    public NodeClosedException(String nodeId) {
        super("node " + nodeId + " is closed");
    }

    /** For subclasses whose message names what was closed itself. */
    protected NodeClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
