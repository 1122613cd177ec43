package io.shoal;

/**
 * Persistence cannot store changes right now: the disk is full or failing. The node keeps serving
 * reads and refuses writes until its persistence backend can store again, which it retries by
 * itself; no operator action is needed beyond freeing space or fixing the disk.
 *
 * <p>{@link #changeApplied()} tells what happened to the write that got this exception:
 * <ul>
 *   <li>{@code false}: the write was refused before it changed anything. Retrying it later is
 *       safe.</li>
 *   <li>{@code true}: the change was applied and is visible to readers, but was not durable when
 *       this was thrown. The backend keeps it and stores it, in order, as soon as it can; if the
 *       node stops before then, the change is lost. Treat the outcome as unknown, as after a
 *       timeout.</li>
 * </ul>
 */
public class StorageUnavailableException extends ShoalException {
    private static final long serialVersionUID = 1L;
    private final boolean changeApplied;

    public StorageUnavailableException(String message, boolean changeApplied, Throwable cause) {
        super(message, cause);
        this.changeApplied = changeApplied;
    }

    /** Whether the write was applied (but not yet durable) rather than refused; see the class doc. */
    public boolean changeApplied() {
        return changeApplied;
    }
}
