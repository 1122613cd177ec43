package io.shoal;

import java.time.Duration;

/**
 * What an export or an import did ({@link ShoalNode#exportMaps}, {@link ShoalNode#importMaps}).
 *
 * @param entries         entries written to the file (export) or imported into the node (import)
 * @param skippedExpired  entries left out because their expiry time had passed when the export
 *                        copied them or when the import read them
 * @param skippedExisting entries an import with {@link ImportMode#KEEP_EXISTING} left out because
 *                        the key had a value in the node; always 0 for an export
 * @param mapCount        maps in the file
 * @param fileBytes       size of the file written or read
 * @param elapsed         time the call took
 */
public record TransferSummary(
        long entries,
        long skippedExpired,
        long skippedExisting,
        int mapCount,
        long fileBytes,
        Duration elapsed) {
}
