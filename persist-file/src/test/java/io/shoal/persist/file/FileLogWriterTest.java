package io.shoal.persist.file;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.ChangeType;
import io.shoal.StorageUnavailableException;
import io.shoal.spi.ChangeRecord;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The writer: segment rolls, group commit, I/O errors, limits and close. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FileLogWriterTest {
    @TempDir
    Path dir;

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        final AtomicLong millis;

        ManualClock(long millis) {
            this.millis = new AtomicLong(millis);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }
    }

    private static void appendAll(FileLogBackend backend, List<ChangeRecord> records) throws Exception {
        CompletableFuture<?>[] appends = records.stream().map(backend::append).toArray(CompletableFuture[]::new);
        CompletableFuture.allOf(appends).get(10, TimeUnit.SECONDS);
    }

    private List<Path> segments() throws IOException {
        return FileLogReader.segments(dir);
    }

    @Test
    void segmentsRollBySizeAndRecoveryReadsThemAllInOrder() throws Exception {
        FileLogConfig config = Spec.config(dir, FileLogConfig.FsyncPolicy.ALWAYS).withSegmentSizeBytes(1024);
        List<ChangeRecord> records = Spec.records(400);
        FileLogBackend backend = new FileLogBackend(config);
        Spec.recover(backend);
        backend.start(null);
        for (int i = 0; i < records.size(); i += 37) {
            appendAll(backend, records.subList(i, Math.min(records.size(), i + 37)));
        }
        backend.close();

        List<Path> segments = segments();
        assertTrue(segments.size() > 20, "segments: " + segments.size());
        long number = 0;
        for (Path segment : segments) {
            assertTrue(Files.size(segment) <= 1024, segment + " is " + Files.size(segment) + " bytes");
            assertEquals(Spec.name(number), segment.getFileName().toString());
            number += countRecords(segment);
        }
        assertEquals(400, number);
        assertEquals(Spec.describe(records), Spec.describe(Spec.recoverOnce(config)));

        FileLogBackend again = new FileLogBackend(config);
        Spec.recover(again);
        again.start(null);
        appendAll(again, List.of(Spec.put(3, 401, "after", "restart")));
        again.close();
        List<ChangeRecord> all = new ArrayList<>(records);
        all.add(Spec.put(3, 401, "after", "restart"));
        assertEquals(Spec.describe(all), Spec.describe(Spec.recoverOnce(config)));
    }

    private static long countRecords(Path segment) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(segment));
        long count = 0;
        for (int offset = 32; offset < b.limit(); offset += 9 + b.getInt(offset)) {
            count++;
        }
        return count;
    }

    @Test
    void aRecordLargerThanTheSegmentSizeGetsASegmentOfItsOwn() throws Exception {
        FileLogConfig config = Spec.config(dir, FileLogConfig.FsyncPolicy.NEVER).withSegmentSizeBytes(1024);
        List<ChangeRecord> records = List.of(Spec.put(1, 1, "a", "x"), Spec.put(1, 2, "b", "y".repeat(5000)),
                Spec.put(1, 3, "c", "z"));
        FileLogBackend backend = new FileLogBackend(config);
        Spec.recover(backend);
        backend.start(null);
        appendAll(backend, records);
        backend.close();
        assertEquals(List.of(Spec.name(0), Spec.name(1), Spec.name(2)),
                segments().stream().map(p -> p.getFileName().toString()).toList());
        assertEquals(Spec.describe(records), Spec.describe(Spec.recoverOnce(config)));
    }

    @Test
    void segmentsRollAtMidnightInTheConfiguredZone() throws Exception {
        ZoneId paris = ZoneId.of("Europe/Paris");
        long beforeMidnight = ZonedDateTime.of(2024, 3, 9, 23, 59, 58, 0, paris).toInstant().toEpochMilli();
        ManualClock clock = new ManualClock(beforeMidnight);
        FileLogConfig config = new FileLogConfig(dir, FileLogConfig.FsyncPolicy.ALWAYS, 50, 64L << 20, true, paris,
                FileLogConfig.OnCorruption.FAIL);
        List<ChangeRecord> records = Spec.records(10);
        FileLogBackend backend = new FileLogBackend(config, FileLogChannels.DEFAULT, clock);
        Spec.recover(backend);
        backend.start(null);
        appendAll(backend, records.subList(0, 4));
        clock.millis.addAndGet(1_000); // 23:59:59 in Paris: same day
        appendAll(backend, records.subList(4, 6));
        clock.millis.addAndGet(2_000); // 00:00:01 in Paris, 23:00:01 UTC
        appendAll(backend, records.subList(6, 10));
        backend.close();

        assertEquals(List.of(Spec.name(0), Spec.name(6)), segments().stream().map(p -> p.getFileName().toString()).toList());
        ByteBuffer second = ByteBuffer.wrap(Files.readAllBytes(segments().get(1)));
        assertEquals(beforeMidnight + 3_000, second.getLong(12), "creation time of the new day's segment");
        assertEquals(Spec.describe(records), Spec.describe(Spec.recoverOnce(config)));
    }

    @Test
    void concurrentAppendersShareFsyncs() throws Exception {
        int threads = 16;
        int perThread = 200;
        CountDownLatch allAppended = new CountDownLatch(1);
        // The first data fsync waits until every appender has queued everything, so later batches are
        // large whatever the disk's speed: the count below cannot pass by luck of timing.
        AtomicBoolean headerSynced = new AtomicBoolean();
        FileLogChannels channels = (path, options) -> new HookedFileChannel(FileChannel.open(path, options),
                new HookedFileChannel.Hooks() {
                    @Override
                    public void beforeForce() throws IOException {
                        if (headerSynced.getAndSet(true)) {
                            try {
                                allAppended.await(10, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                throw new IOException(e);
                            }
                        }
                    }
                });
        FileLogBackend backend = new FileLogBackend(Spec.config(dir, FileLogConfig.FsyncPolicy.ALWAYS), channels,
                Clock.systemUTC());
        Spec.recover(backend);
        backend.start(null);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<CompletableFuture<Void>> appends = java.util.Collections.synchronizedList(new ArrayList<>());
        List<ChangeRecord> all = new ArrayList<>();
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int bucket = t;
                List<ChangeRecord> mine = new ArrayList<>();
                for (int i = 1; i <= perThread; i++) {
                    mine.add(Spec.put(bucket, i, "k" + i, "v" + i));
                }
                all.addAll(mine);
                done.add(pool.submit(() -> mine.forEach(r -> appends.add(backend.append(r)))));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get(10, TimeUnit.SECONDS);
            }
            allAppended.countDown();
            CompletableFuture.allOf(appends.toArray(new CompletableFuture<?>[0])).get(10, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        long fsyncs = backend.fsyncCount();
        backend.close();
        int records = threads * perThread;
        assertTrue(fsyncs <= 10, fsyncs + " fsyncs for " + records + " records");
        assertEquals(records, Spec.recoverOnce(Spec.config(dir, FileLogConfig.FsyncPolicy.ALWAYS)).size());
    }

    @Test
    void anIoErrorHoldsTheRecordsBackRefusesNewWritesAndStoresEverythingWhenTheDiskRecovers() throws Exception {
        AtomicBoolean diskFull = new AtomicBoolean();
        FileLogConfig config = Spec.config(dir, FileLogConfig.FsyncPolicy.ALWAYS);
        FileLogBackend backend = new FileLogBackend(config, halfWritesWhile(diskFull), Clock.systemUTC());
        Spec.recover(backend);
        backend.start(null);
        List<ChangeRecord> records = Spec.records(9);
        appendAll(backend, records.subList(0, 3));
        long goodSize = Files.size(segments().get(0));

        diskFull.set(true);
        CompletableFuture<Void> heldBack = backend.append(records.get(3));
        ExecutionException e = assertThrows(ExecutionException.class, () -> heldBack.get(10, TimeUnit.SECONDS));
        StorageUnavailableException notDurable = assertInstanceOf(StorageUnavailableException.class, e.getCause());
        assertTrue(notDurable.changeApplied());
        assertTrue(notDurable.getMessage().contains(segments().get(0).toString()), notDurable.getMessage());
        StorageUnavailableException refused = assertThrows(StorageUnavailableException.class, backend::checkWritable);
        assertFalse(refused.changeApplied());
        assertTrue(refused.getMessage().contains(dir.toString()), refused.getMessage());
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.size(segments().get(0)) == goodSize);

        diskFull.set(false);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(backend::checkWritable);
        appendAll(backend, records.subList(4, 9));
        backend.close();
        assertEquals(Spec.describe(records), Spec.describe(Spec.recoverOnce(config)));
    }

    @Test
    void aFailingSegmentCreationHoldsTheRecordBackUntilItCanBeCreated() throws Exception {
        AtomicBoolean failOpen = new AtomicBoolean(true);
        FileLogChannels channels = (path, options) -> {
            if (failOpen.get()) {
                throw new IOException("Input/output error (injected)");
            }
            return FileChannel.open(path, options);
        };
        FileLogConfig config = Spec.config(dir, FileLogConfig.FsyncPolicy.INTERVAL);
        FileLogBackend backend = new FileLogBackend(config, channels, Clock.systemUTC());
        Spec.recover(backend);
        backend.start(null);
        CompletableFuture<Void> heldBack = backend.append(Spec.put(0, 1, "a", "b"));
        ExecutionException e = assertThrows(ExecutionException.class, () -> heldBack.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof StorageUnavailableException && e.getCause().getMessage().contains(Spec.name(0)),
                String.valueOf(e.getCause()));
        failOpen.set(false);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(backend::checkWritable);
        appendAll(backend, List.of(Spec.put(0, 2, "a", "c")));
        backend.close();
        assertEquals(Spec.describe(List.of(Spec.put(0, 1, "a", "b"), Spec.put(0, 2, "a", "c"))),
                Spec.describe(Spec.recoverOnce(config)));
    }

    @Test
    void closingWhileTheDiskIsFullEndsAndKeepsWhatWasStored() throws Exception {
        AtomicBoolean diskFull = new AtomicBoolean();
        FileLogConfig config = Spec.config(dir, FileLogConfig.FsyncPolicy.ALWAYS);
        FileLogBackend backend = new FileLogBackend(config, halfWritesWhile(diskFull), Clock.systemUTC());
        Spec.recover(backend);
        backend.start(null);
        List<ChangeRecord> records = Spec.records(4);
        appendAll(backend, records.subList(0, 2));
        diskFull.set(true);
        CompletableFuture<Void> heldBack = backend.append(records.get(2));
        assertThrows(ExecutionException.class, () -> heldBack.get(10, TimeUnit.SECONDS));
        assertTimeoutPreemptively(Duration.ofSeconds(10), backend::close);
        diskFull.set(false);
        assertEquals(Spec.describe(records.subList(0, 2)), Spec.describe(Spec.recoverOnce(config)));
    }

    @Test
    void aSecondBackendOnTheSameDirectoryIsRefusedNamingTheDirectory() {
        FileLogConfig config = Spec.config(dir, FileLogConfig.FsyncPolicy.NEVER);
        FileLogBackend first = new FileLogBackend(config);
        Spec.recover(first);
        try {
            FileLogBackend second = new FileLogBackend(config);
            PersistenceException e = assertThrows(PersistenceException.class, () -> Spec.recover(second));
            assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("in use"), e.getMessage());
            assertTrue(e.getMessage().contains(Long.toString(ProcessHandle.current().pid())), e.getMessage());
        } finally {
            first.close();
        }
        FileLogBackend afterClose = new FileLogBackend(config);
        Spec.recover(afterClose);
        afterClose.close();
    }

    private static FileLogChannels halfWritesWhile(AtomicBoolean diskFull) {
        return (path, options) -> new HookedFileChannel(FileChannel.open(path, options), new HookedFileChannel.Hooks() {
            @Override
            public int beforeWrite(ByteBuffer src) {
                return diskFull.get() ? src.remaining() / 2 : src.remaining();
            }
        });
    }

    @Test
    void aRecordBeyondTheFormatsMaximumFailsAloneWithoutAllocatingItsFrame() throws Exception {
        FileLogConfig config = Spec.config(dir, FileLogConfig.FsyncPolicy.NEVER);
        FileLogBackend backend = new FileLogBackend(config);
        Spec.recover(backend);
        backend.start(null);
        ChangeRecord huge = new ChangeRecord(ChangeType.CREATED, "m", 0, 1, new byte[1], new byte[FileLogFormat.MAX_PAYLOAD_BYTES],
                0, 0);
        CompletableFuture<Void> failed = backend.append(huge);
        appendAll(backend, List.of(Spec.put(0, 2, "a", "b")));
        ExecutionException e = assertThrows(ExecutionException.class, () -> failed.get(10, TimeUnit.SECONDS));
        assertInstanceOf(PersistenceException.class, e.getCause());
        backend.close();
        assertEquals(1, Spec.recoverOnce(config).size());
    }

    @Test
    void closeCompletesEveryQueuedAppendAndIsIdempotent() throws Exception {
        FileLogConfig config = Spec.config(dir, FileLogConfig.FsyncPolicy.INTERVAL);
        FileLogBackend backend = new FileLogBackend(config);
        Spec.recover(backend);
        List<ChangeRecord> records = Spec.records(500);
        List<CompletableFuture<Void>> appends = new ArrayList<>();
        records.forEach(r -> appends.add(backend.append(r))); // queued before the writer starts
        backend.start(null);
        backend.close();
        backend.close();
        appends.forEach(f -> assertTrue(f.isDone() && !f.isCompletedExceptionally()));
        CompletableFuture<Void> late = backend.append(Spec.put(9, 1, "late", "x"));
        ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(1, TimeUnit.SECONDS));
        assertInstanceOf(PersistenceException.class, e.getCause());
        assertEquals(Spec.describe(records), Spec.describe(Spec.recoverOnce(config)));
    }

    @Test
    void intervalFsyncHappensWithoutFurtherAppends() throws Exception {
        FileLogBackend backend = new FileLogBackend(Spec.config(dir, FileLogConfig.FsyncPolicy.INTERVAL));
        Spec.recover(backend);
        backend.start(null);
        appendAll(backend, Spec.records(3));
        long afterWrite = backend.fsyncCount();
        await().atMost(Duration.ofSeconds(5)).until(() -> backend.fsyncCount() > afterWrite);
        backend.close();
    }
}
