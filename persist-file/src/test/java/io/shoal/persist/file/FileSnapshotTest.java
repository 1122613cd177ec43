package io.shoal.persist.file;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.ChangeType;
import io.shoal.spi.ChangeRecord;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots: docs/formats.md section 2, atomic writing, recovery from snapshot + log tail. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FileSnapshotTest {
    private static final int BUCKETS = 8;

    @TempDir
    Path dir;

    private FileLogConfig config(Path in) {
        return Spec.config(in, FileLogConfig.FsyncPolicy.ALWAYS).withSnapshotIntervalMs(0);
    }

    private FileLogBackend open(Path in, TestState state) {
        FileLogBackend backend = new FileLogBackend(config(in), FileLogChannels.DEFAULT,
                Clock.fixed(Instant.ofEpochMilli(Spec.NOW_MS), ZoneOffset.UTC));
        backend.recover(state);
        backend.start(state);
        return backend;
    }

    /** Writes {@code n} changes into buckets 0..3 (puts, a removal every fifth), continuing each bucket's sequence. */
    private static void writeSome(FileLogBackend backend, TestState state, int n) throws Exception {
        List<CompletableFuture<Void>> appends = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int bucket = i % 4;
            long sequence = state.sequence(bucket) + 1;
            ChangeRecord record = sequence % 5 == 0 ? Spec.removal(ChangeType.REMOVED, bucket, sequence, "k" + (sequence - 1))
                    : Spec.put(bucket, sequence, "k" + sequence % 7, "v" + sequence);
            appends.add(state.write(backend, record));
        }
        CompletableFuture.allOf(appends.toArray(new CompletableFuture<?>[0])).get(10, TimeUnit.SECONDS);
    }

    private static TestState recoverInto(Path in, FileLogConfig config) {
        TestState recovered = new TestState(BUCKETS);
        FileLogBackend backend = new FileLogBackend(config);
        try {
            backend.recover(recovered);
        } finally {
            backend.close();
        }
        return recovered;
    }

    private static List<Long> segmentNumbers(Path in) throws IOException {
        return FileLogReader.segments(in).stream().map(FileLogFormat::firstRecordNumberOf).toList();
    }

    private static List<String> snapshotNames(Path in) throws IOException {
        try (Stream<Path> files = Files.list(in)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("snapshot-")).sorted().toList();
        }
    }

    private static void copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    @Test
    void aSnapshotHasExactlyTheSpecifiedBytes() throws Exception {
        TestState state = new TestState(BUCKETS);
        FileLogBackend backend = open(dir, state);
        ChangeRecord a = new ChangeRecord(ChangeType.CREATED, "users", 1, 1, "alice".getBytes(StandardCharsets.UTF_8),
                new byte[] {1, 2, 3}, Spec.NOW_MS, Spec.NOW_MS + 1000);
        ChangeRecord b = new ChangeRecord(ChangeType.UPDATED, "événements", 1, 2, new byte[0], new byte[0], -5, 0);
        ChangeRecord gone = new ChangeRecord(ChangeType.CREATED, "m", 6, 1, new byte[] {9}, new byte[] {8}, 1, 0);
        ChangeRecord removal = new ChangeRecord(ChangeType.EXPIRED, "m", 6, 2, new byte[] {9}, null, 2, 0);
        for (ChangeRecord r : List.of(a, b, gone, removal)) {
            state.write(backend, r).get(10, TimeUnit.SECONDS);
        }
        state.bucketSequence(3, 42); // a bucket whose sequence is above its entries (here: none)
        Path snapshot = backend.snapshotNow();
        backend.close();
        assertEquals(Spec.snapshotName(4), snapshot.getFileName().toString(), "named after the covered position");

        byte[] bytes = Files.readAllBytes(dir.resolve(Spec.snapshotName(4)));
        ChangeRecord bAsEntry = new ChangeRecord(ChangeType.CREATED, b.mapName(), 1, 2, b.key(), b.value(), -5, 0);
        assertArrayEquals(Spec.snapshot(Spec.NOW_MS, 4, BUCKETS, List.of(
                new Spec.Section(1, 2, List.of(a, bAsEntry)),
                new Spec.Section(3, 42, List.of()),
                new Spec.Section(6, 2, List.of()))), bytes);

        // And field by field, from the spec's offsets.
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        assertEquals("SHOALSNP", new String(bytes, 0, 8, StandardCharsets.US_ASCII));
        assertEquals(1, buf.getShort(8), "format version");
        assertEquals(36, buf.getShort(10), "header length");
        assertEquals(Spec.NOW_MS, buf.getLong(12), "creation time");
        assertEquals(4, buf.getLong(20), "covered position");
        assertEquals(BUCKETS, buf.getInt(28), "bucket count");
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 32);
        assertEquals((int) crc.getValue(), buf.getInt(32), "header CRC");
        assertEquals(1, buf.getInt(36), "first section: bucket");
        assertEquals(2, buf.getLong(40), "first section: sequence");
        assertEquals(2, buf.getInt(48), "first section: entries");
        crc.reset();
        crc.update(bytes, 36, 16);
        assertEquals((int) crc.getValue(), buf.getInt(52), "section CRC");
        byte[] firstEntry = Spec.frame(a);
        assertArrayEquals(firstEntry, Arrays.copyOfRange(bytes, 56, 56 + firstEntry.length), "entries in sequence order");
        int trailer = bytes.length - 24;
        assertEquals("SHOALEND", new String(bytes, trailer, 8, StandardCharsets.US_ASCII));
        assertEquals(3, buf.getInt(trailer + 8), "section count");
        assertEquals(2, buf.getLong(trailer + 12), "record count");
        crc.reset();
        crc.update(bytes, 0, bytes.length - 4);
        assertEquals((int) crc.getValue(), buf.getInt(bytes.length - 4), "file CRC");
    }

    @Test
    void recoveryAppliesTheSnapshotThenTheLogTailAndRaisesBucketSequences() throws Exception {
        TestState state = new TestState(BUCKETS);
        FileLogBackend backend = open(dir, state);
        writeSome(backend, state, 40);
        state.bucketSequence(5, 77);
        Path snapshot = backend.snapshotNow();
        long covered = FileSnapshot.coveredRecordNumberOf(snapshot);
        assertEquals(40, covered);
        assertEquals(List.of(), segmentNumbers(dir), "the segments the snapshot covers are deleted");
        writeSome(backend, state, 25);
        assertEquals(List.of(40L), segmentNumbers(dir), "the log after the snapshot stays");
        Path crashed = dir.resolve("crashed");
        copyDir(dir, crashed); // the files as a crash now would leave them: snapshot + tail
        backend.close();

        TestState recovered = recoverInto(crashed, config(crashed));
        assertEquals(state.describe(), recovered.describe());
        assertEquals(77, recovered.sequence(5), "bucketSequence from the snapshot");
        assertTrue(recovered.raised >= 5, "bucketSequence called for every bucket section");
        assertEquals(state.describe(), recoverInto(crashed, config(crashed)).describe(), "a second recovery");
    }

    @Test
    void theShutdownSnapshotReplacesTheLogAndIsAllTheNextRecoveryReplays() throws Exception {
        TestState state = new TestState(BUCKETS);
        FileLogBackend backend = open(dir, state);
        writeSome(backend, state, 50);
        backend.close();
        assertEquals(List.of(Spec.snapshotName(50)), snapshotNames(dir));
        assertEquals(List.of(), segmentNumbers(dir), "every segment is covered");

        TestState recovered = new TestState(BUCKETS);
        FileLogBackend next = open(dir, recovered);
        int live = 0;
        for (int b = 0; b < BUCKETS; b++) {
            live += (int) state.copyBucket(b, r -> { }) >= 0 ? countEntries(state, b) : 0;
        }
        assertEquals(live, recovered.applied, "only the snapshot's entries are replayed");
        assertEquals(live, next.snapshotRecordsRecovered());
        assertEquals(state.describe(), recovered.describe());
        writeSome(next, recovered, 10); // the log continues after the covered position
        next.close();
        assertEquals(List.of(Spec.snapshotName(60)), snapshotNames(dir), "the older snapshot is deleted");
        assertEquals(recovered.describe(), recoverInto(dir, config(dir)).describe());
        assertEquals(recovered.describe(), recoverInto(dir, config(dir)).describe(), "a second recovery");
    }

    private static int countEntries(TestState state, int bucket) {
        int[] n = {0};
        state.copyBucket(bucket, r -> n[0]++);
        return n[0];
    }

    @Test
    void closeWithoutStartWritesNoSnapshot() throws IOException {
        FileLogBackend backend = new FileLogBackend(config(dir));
        backend.close();
        FileLogBackend recovered = new FileLogBackend(config(dir));
        recovered.recover(new TestState(BUCKETS));
        recovered.close();
        assertEquals(List.of(), snapshotNames(dir));
    }

    @Test
    void aStateViewBehindTheLogIsNeverSnapshottedOverIt() throws Exception {
        TestState state = new TestState(BUCKETS);
        FileLogBackend backend = open(dir, state);
        writeSome(backend, state, 10);
        backend.append(Spec.put(2, 1000, "bypass", "not in the state view")).get(10, TimeUnit.SECONDS);
        assertThrows(PersistenceException.class, backend::snapshotNow);
        backend.close();
        assertEquals(List.of(), snapshotNames(dir));
        assertEquals(List.of(0L), segmentNumbers(dir), "the log is kept");
    }

    @Test
    void writersKeepGoingWhileASnapshotCopiesBuckets() throws Exception {
        TestState state = new TestState(BUCKETS);
        FileLogBackend backend = open(dir, state);
        writeSome(backend, state, 20);
        CountDownLatch copying = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        state.onCopy = bucket -> {
            if (bucket == 0) {
                copying.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        CompletableFuture<Path> snapshot = CompletableFuture.supplyAsync(backend::snapshotNow);
        assertTrue(copying.await(10, TimeUnit.SECONDS));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<CompletableFuture<Void>>>> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int bucket = 4 + t; // bucket 0 is being copied: its writers wait, as the SPI says
                threads.add(pool.submit(() -> {
                    List<CompletableFuture<Void>> appends = new ArrayList<>();
                    for (int i = 0; i < 300; i++) {
                        long sequence = state.sequence(bucket) + 1;
                        appends.add(state.write(backend, Spec.put(bucket, sequence, "k" + sequence % 11, "v" + sequence)));
                    }
                    return appends;
                }));
            }
            for (Future<List<CompletableFuture<Void>>> thread : threads) {
                CompletableFuture.allOf(thread.get(10, TimeUnit.SECONDS).toArray(new CompletableFuture<?>[0]))
                        .get(10, TimeUnit.SECONDS);
            }
            assertFalse(snapshot.isDone(), "every append was acknowledged while the snapshot was still copying");
        } finally {
            release.countDown();
            pool.shutdown();
        }
        state.onCopy = bucket -> { };
        await().atMost(Duration.ofSeconds(10)).until(snapshot::isDone);
        assertTrue(Files.exists(snapshot.get()));
        writeSome(backend, state, 12);
        Path crashed = dir.resolve("crashed");
        copyDir(dir, crashed);
        backend.close();
        assertEquals(state.describe(), recoverInto(crashed, config(crashed)).describe(), "snapshot + tail");
        assertEquals(state.describe(), recoverInto(dir, config(dir)).describe(), "shutdown snapshot");
    }

    // ------------------------------------------------------------ hand-built files: atomicity, fallback

    /** Records 0..19: 5 per bucket of buckets 0..3, as {@link Spec#put}s (some keys overwritten). */
    private static List<ChangeRecord> history() {
        List<ChangeRecord> records = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int bucket = i % 4;
            long sequence = i / 4 + 1;
            records.add(Spec.put(bucket, sequence, "k" + sequence % 3, "v" + i));
        }
        return records;
    }

    /** The snapshot the state after {@code records} makes, covering the log before record {@code covered}. */
    private static byte[] snapshotOf(List<ChangeRecord> records, long covered) {
        TestState state = new TestState(BUCKETS);
        records.forEach(state::apply);
        List<Spec.Section> sections = new ArrayList<>();
        for (int b = 0; b < BUCKETS; b++) {
            List<ChangeRecord> entries = new ArrayList<>();
            long sequence = state.copyBucket(b, entries::add);
            if (sequence > 0) {
                entries.sort(java.util.Comparator.comparingLong(ChangeRecord::sequence));
                sections.add(new Spec.Section(b, sequence, entries));
            }
        }
        return Spec.snapshot(Spec.NOW_MS, covered, BUCKETS, sections);
    }

    private static String stateAfter(List<ChangeRecord> records) {
        TestState state = new TestState(BUCKETS);
        records.forEach(state::apply);
        return state.describe();
    }

    @Test
    void aLeftoverTemporaryFileIsIgnoredAndCleanedUpByTheNextSnapshot() throws Exception {
        List<ChangeRecord> records = history();
        Files.write(dir.resolve(Spec.snapshotName(12)), snapshotOf(records.subList(0, 12), 12));
        Files.write(dir.resolve(Spec.name(12)), Spec.segment(Spec.NOW_MS, 12, records.subList(12, 20)));
        Path tmp = Files.write(dir.resolve(Spec.snapshotName(20) + ".tmp"), Arrays.copyOf(snapshotOf(records, 20), 50));
        assertEquals(stateAfter(records), recoverInto(dir, config(dir)).describe());
        assertTrue(Files.exists(tmp), "recovery changes nothing");

        TestState state = new TestState(BUCKETS);
        open(dir, state).close();
        assertFalse(Files.exists(tmp), "removed once a snapshot is durable");
        assertEquals(List.of(Spec.snapshotName(20)), snapshotNames(dir));
        assertEquals(stateAfter(records), recoverInto(dir, config(dir)).describe());
    }

    @Test
    void aDamagedSnapshotFallsBackToTheFullLogWhileItsSegmentsRemain() throws IOException {
        List<ChangeRecord> records = history();
        byte[] good = snapshotOf(records.subList(0, 12), 12);
        Files.write(dir.resolve(Spec.name(0)), Spec.segment(Spec.NOW_MS, 0, records.subList(0, 12)));
        Files.write(dir.resolve(Spec.name(12)), Spec.segment(Spec.NOW_MS, 12, records.subList(12, 20)));
        Path snapshot = dir.resolve(Spec.snapshotName(12));
        String expected = stateAfter(records);
        for (byte[] damaged : damaged(good)) {
            Files.write(snapshot, damaged);
            TestState recovered = recoverInto(dir, config(dir));
            assertEquals(expected, recovered.describe());
            assertEquals(20, recovered.applied, "the whole log was replayed");
        }
        Files.write(snapshot, good);
        TestState fromSnapshot = recoverInto(dir, config(dir));
        assertEquals(expected, fromSnapshot.describe());
        assertEquals(stateAfter(records.subList(0, 12)).lines().filter(l -> !l.startsWith("bucket")).count() + 8,
                fromSnapshot.applied, "snapshot entries, then only the tail");
    }

    @Test
    void aDamagedSnapshotFallsBackToAnOlderValidOne() throws IOException {
        List<ChangeRecord> records = history();
        Files.write(dir.resolve(Spec.snapshotName(8)), snapshotOf(records.subList(0, 8), 8));
        Files.write(dir.resolve(Spec.name(8)), Spec.segment(Spec.NOW_MS, 8, records.subList(8, 16)));
        Files.write(dir.resolve(Spec.name(16)), Spec.segment(Spec.NOW_MS, 16, records.subList(16, 20)));
        Path newer = dir.resolve(Spec.snapshotName(16));
        for (byte[] damaged : damaged(snapshotOf(records.subList(0, 16), 16))) {
            Files.write(newer, damaged);
            assertEquals(stateAfter(records), recoverInto(dir, config(dir)).describe());
        }
    }

    @Test
    void aDamagedSnapshotWhoseLogIsGoneFailsNamingItUnlessTruncate() throws IOException {
        List<ChangeRecord> records = history();
        Files.write(dir.resolve(Spec.snapshotName(8)), snapshotOf(records.subList(0, 8), 8));
        Path tail = Files.write(dir.resolve(Spec.name(16)), Spec.segment(Spec.NOW_MS, 16, records.subList(16, 20)));
        Path newer = dir.resolve(Spec.snapshotName(16));
        for (byte[] damaged : damaged(snapshotOf(records.subList(0, 16), 16))) {
            Files.write(newer, damaged);
            PersistenceException e = assertThrows(PersistenceException.class, () -> recoverInto(dir, config(dir)));
            assertTrue(e.getMessage().contains("invalid snapshot " + newer) && e.getMessage().contains("truncate"),
                    e.getMessage());
            assertArrayEquals(damaged, Files.readAllBytes(newer), "fail changes nothing");
        }
        FileLogConfig truncate = config(dir).withOnCorruption(FileLogConfig.OnCorruption.TRUNCATE);
        assertEquals(stateAfter(records.subList(0, 8)), recoverInto(dir, truncate).describe(),
                "the older snapshot, without what came after the lost log");
        assertFalse(Files.exists(newer));
        assertFalse(Files.exists(tail));
        assertEquals(stateAfter(records.subList(0, 8)), recoverInto(dir, config(dir)).describe(), "a second recovery");
    }

    /** The snapshot cut at various offsets, and with single bytes flipped all over it. */
    private static List<byte[]> damaged(byte[] good) {
        List<byte[]> out = new ArrayList<>();
        for (int cut : new int[] {0, 1, 8, 35, 36, 50, 56, 57, good.length / 2, good.length - 25, good.length - 24,
            good.length - 5, good.length - 1}) {
            out.add(Arrays.copyOf(good, cut));
        }
        for (int at = 0; at < good.length; at += 3) {
            byte[] flipped = good.clone();
            flipped[at] ^= 0x10;
            out.add(flipped);
        }
        byte[] longer = Arrays.copyOf(good, good.length + 7);
        out.add(longer);
        return out;
    }
}
