package io.shoal.samples.check;

/** A node did not come up: its process failed or did not serve within the start timeout. The message names the node and its log. */
final class NodeStartException extends Exception {
    private static final long serialVersionUID = 1L;

    NodeStartException(String message) {
        super(message);
    }
}
