package io.shoal;

import java.nio.file.Path;

/**
 * An export or an import failed ({@link ShoalNode#exportMaps}, {@link ShoalNode#importMaps}). The
 * message names the file and, when the problem is at a place in the file (the file is damaged,
 * truncated, of another format version or holds an entry the node cannot take), the byte offset
 * of the structure that failed. The cause, if any, is the underlying failure (an
 * {@link java.io.IOException}, {@link MemoryLimitExceededException},
 * {@link StorageUnavailableException}, ...).
 *
 * <p>A failed export leaves no file behind. A failed import keeps the entries it imported before
 * the failure ({@link #entriesImported()}): they were written like any other write, so events were
 * sent and persistence has them.
 */
public class TransferException extends ShoalException {
    private static final long serialVersionUID = 1L;
    private final String file;
    private final long offsetBytes;
    private final long entriesImported;

    public TransferException(String message, Path file, long offsetBytes, long entriesImported, Throwable cause) {
        super(message, cause);
        this.file = file.toString();
        this.offsetBytes = offsetBytes;
        this.entriesImported = entriesImported;
    }

    /** The export file. */
    public Path file() {
        return Path.of(file);
    }

    /** Offset in the file of the structure that failed, or -1 when the failure is not at a place in the file. */
    public long offsetBytes() {
        return offsetBytes;
    }

    /** Entries the import wrote into the node before it failed (they stay); 0 for an export. */
    public long entriesImported() {
        return entriesImported;
    }
}
