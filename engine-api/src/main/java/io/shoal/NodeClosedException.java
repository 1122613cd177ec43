package io.shoal;

/** The node (or the map's node) has been closed; no further operations are accepted. */
public class NodeClosedException extends ShoalException {
    private static final long serialVersionUID = 1L;

    public NodeClosedException(String nodeId) {
        super("node " + nodeId + " is closed");
    }
}
