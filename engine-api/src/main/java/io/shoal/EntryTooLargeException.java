package io.shoal;

/**
 * A key or value is larger than the node accepts ({@code store.maxKeyBytes},
 * {@code store.maxValueBytes}). The write had no effect.
 */
public class EntryTooLargeException extends ShoalException {
    private static final long serialVersionUID = 1L;

    public EntryTooLargeException(String message) {
        super(message);
    }
}
