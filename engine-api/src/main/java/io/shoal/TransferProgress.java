package io.shoal;

/**
 * Follows an export or an import ({@link ShoalNode#exportMaps}, {@link ShoalNode#importMaps})
 * while it runs, for example to draw a progress bar. Methods have no-op defaults, so callbacks
 * added later do not break existing listeners.
 *
 * <p><b>Threading.</b> Called on the thread that runs the transfer (the caller of
 * {@code exportMaps} or {@code importMaps}), between entries, with no lock held. The transfer
 * waits while the listener runs, so it should return quickly.
 *
 * <p><b>Frequency.</b> {@link #onProgress} is called whenever at least 1 % more of the work is done
 * or at least one second has passed since the previous call, and once more, with
 * {@code fractionDone = 1}, when the transfer has succeeded. An export measures its work in
 * buckets and reports only between two buckets.
 *
 * <p><b>Errors.</b> An exception thrown by the listener ends the transfer and reaches the caller
 * unchanged: an export then leaves no file behind, an import keeps the entries it imported.
 */
public abstract class TransferProgress {

    /** A listener that ignores every call. */
    public static final TransferProgress NONE = new TransferProgress() {
    };

    /**
     * Progress so far. Every argument only grows from one call to the next.
     *
     * @param entriesDone  entries written to the file (export), or read from it (import, including
     *                     the entries it skipped)
     * @param bytesDone    bytes of the file written or read
     * @param fractionDone share of the work done, from 0 to 1: buckets copied (export) or bytes
     *                     read (import)
     */
    public void onProgress(long entriesDone, long bytesDone, double fractionDone) {
    }
}
