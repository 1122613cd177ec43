package io.shoal.persist.file;

import io.shoal.ShoalException;

/**
 * The file log could not store or read something: an I/O error (disk full included) while
 * appending, which fails the appends involved, or a corrupt or unreadable file found by recovery,
 * which stops start-up. The message names the file and, for corruption, the offset.
 */
public class PersistenceException extends ShoalException {
    private static final long serialVersionUID = 1L;

    public PersistenceException(String message) {
        super(message);
    }

    public PersistenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
