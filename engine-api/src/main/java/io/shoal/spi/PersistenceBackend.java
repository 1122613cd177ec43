package io.shoal.spi;

import java.util.concurrent.CompletableFuture;

/**
 * Keeps a node's changes across restarts ({@code persistence = <name>}; {@code none}, the default,
 * keeps nothing). The engine calls, in this order: {@link #recover} once at start, then
 * {@link #start} with a view of the node's state (for snapshots), then {@link #append} for every
 * change, then {@link #close} at shutdown (the state view still works during {@code close}, so a
 * backend can write a last snapshot).
 *
 * <p><b>Ordering.</b> {@code append} is called while the change's bucket is locked, so the records
 * of one bucket arrive in sequence order; records of different buckets arrive concurrently from
 * different threads.
 */
public interface PersistenceBackend extends AutoCloseable {

    /**
     * Replays the stored state into {@code sink}, on the starting thread, before the node serves
     * anything. May block. Records of one bucket must be replayed in sequence order. The backend
     * need not replay every record it was given (a snapshot may stand for many), but applying what
     * it replays, in order, must yield exactly the state that applying every acknowledged record
     * would: the same keys with the same values, versions and expiry times. Records of type
     * {@link io.shoal.ChangeType#EVICTED} and {@link io.shoal.ChangeType#EXPIRED} are removals like
     * any other.
     *
     * @throws io.shoal.ShoalException if the stored state cannot be read; the node does not start
     */
    void recover(RecoverySink sink);

    /**
     * Called once after {@link #recover}, on the starting thread, before the node serves: the
     * backend may keep {@code state} to write snapshots from its own threads. May block briefly;
     * long work belongs on the backend's threads, which {@link #close} must end. Default: nothing.
     */
    default void start(StateSource state) {
    }

    /**
     * Hands over one applied change. Called on the writing thread with the bucket locked: must not
     * block or do I/O on the caller's thread; queue the record and return.
     *
     * <p>The change is already applied in memory, so a backend must not drop it because of an I/O
     * error: it keeps the record (and every later one, in order) and retries until it is stored,
     * completing the future meanwhile with a {@link io.shoal.StorageUnavailableException} whose
     * {@code changeApplied()} is {@code true}, and refusing new changes through
     * {@link #checkWritable} until a retry succeeds. Memory and storage never diverge.
     *
     * @return a future completed when the record is as durable as the backend's policy promises;
     *     completed exceptionally if it could not be stored yet (above) or can never be (a
     *     {@link io.shoal.ShoalException} naming why, e.g. after {@link #close}). The writer's
     *     caller is acknowledged only after it completes.
     */
    CompletableFuture<Void> append(ChangeRecord record);

    /**
     * Refuses new changes while the backend cannot store them. Called on the writing thread before
     * the engine applies a change (not under the bucket lock), so a refused write changes nothing;
     * must be cheap (a volatile read). Default: never refuses.
     *
     * @throws io.shoal.StorageUnavailableException with {@code changeApplied()} {@code false},
     *     naming the cause, while earlier records wait for a retry (disk full, I/O error)
     */
    default void checkWritable() {
    }

    /**
     * Flushes what was appended and releases files; called on the closing thread. May block.
     * Idempotent. An {@code append} after {@code close} fails (throws or returns a failed future).
     */
    @Override
    void close();

    /**
     * Receives replayed records during {@link #recover}. Replay is idempotent: a record whose
     * sequence is not above its bucket's current sequence is skipped, so a backend may replay a
     * snapshot and then every log record after the snapshot started, overlaps included.
     */
    interface RecoverySink {
        /** Applies one record (a put, or a removal of any type) to its bucket. */
        void apply(ChangeRecord record);

        /**
         * Raises a bucket's sequence to at least {@code sequence} (a snapshot knows the sequence
         * its bucket had, which can be above the versions of the entries it holds).
         */
        void bucketSequence(int bucket, long sequence);
    }

    /**
     * The node's current state, bucket by bucket, for snapshots. Thread-safe; called from the
     * backend's own threads.
     */
    interface StateSource {
        /** Number of buckets of the node. */
        int bucketCount();

        /**
         * Copies one bucket consistently: while it runs, writers of that bucket wait (keep the
         * visitor quick: hand records to a buffer). Calls {@code visitor} with one
         * {@link io.shoal.ChangeType#CREATED} record per live entry (its sequence is the entry's
         * version), in no particular order, and returns the bucket's sequence at the copy: every
         * record appended later for this bucket has a higher sequence, every earlier one a lower or
         * equal one.
         *
         * @throws io.shoal.NodeClosedException if the node's stores are already closed
         */
        long copyBucket(int bucket, java.util.function.Consumer<ChangeRecord> visitor);
    }
}
