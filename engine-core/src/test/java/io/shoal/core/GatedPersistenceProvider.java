package io.shoal.core;

import io.shoal.ShoalException;
import io.shoal.StorageUnavailableException;
import io.shoal.spi.ChangeRecord;
import io.shoal.spi.PersistenceBackend;
import io.shoal.spi.PersistenceProvider;
import io.shoal.spi.Settings;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code persistence = test-gated}: a backend the test steers through the {@link Gate} named by
 * {@code test.gate}. {@code recover} blocks until {@link Gate#releaseRecovery} (or fails with
 * {@link Gate#failRecovery}), so a node can be held in its start; with {@link Gate#holdAppends},
 * appends return futures the test completes ({@link Gate#nextAppend}), so durability can be
 * delayed or failed. Nothing is stored.
 */
public final class GatedPersistenceProvider implements PersistenceProvider {
    private static final Map<String, Gate> GATES = new ConcurrentHashMap<>();

    /** The gate of {@code name}, created on first use. */
    static Gate gate(String name) {
        return GATES.computeIfAbsent(name, n -> new Gate());
    }

    static void remove(String name) {
        Gate gate = GATES.remove(name);
        if (gate != null) {
            gate.releaseRecovery();
        }
    }

    static final class Gate {
        final CountDownLatch recovering = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);
        volatile boolean blockRecovery;
        volatile RuntimeException recoveryFailure;
        volatile boolean holdAppends;
        /** Thrown by {@code checkWritable} while set: a bug in the backend, as the engine sees it. */
        volatile RuntimeException writableFailure;
        final LinkedBlockingQueue<CompletableFuture<Void>> appends = new LinkedBlockingQueue<>();

        void releaseRecovery() {
            release.countDown();
        }

        void failRecovery(RuntimeException failure) {
            recoveryFailure = failure;
            release.countDown();
        }

        /** The future of the next append held back, waiting for it up to 10 s. */
        CompletableFuture<Void> nextAppend() {
            try {
                CompletableFuture<Void> next = appends.poll(10, TimeUnit.SECONDS);
                if (next == null) {
                    throw new AssertionError("no append within 10 s");
                }
                return next;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    @Override
    public String name() {
        return "test-gated";
    }

    @Override
    public PersistenceBackend create(Settings settings) {
        Gate gate = gate(settings.getString("test.gate"));
        return new PersistenceBackend() {
            @Override
            public void recover(RecoverySink sink) {
                gate.recovering.countDown();
                if (gate.blockRecovery) {
                    try {
                        if (!gate.release.await(30, TimeUnit.SECONDS)) {
                            throw new ShoalException("test gate never released recovery");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new ShoalException("interrupted in recovery", e);
                    }
                }
                if (gate.recoveryFailure != null) {
                    throw gate.recoveryFailure;
                }
            }

            @Override
            public void checkWritable() {
                RuntimeException failure = gate.writableFailure;
                if (failure != null) {
                    throw failure;
                }
            }

            @Override
            public CompletableFuture<Void> append(ChangeRecord record) {
                if (!gate.holdAppends) {
                    return CompletableFuture.completedFuture(null);
                }
                CompletableFuture<Void> future = new CompletableFuture<>();
                gate.appends.add(future);
                return future;
            }

            @Override
            public void close() {
                for (CompletableFuture<Void> held : gate.appends) {
                    held.completeExceptionally(new StorageUnavailableException("closed", true, null));
                }
            }
        };
    }
}
