package io.shoal;

/**
 * A write would take the node's data over {@code memory.maxBytes} and the eviction policy could
 * not (or, with {@code eviction = none}, may not) free enough room. The write had no effect:
 * nothing already stored was changed.
 */
public class MemoryLimitExceededException extends ShoalException {
    private static final long serialVersionUID = 1L;
    private final long requestedBytes;
    private final long usedBytes;
    private final long maxBytes;

    public MemoryLimitExceededException(String message, long requestedBytes, long usedBytes, long maxBytes) {
        super(message);
        this.requestedBytes = requestedBytes;
        this.usedBytes = usedBytes;
        this.maxBytes = maxBytes;
    }

    /** Bytes the refused write needed (key, value and per-entry overhead). */
    public long requestedBytes() {
        return requestedBytes;
    }

    /** Bytes held when the write was refused. */
    public long usedBytes() {
        return usedBytes;
    }

    /** The configured limit, {@code memory.maxBytes}. */
    public long maxBytes() {
        return maxBytes;
    }
}
