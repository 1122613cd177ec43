package io.shoal.core;

import java.util.ArrayDeque;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * The durability futures of a bulk load's last {@link #SIZE} writes ({@link MapImport}, the cluster
 * savefile): waiting for each write would cost one fsync per entry with {@code fsync = always},
 * while persistence completes the futures in order, so waiting for the oldest when the window is
 * full lets one group commit settle many. One loading thread.
 */
final class DurabilityWindow {
    static final int SIZE = 1024;

    private final ArrayDeque<CompletableFuture<Void>> pending = new ArrayDeque<>();
    /** Makes the exception to throw for a write that could not be stored, from its cause. */
    private final Function<Throwable, RuntimeException> notStored;

    DurabilityWindow(Function<Throwable, RuntimeException> notStored) {
        this.notStored = notStored;
    }

    /** Adds the durability of a write (null: nothing to wait for); waits for the oldest if the window is full. */
    void add(CompletableFuture<Void> durable) {
        if (durable != null) {
            pending.add(durable);
            if (pending.size() >= SIZE) {
                await(pending.poll());
            }
        }
    }

    /** Waits for every write added. */
    void awaitAll() {
        while (!pending.isEmpty()) {
            await(pending.poll());
        }
    }

    /** Waits for every write added without throwing (a load that already failed); returns the first failure or null. */
    Throwable settle() {
        Throwable first = null;
        while (!pending.isEmpty()) {
            try {
                pending.poll().join();
            } catch (CompletionException | CancellationException e) {
                first = first == null ? e : first;
            }
        }
        return first;
    }

    private void await(CompletableFuture<Void> durable) {
        try {
            durable.join();
        } catch (CompletionException | CancellationException e) {
            throw notStored.apply(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
        }
    }
}
