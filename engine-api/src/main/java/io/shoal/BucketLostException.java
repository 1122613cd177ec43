package io.shoal;

/**
 * Every copy of the bucket that holds the key was lost (more nodes failed at once than
 * {@code backups.count} allows for). The cluster says so on every access to the bucket rather than
 * answer as if the data had never existed; the coordinator's log names the buckets lost. Nothing
 * was read or changed.
 */
public class BucketLostException extends ShoalException {
    private static final long serialVersionUID = 1L;
    private final int bucket;

    public BucketLostException(String message, int bucket) {
        super(message);
        this.bucket = bucket;
    }

    /** The lost bucket. */
    public int bucket() {
        return bucket;
    }
}
