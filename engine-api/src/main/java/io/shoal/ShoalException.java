package io.shoal;

/**
 * Base class of every exception Shoal throws on purpose. Subclasses name the specific failure;
 * the message always names the offending value.
 */
public class ShoalException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ShoalException(String message) {
        super(message);
    }

    public ShoalException(String message, Throwable cause) {
        super(message, cause);
    }
}
