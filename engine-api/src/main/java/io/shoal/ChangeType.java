package io.shoal;

/** What happened to an entry. */
public enum ChangeType {
    /** A key that had no value got one. */
    CREATED,
    /** A key's value was replaced. */
    UPDATED,
    /** A key was removed by a caller. */
    REMOVED,
    /** A key's time to live ran out and the node reclaimed it. */
    EXPIRED,
    /** The eviction policy removed the key to make room under {@code memory.maxBytes}. */
    EVICTED;

    /** True for the types after which the key has no value. */
    public boolean isRemoval() {
        return this == REMOVED || this == EXPIRED || this == EVICTED;
    }
}
