package io.shoal.persist.file;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.spi.ChangeRecord;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fsync = interval}: the timed fsyncs run on the syncer thread while the writer writes and
 * rolls; see the hand-off invariant in {@link IntervalSyncer}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IntervalSyncerTest {
    @TempDir
    Path dir;

    private static boolean onSyncer() {
        return Thread.currentThread().getName().startsWith("shoal-file-log-sync");
    }

    /**
     * A channel that checks the invariant: no force on a closed channel or while it is being
     * closed, and a segment that got records is closed only after a force that began after its
     * last write returned (the writer's at a roll or close, or the syncer's).
     */
    static final class CheckedChannel extends HookedFileChannel {
        private static final AtomicLong CLOCK = new AtomicLong();
        private final Path path;
        private final List<String> violations;
        private final AtomicInteger forcing = new AtomicInteger();
        private volatile boolean closed;
        private volatile long lastWrite;
        private final AtomicLong forcedUpTo = new AtomicLong();

        CheckedChannel(Path path, FileChannel delegate, List<String> violations, Hooks hooks) {
            super(delegate, hooks);
            this.path = path;
            this.violations = violations;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = super.write(src);
            lastWrite = CLOCK.incrementAndGet();
            return n;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            if (closed) {
                violations.add("force of closed " + path + " on " + Thread.currentThread().getName());
            }
            forcing.incrementAndGet();
            try {
                long covers = CLOCK.incrementAndGet();
                super.force(metaData);
                forcedUpTo.accumulateAndGet(covers, Math::max);
            } finally {
                forcing.decrementAndGet();
            }
        }

        @Override
        protected void implCloseChannel() throws IOException {
            if (forcing.get() != 0) {
                violations.add(path + " closed during a force");
            }
            if (forcedUpTo.get() < lastWrite) {
                violations.add(path + " closed with writes not covered by a force");
            }
            closed = true;
            super.implCloseChannel();
        }
    }

    @Test
    void timedFsyncsRacingManyRollsNeverForceAClosedChannelAndEverySegmentIsForcedBeforeItIsClosed() throws Exception {
        List<String> violations = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger syncerForces = new AtomicInteger();
        HookedFileChannel.Hooks countSyncerForces = new HookedFileChannel.Hooks() {
            @Override
            public void beforeForce() {
                if (onSyncer()) {
                    syncerForces.incrementAndGet();
                }
            }
        };
        FileLogChannels channels = (path, options) -> new CheckedChannel(path, FileChannel.open(path, options), violations,
                countSyncerForces);
        FileLogConfig config = new FileLogConfig(dir, FileLogConfig.FsyncPolicy.INTERVAL, 1, 4096, true,
                java.time.ZoneId.of("UTC"), FileLogConfig.OnCorruption.FAIL);
        FileLogBackend backend = new FileLogBackend(config, channels, Clock.systemUTC());
        Spec.recover(backend);
        backend.start(null);
        int threads = 4;
        int perThread = 1500;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<ChangeRecord> all = new ArrayList<>();
        try {
            List<Future<List<CompletableFuture<Void>>>> appended = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                List<ChangeRecord> mine = new ArrayList<>();
                for (int i = 1; i <= perThread; i++) {
                    mine.add(Spec.put(t, i, "k" + i, "value-" + i + "-" + "x".repeat(i % 200)));
                }
                all.addAll(mine);
                appended.add(pool.submit(() -> {
                    List<CompletableFuture<Void>> futures = new ArrayList<>();
                    for (ChangeRecord r : mine) {
                        futures.add(backend.append(r));
                        if (futures.size() % 100 == 0) {
                            futures.get(futures.size() - 1).join(); // let segments roll under the syncer
                        }
                    }
                    return futures;
                }));
            }
            for (Future<List<CompletableFuture<Void>>> f : appended) {
                CompletableFuture.allOf(f.get(30, TimeUnit.SECONDS).toArray(new CompletableFuture<?>[0]))
                        .get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            backend.close();
        }
        assertTrue(violations.isEmpty(), violations.size() + " violations, the first: "
                + violations.subList(0, Math.min(5, violations.size())));
        int segments = FileLogReader.segments(dir).size();
        assertTrue(segments > 100, segments + " segments");
        assertTrue(syncerForces.get() > 0, "the syncer forced the segment being written");
        List<ChangeRecord> recovered = new ArrayList<>(Spec.recoverOnce(config));
        Comparator<ChangeRecord> byBucketAndSequence = Comparator.comparingInt(ChangeRecord::bucket)
                .thenComparingLong(ChangeRecord::sequence);
        recovered.sort(byBucketAndSequence);
        all.sort(byBucketAndSequence);
        assertEquals(Spec.describe(all), Spec.describe(recovered));
    }

    @Test
    void aBatchWrittenWhileAForceRunsLongerThanTheIntervalIsAcknowledgedWhenThatForceEnds() throws Exception {
        AtomicBoolean holdSyncer = new AtomicBoolean();
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        FileLogChannels channels = (path, options) -> new HookedFileChannel(FileChannel.open(path, options),
                new HookedFileChannel.Hooks() {
                    @Override
                    public void beforeForce() throws IOException {
                        if (onSyncer() && holdSyncer.get()) {
                            held.countDown();
                            try {
                                release.await(30, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                throw new IOException(e);
                            }
                        }
                    }
                });
        FileLogConfig config = Spec.config(dir, FileLogConfig.FsyncPolicy.INTERVAL); // fsyncIntervalMs = 50
        FileLogBackend backend = new FileLogBackend(config, channels, Clock.systemUTC());
        Spec.recover(backend);
        backend.start(null);
        try {
            backend.append(Spec.put(1, 1, "a", "acknowledged at once")).get(10, TimeUnit.SECONDS);
            holdSyncer.set(true);
            backend.append(Spec.put(1, 2, "b", "written before the force")).get(10, TimeUnit.SECONDS);
            assertTrue(held.await(10, TimeUnit.SECONDS), "the syncer forces within the interval");
            IntervalSyncer syncer = backend.intervalSyncer();
            await().atMost(Duration.ofSeconds(10)).until(syncer::forceOverdue);

            Path segment = FileLogReader.segments(dir).get(0);
            long before = Files.size(segment);
            CompletableFuture<Void> late = backend.append(Spec.put(1, 3, "c", "written during an overdue force"));
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.size(segment) > before); // the writer wrote it ...
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !late.isDone()); // ... but holds the ack
            release.countDown();
            late.get(10, TimeUnit.SECONDS);
        } finally {
            release.countDown();
            backend.close();
        }
        assertEquals(3, Spec.recoverOnce(config).size());
    }

    @Test
    void aFailedTimedFsyncIsLoggedAndRetriedAtTheNextIntervalWithoutFurtherAppends() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        FileLogChannels channels = (path, options) -> new HookedFileChannel(FileChannel.open(path, options),
                new HookedFileChannel.Hooks() {
                    @Override
                    public void beforeForce() throws IOException {
                        if (onSyncer() && attempts.incrementAndGet() == 1) {
                            throw new IOException("Input/output error (injected)");
                        }
                    }
                });
        FileLogBackend backend = new FileLogBackend(Spec.config(dir, FileLogConfig.FsyncPolicy.INTERVAL), channels,
                Clock.systemUTC());
        Spec.recover(backend);
        backend.start(null);
        try {
            backend.append(Spec.put(1, 1, "a", "b")).get(10, TimeUnit.SECONDS);
            long fsyncs = backend.fsyncCount();
            await().atMost(Duration.ofSeconds(10)).until(() -> attempts.get() >= 2 && backend.fsyncCount() > fsyncs);
            backend.checkWritable(); // a failed timed fsync does not refuse writes
        } finally {
            backend.close();
        }
    }

    @Test
    void closeStopsTheSyncerThread() throws Exception {
        FileLogBackend backend = new FileLogBackend(Spec.config(dir, FileLogConfig.FsyncPolicy.INTERVAL));
        Spec.recover(backend);
        backend.start(null);
        backend.append(Spec.put(1, 1, "a", "b")).get(10, TimeUnit.SECONDS);
        String name = "shoal-file-log-sync " + dir;
        assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name)));
        backend.close();
        assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive()));
    }

    @Test
    void policiesOtherThanIntervalHaveNoSyncer() {
        for (FileLogConfig.FsyncPolicy policy : List.of(FileLogConfig.FsyncPolicy.ALWAYS, FileLogConfig.FsyncPolicy.NEVER)) {
            FileLogBackend backend = new FileLogBackend(Spec.config(dir.resolve(policy.name()), policy));
            Spec.recover(backend);
            try {
                assertEquals(null, backend.intervalSyncer());
            } finally {
                backend.close();
            }
        }
    }
}
