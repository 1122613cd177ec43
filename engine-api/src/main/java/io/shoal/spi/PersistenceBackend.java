package io.shoal.spi;

import java.util.concurrent.CompletableFuture;

/**
 * Keeps a node's changes across restarts ({@code persistence = <name>}; {@code none}, the default,
 * keeps nothing). The engine calls, in this order: {@link #recover} once at start, then
 * {@link #append} for every change, then {@link #close} at shutdown.
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
     * Hands over one applied change. Called on the writing thread with the bucket locked: must not
     * block or do I/O on the caller's thread; queue the record and return.
     *
     * @return a future completed when the record is as durable as the backend's policy promises;
     *     completed exceptionally (with a {@link io.shoal.ShoalException}) if it could not be
     *     stored. The writer's caller is acknowledged only after it completes.
     */
    CompletableFuture<Void> append(ChangeRecord record);

    /**
     * Flushes what was appended and releases files; called on the closing thread. May block.
     * Idempotent. An {@code append} after {@code close} fails (throws or returns a failed future).
     */
    @Override
    void close();

    /** Receives replayed records during {@link #recover}. */
    interface RecoverySink {
        void apply(ChangeRecord record);
    }
}
