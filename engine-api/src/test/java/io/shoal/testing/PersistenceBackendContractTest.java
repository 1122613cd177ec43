package io.shoal.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.ChangeType;
import io.shoal.ShoalException;
import io.shoal.spi.ChangeRecord;
import io.shoal.spi.PersistenceBackend;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract of {@link PersistenceBackend}, run against one backend.
 *
 * <p>To use it, extend it once per backend and implement {@link #open(Path)} to open (or create) a
 * backend that stores in the given directory, exactly as its provider would for a node; the suite
 * passes a fresh temporary directory per test and closes every backend it opened. Each test plays
 * the engine's part: {@code recover} once after opening, then {@code append}, then {@code close},
 * and "restarts" by opening the same directory again.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class PersistenceBackendContractTest {

    private static final long DEADLINE_MS = 10_000;
    private static final long NOW_MS = 1_700_000_000_000L;

    /** The directory the backends of one test store in. */
    @TempDir
    protected Path dir;

    private final List<PersistenceBackend> open = Collections.synchronizedList(new ArrayList<>());

    /** Opens or creates a backend storing in {@code dir}. */
    protected abstract PersistenceBackend open(Path dir);

    @AfterEach
    void closeBackends() {
        List<PersistenceBackend> toClose;
        synchronized (open) {
            toClose = new ArrayList<>(open);
            open.clear();
        }
        toClose.forEach(PersistenceBackend::close);
    }

    @Test
    void recoveryOfAnEmptyDirectoryReplaysNothing() {
        PersistenceBackend backend = start();
        assertEquals(List.of(), recover(backend));
        stop(backend);
        assertEquals(List.of(), recover(start()), "recovery after a session that stored nothing");
    }

    @Test
    void appendedRecordsAreReplayedAfterReopening() {
        List<ChangeRecord> history = new History().mixed(3, 4, 6);
        PersistenceBackend backend = start();
        recover(backend);
        appendAll(backend, history);
        stop(backend);

        assertSameState(history, recover(start()));
    }

    @Test
    void recoveringTwiceYieldsTheSameRecords() {
        List<ChangeRecord> history = new History().mixed(2, 3, 5);
        PersistenceBackend backend = start();
        recover(backend);
        appendAll(backend, history);
        stop(backend);

        PersistenceBackend second = start();
        List<ChangeRecord> first = recover(second);
        stop(second);
        List<ChangeRecord> again = recover(start());
        assertSameState(history, first);
        assertSameState(history, again);
    }

    @Test
    void recordsOfSeveralSessionsAccumulate() {
        History history = new History();
        List<ChangeRecord> firstSession = history.mixed(2, 3, 4);
        List<ChangeRecord> secondSession = history.mixed(2, 3, 4);
        PersistenceBackend backend = start();
        recover(backend);
        appendAll(backend, firstSession);
        stop(backend);

        backend = start();
        assertSameState(firstSession, recover(backend));
        appendAll(backend, secondSession);
        stop(backend);

        List<ChangeRecord> all = new ArrayList<>(firstSession);
        all.addAll(secondSession);
        assertSameState(all, recover(start()));
    }

    @Test
    void concurrentAppendsToDistinctBucketsAreAllReplayedInBucketOrder() throws Exception {
        int threads = 4;
        int bucketsPerThread = 3;
        int recordsPerBucket = 300;
        PersistenceBackend backend = start();
        recover(backend);
        List<List<ChangeRecord>> perThread = new ArrayList<>();
        History history = new History();
        for (int t = 0; t < threads; t++) {
            List<ChangeRecord> records = new ArrayList<>();
            for (int i = 0; i < recordsPerBucket; i++) {
                for (int b = 0; b < bucketsPerThread; b++) {
                    int bucket = t + threads * b;
                    byte[] key = ("k" + (i % 10)).getBytes(StandardCharsets.UTF_8);
                    records.add(i % 10 == 9 ? history.removal(ChangeType.REMOVED, "concurrent", bucket, key)
                            : history.put(i < 10 ? ChangeType.CREATED : ChangeType.UPDATED, "concurrent", bucket, key, i));
                }
            }
            perThread.add(records);
        }

        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<CompletableFuture<Void>>>> results = new ArrayList<>();
            for (List<ChangeRecord> records : perThread) {
                ModelState model = MODELS.get(backend);
                results.add(pool.submit(() -> {
                    start.await();
                    List<CompletableFuture<Void>> appends = new ArrayList<>();
                    for (ChangeRecord record : records) {
                        model.apply(record); // as the engine: applied, then handed over
                        appends.add(backend.append(record));
                    }
                    return appends;
                }));
            }
            start.countDown();
            for (Future<List<CompletableFuture<Void>>> result : results) {
                completeAll(result.get(DEADLINE_MS, TimeUnit.MILLISECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        stop(backend);

        List<ChangeRecord> all = new ArrayList<>();
        perThread.forEach(all::addAll);
        assertSameState(all, recover(start()));
    }

    @Test
    void appendAfterCloseIsRefusedNotLost() {
        History history = new History();
        PersistenceBackend backend = start();
        recover(backend);
        appendAll(backend, history.mixed(1, 1, 2));
        stop(backend);

        ChangeRecord late = history.put(ChangeType.UPDATED, "late", 0, new byte[] {1}, 1);
        CompletableFuture<Void> appended;
        try {
            appended = backend.append(late);
        } catch (RuntimeException refused) {
            return; // refusing at once is as good as failing the future
        }
        assertNotNull(appended, "append returned null");
        ExecutionException failed = assertThrows(ExecutionException.class,
                () -> appended.get(DEADLINE_MS, TimeUnit.MILLISECONDS),
                "an append after close must not be acknowledged");
        assertInstanceOf(ShoalException.class, failed.getCause(), "append failures are ShoalExceptions");
    }

    // ---------------------------------------------------------------- helpers

    /** Opens a backend on {@link #dir}; the suite closes it after the test unless it was stopped. */
    protected final PersistenceBackend start() {
        PersistenceBackend backend = open(dir);
        assertNotNull(backend, "open(dir) returned null");
        open.add(backend);
        return backend;
    }

    /** Closes {@code backend} as a node's shutdown would. */
    protected final void stop(PersistenceBackend backend) {
        open.remove(backend);
        backend.close();
    }

    /**
     * Runs {@code recover} and returns what it replayed, checking it replays on the calling thread;
     * then {@linkplain PersistenceBackend#start starts} the backend with a model of the node's
     * state (the replayed records, then every record appended with {@link #appendAll}), which
     * answers {@link PersistenceBackend.StateSource#copyBucket} as the engine would.
     */
    protected static List<ChangeRecord> recover(PersistenceBackend backend) {
        Thread caller = Thread.currentThread();
        List<ChangeRecord> replayed = new ArrayList<>();
        List<String> wrongThreads = new ArrayList<>();
        ModelState model = new ModelState();
        backend.recover(new PersistenceBackend.RecoverySink() {
            @Override
            public void apply(ChangeRecord record) {
                check();
                synchronized (replayed) {
                    replayed.add(record);
                }
                model.apply(record);
            }

            @Override
            public void bucketSequence(int bucket, long sequence) {
                check();
                model.raise(bucket, sequence);
            }

            private void check() {
                if (Thread.currentThread() != caller) {
                    synchronized (wrongThreads) {
                        wrongThreads.add(Thread.currentThread().getName());
                    }
                }
            }
        });
        assertTrue(wrongThreads.isEmpty(), "recover must replay on the starting thread, not on " + wrongThreads);
        MODELS.put(backend, model);
        backend.start(model);
        synchronized (replayed) {
            return new ArrayList<>(replayed);
        }
    }

    private static final Map<PersistenceBackend, ModelState> MODELS =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /**
     * The engine's side in miniature: applies records with the engine's idempotent rule (a record
     * at or below its bucket's sequence is skipped) and copies buckets for snapshots.
     */
    protected static final class ModelState implements PersistenceBackend.StateSource {
        private final Map<Integer, Long> sequences = new HashMap<>();
        private final Map<String, ChangeRecord> live = new java.util.TreeMap<>();

        synchronized void apply(ChangeRecord record) {
            long current = sequences.getOrDefault(record.bucket(), 0L);
            if (record.sequence() <= current) {
                return;
            }
            sequences.put(record.bucket(), record.sequence());
            String id = record.mapName() + "/" + record.bucket() + "/" + java.util.HexFormat.of().formatHex(record.key());
            if (record.type().isRemoval()) {
                live.remove(id);
            } else {
                live.put(id, record);
            }
        }

        synchronized void raise(int bucket, long sequence) {
            sequences.merge(bucket, sequence, Math::max);
        }

        synchronized Map<String, ChangeRecord> live() {
            return new java.util.TreeMap<>(live);
        }

        @Override
        public int bucketCount() {
            return 1 << 16;
        }

        @Override
        public synchronized long copyBucket(int bucket, java.util.function.Consumer<ChangeRecord> visitor) {
            for (ChangeRecord record : live.values()) {
                if (record.bucket() == bucket) {
                    visitor.accept(new ChangeRecord(io.shoal.ChangeType.CREATED, record.mapName(), bucket,
                            record.sequence(), record.key(), record.value(), record.timestampMs(), record.expiresAtMs()));
                }
            }
            return sequences.getOrDefault(bucket, 0L);
        }
    }

    protected static void appendAll(PersistenceBackend backend, List<ChangeRecord> records) {
        List<CompletableFuture<Void>> appends = new ArrayList<>(records.size());
        ModelState model = MODELS.get(backend);
        for (ChangeRecord record : records) {
            if (model != null) {
                model.apply(record);
            }
            appends.add(backend.append(record));
        }
        completeAll(appends);
    }

    private static void completeAll(List<CompletableFuture<Void>> appends) {
        try {
            CompletableFuture.allOf(appends.toArray(new CompletableFuture<?>[0])).get(DEADLINE_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("an append failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("appends not acknowledged within " + DEADLINE_MS + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * Asserts that replaying {@code actual} with the engine's rules (a record at or below its
     * bucket's sequence is skipped) yields the state that applying {@code expected} yields: the same
     * live keys of every map, each with the same value, version (the sequence of the write that
     * stored it), timestamp and expiry. The backend may replay fewer records than it was given (a
     * snapshot stands for many) and may replay some twice.
     */
    protected static void assertSameState(List<ChangeRecord> expected, List<ChangeRecord> actual) {
        Map<String, ChangeRecord> want = stateAfter(expected);
        Map<String, ChangeRecord> got = stateAfter(actual);
        assertEquals(want.keySet(), got.keySet(), "live keys after replay");
        for (Map.Entry<String, ChangeRecord> entry : want.entrySet()) {
            assertSameEntry(entry.getValue(), got.get(entry.getKey()), "live value of " + entry.getKey());
        }
    }

    private static Map<String, ChangeRecord> stateAfter(List<ChangeRecord> records) {
        ModelState model = new ModelState();
        records.forEach(model::apply);
        return model.live();
    }

    /** The stored state of a live entry: everything but whether the put created or updated it. */
    private static void assertSameEntry(ChangeRecord expected, ChangeRecord actual, String what) {
        String message = what + ": expected " + expected + " but got " + actual;
        assertEquals(expected.mapName(), actual.mapName(), message);
        assertEquals(expected.bucket(), actual.bucket(), message);
        assertEquals(expected.sequence(), actual.sequence(), message);
        assertArrayEquals(expected.key(), actual.key(), message);
        assertArrayEquals(expected.value(), actual.value(), message);
        assertEquals(expected.timestampMs(), actual.timestampMs(), message);
        assertEquals(expected.expiresAtMs(), actual.expiresAtMs(), message);
    }

    protected static void assertSameRecord(ChangeRecord expected, ChangeRecord actual, String what) {
        assertSame(expected.type(), actual.type(), what + ": expected " + expected + " but got " + actual);
        assertSameEntry(expected, actual, what);
    }

    /**
     * Builds plausible change records: each bucket's sequence counts up from 1 across every map, as
     * the engine's does. Not thread-safe; build records before handing them to threads.
     */
    protected static final class History {
        private static final String[] MAPS = {"users", "orders", "événements"};
        private static final int[] BUCKETS = {0, 1, 7, 1023, 65535};
        private final Map<Integer, Long> sequences = new HashMap<>();
        private final SplittableRandom random = new SplittableRandom(2024);

        /**
         * For each of {@code maps} maps, {@code buckets} buckets and {@code keys} keys: a CREATED,
         * an UPDATED (some with expiry, one with an empty value) and then a REMOVED or an EXPIRED
         * record, interleaved across buckets as concurrent writers would produce them.
         */
        public List<ChangeRecord> mixed(int maps, int buckets, int keys) {
            List<ChangeRecord> records = new ArrayList<>();
            for (int step = 0; step < 3; step++) {
                for (int k = 0; k < keys; k++) {
                    for (int m = 0; m < maps; m++) {
                        for (int b = 0; b < buckets; b++) {
                            String map = MAPS[m % MAPS.length];
                            int bucket = BUCKETS[b % BUCKETS.length];
                            byte[] key = k == 0 ? new byte[0] : ("key-" + k).getBytes(StandardCharsets.UTF_8);
                            records.add(switch (step) {
                                case 0 -> put(ChangeType.CREATED, map, bucket, key, k * 1000);
                                case 1 -> put(ChangeType.UPDATED, map, bucket, key, k == 1 ? 0 : k % 2 == 0 ? 65_536 : 17);
                                default -> removal(k % 2 == 0 ? ChangeType.REMOVED : ChangeType.EXPIRED, map, bucket, key);
                            });
                        }
                    }
                }
            }
            return records;
        }

        /** A CREATED or UPDATED record with a value of {@code valueBytes} random bytes. */
        public ChangeRecord put(ChangeType type, String map, int bucket, byte[] key, int valueBytes) {
            byte[] value = new byte[valueBytes];
            random.nextBytes(value);
            long sequence = next(bucket);
            long expiresAtMs = sequence % 3 == 0 ? NOW_MS + 3_600_000 + sequence : 0;
            return new ChangeRecord(type, map, bucket, sequence, key, value, NOW_MS + sequence, expiresAtMs);
        }

        /** A record of a removal {@code type}. */
        public ChangeRecord removal(ChangeType type, String map, int bucket, byte[] key) {
            long sequence = next(bucket);
            return new ChangeRecord(type, map, bucket, sequence, key, null, NOW_MS + sequence, 0);
        }

        private long next(int bucket) {
            return sequences.merge(bucket, 1L, Long::sum);
        }
    }
}
