package io.shoal;

/** What {@link ShoalNode#importMaps} does with a key of the file that already has a value in the node. */
public enum ImportMode {

    /**
     * The file's value replaces the node's value: the key gets a new version and listeners see an
     * {@link ChangeType#UPDATED} event.
     */
    OVERWRITE,

    /**
     * The node's value stays; the file's entry is skipped and counted in
     * {@link TransferSummary#skippedExisting()}. An entry of the node that has expired does not
     * count as a value.
     */
    KEEP_EXISTING
}
