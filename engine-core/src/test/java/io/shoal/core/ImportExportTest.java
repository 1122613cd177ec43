package io.shoal.core;

import io.shoal.ChangeEvent;
import io.shoal.ChangeListener;
import io.shoal.ChangeType;
import io.shoal.ImportMode;
import io.shoal.MemoryLimitExceededException;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalEntry;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import io.shoal.TransferException;
import io.shoal.TransferProgress;
import io.shoal.TransferSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** ShoalNode.exportMaps and importMaps on real nodes; the file format itself: {@link ExportFileTest}. */
class ImportExportTest {
    private static final long FAR_FUTURE_MS = 4_102_444_800_000L;

    private static ShoalConfig.Builder config(int buckets) {
        // No background sweep, so an expired entry stays until an export or import meets it.
        return ShoalConfig.builder().bucketCount(buckets).set("memory.maxBytes", "64m")
                .set("expiry.sweepIntervalMs", 3_600_000);
    }

    private static ShoalNode start(int buckets) {
        return Shoal.start(config(buckets).build());
    }

    /** Progress calls, recorded. */
    static final class Recorder extends TransferProgress {
        final List<double[]> calls = new CopyOnWriteArrayList<>();

        @Override
        public void onProgress(long entriesDone, long bytesDone, double fractionDone) {
            calls.add(new double[] {entriesDone, bytesDone, fractionDone});
        }
    }

    @Test
    void severalMapsWithExpiryRoundTripIntoANodeWithAnotherBucketCount(@TempDir Path dir) {
        Path file = dir.resolve("all.export");
        Map<String, ShoalEntry<String, String>> sessions = new HashMap<>();
        TransferSummary exported;
        try (ShoalNode source = start(16)) {
            ShoalMap<String, String> users = source.map("users", String.class, String.class);
            ShoalMap<Long, byte[]> blobs = source.map("blobs", Long.class, byte[].class);
            ShoalMap<String, String> sessionMap = source.map("sessions", String.class, String.class);
            source.map("empty", String.class, String.class);
            for (int i = 0; i < 500; i++) {
                users.put("u" + i, "user " + i);
                users.put("u" + i, "user " + i + " again");
                blobs.put((long) i, new byte[i % 50]);
            }
            for (int i = 0; i < 100; i++) {
                sessionMap.put("s" + i, "token " + i, Duration.ofHours(1 + i));
                sessions.put("s" + i, sessionMap.getEntry("s" + i));
            }
            exported = source.exportMaps(file, List.of(), TransferProgress.NONE);
        }
        assertEquals(1100, exported.entries());
        assertEquals(4, exported.mapCount());
        assertEquals(0, exported.skippedExpired());
        assertEquals(0, exported.skippedExisting());
        assertEquals(fileSize(file), exported.fileBytes());
        assertFalse(exported.elapsed().isNegative());

        long importStartedMs = System.currentTimeMillis();
        try (ShoalNode target = start(8)) {
            TransferSummary imported = target.importMaps(file, ImportMode.OVERWRITE, TransferProgress.NONE);
            assertEquals(new TransferSummary(1100, 0, 0, 4, exported.fileBytes(), imported.elapsed()), imported);
            assertEquals(Set.of("users", "blobs", "sessions", "empty"), target.mapNames());
            ShoalMap<String, String> users = target.map("users", String.class, String.class);
            ShoalMap<Long, byte[]> blobs = target.map("blobs", Long.class, byte[].class);
            ShoalMap<String, String> sessionMap = target.map("sessions", String.class, String.class);
            assertEquals(500, users.size());
            assertEquals(500, blobs.size());
            assertEquals(100, sessionMap.size());
            assertEquals(0, target.map("empty", String.class, String.class).size());
            for (int i = 0; i < 500; i++) {
                ShoalEntry<String, String> user = users.getEntry("u" + i);
                assertEquals("user " + i + " again", user.value());
                assertEquals(0, user.expiresAtMs());
                assertTrue(user.timestampMs() >= importStartedMs, "the importing node's own time");
                assertArrayEquals(new byte[i % 50], blobs.get((long) i));
            }
            for (ShoalEntry<String, String> before : sessions.values()) {
                ShoalEntry<String, String> after = sessionMap.getEntry(before.key());
                assertEquals(before.value(), after.value());
                assertEquals(before.expiresAtMs(), after.expiresAtMs(), "the absolute expiry time is carried over");
                assertEquals(before.valueHash(), after.valueHash());
            }
        }
    }

    @Test
    void versionsAreTheImportingNodesOwn(@TempDir Path dir) {
        Path file = dir.resolve("v.export");
        try (ShoalNode source = start(1)) {
            ShoalMap<String, String> map = source.map("m", String.class, String.class);
            for (int i = 0; i < 50; i++) {
                map.put("k", "v" + i);
            }
            assertEquals(50, map.getEntry("k").version());
            source.exportMaps(file, List.of("m"), TransferProgress.NONE);
        }
        try (ShoalNode target = start(1)) {
            target.importMaps(file, ImportMode.OVERWRITE, TransferProgress.NONE);
            ShoalEntry<String, String> entry = target.map("m", String.class, String.class).getEntry("k");
            assertEquals("v49", entry.value());
            assertEquals(1, entry.version());
        }
    }

    @Test
    void onlyTheChosenMapsAreExportedAndAnUnknownNameIsRefused(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("users.export");
        try (ShoalNode source = start(16)) {
            source.map("users", String.class, String.class).put("ada", "Ada");
            source.map("orders", String.class, String.class).put("o1", "book");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> source.exportMaps(file, List.of("users", "nope"), TransferProgress.NONE));
            assertTrue(e.getMessage().contains("\"nope\""), e.getMessage());
            assertEquals(List.of(), listDir(dir), "nothing is written for a refused export");
            assertEquals(1, source.exportMaps(file, List.of("users"), TransferProgress.NONE).entries());
        }
        try (ShoalNode target = start(16)) {
            TransferSummary imported = target.importMaps(file, ImportMode.OVERWRITE, TransferProgress.NONE);
            assertEquals(1, imported.mapCount());
            assertEquals(Set.of("users"), target.mapNames());
            assertEquals("Ada", target.map("users", String.class, String.class).get("ada"));
        }
    }

    @Test
    void anEmptyExportImportsAsNothing(@TempDir Path dir) {
        Path file = dir.resolve("empty.export");
        try (ShoalNode source = start(16)) {
            TransferSummary exported = source.exportMaps(file, List.of(), TransferProgress.NONE);
            assertEquals(0, exported.entries());
            assertEquals(0, exported.mapCount());
            assertEquals(ExportFormat.HEADER_FIXED_BYTES + ExportFormat.CRC_BYTES + ExportFormat.END_BYTES,
                    exported.fileBytes());
        }
        try (ShoalNode target = start(16)) {
            TransferSummary imported = target.importMaps(file, ImportMode.OVERWRITE, TransferProgress.NONE);
            assertEquals(0, imported.entries());
            assertEquals(Set.of(), target.mapNames());
        }
    }

    @Test
    void keepExistingKeepsTheNodesValuesAndOverwriteReplacesThem(@TempDir Path dir) {
        Path file = dir.resolve("users.export");
        try (ShoalNode source = start(16)) {
            ShoalMap<String, String> users = source.map("users", String.class, String.class);
            users.put("ada", "from the file");
            users.put("bob", "from the file");
            source.exportMaps(file, List.of(), TransferProgress.NONE);
        }
        try (ShoalNode target = start(16)) {
            ShoalMap<String, String> users = target.map("users", String.class, String.class);
            long mine = users.put("ada", "mine");
            List<ChangeEvent<String, String>> events = new CopyOnWriteArrayList<>();
            users.addListener(new ChangeListener<>() {
                @Override
                public void onChange(ChangeEvent<String, String> event) {
                    events.add(event);
                }
            });

            TransferSummary kept = target.importMaps(file, ImportMode.KEEP_EXISTING, TransferProgress.NONE);
            assertEquals(1, kept.entries());
            assertEquals(1, kept.skippedExisting());
            assertEquals("mine", users.get("ada"));
            assertEquals(mine, users.getEntry("ada").version());
            assertEquals("from the file", users.get("bob"));

            TransferSummary overwritten = target.importMaps(file, ImportMode.OVERWRITE, TransferProgress.NONE);
            assertEquals(2, overwritten.entries());
            assertEquals(0, overwritten.skippedExisting());
            assertEquals("from the file", users.get("ada"));
            assertTrue(users.getEntry("ada").version() > mine);

            await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 3);
            List<String> seen = events.stream().map(e -> e.key() + " " + e.type()).toList();
            assertEquals("bob " + ChangeType.CREATED, seen.get(0));
            assertEquals(Set.of("ada UPDATED", "bob UPDATED"), Set.copyOf(seen.subList(1, 3)));
        }
    }

    @Test
    void entriesExpiredAtExportAreLeftOutAndAtImportSkipped(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("expiring.export");
        try (ShoalNode source = start(4)) {
            ShoalMap<String, String> map = source.map("m", String.class, String.class);
            map.put("stays", "v");
            map.put("goes", "v", Duration.ofMillis(200));
            long expiresAtMs = map.getEntry("goes").expiresAtMs();
            await().atMost(Duration.ofSeconds(10)).until(() -> System.currentTimeMillis() > expiresAtMs);
            TransferSummary exported = source.exportMaps(file, List.of(), TransferProgress.NONE);
            assertEquals(1, exported.entries());
            assertEquals(1, exported.skippedExpired());
        }

        Path written = dir.resolve("written.export");
        long now = System.currentTimeMillis();
        writeFile(written, List.of("m"), w -> {
            w.entry(0, bytes("past"), 4, bytes("v"), 1, now - 1_000, now - 2_000);
            w.entry(0, bytes("future"), 6, bytes("v"), 1, now + 3_600_000, now - 2_000);
        });
        try (ShoalNode target = start(4)) {
            TransferSummary imported = target.importMaps(written, ImportMode.OVERWRITE, TransferProgress.NONE);
            assertEquals(1, imported.entries());
            assertEquals(1, imported.skippedExpired());
            ShoalMap<String, String> map = target.map("m", String.class, String.class);
            assertNull(map.getEntry("past"));
            assertEquals(now + 3_600_000, map.getEntry("future").expiresAtMs());
        }
    }

    @Test
    void theDocumentedExampleImportsIntoANode(@TempDir Path dir) throws IOException {
        Path file = Files.write(dir.resolve("example.export"), ExportFileTest.docExample().bytes());
        try (ShoalNode node = start(16)) {
            assertEquals(3, node.importMaps(file, ImportMode.OVERWRITE, TransferProgress.NONE).entries());
            ShoalMap<String, String> users = node.map("users", String.class, String.class);
            assertEquals("Ada Lovelace", users.get("ada"));
            assertEquals("", users.get("bob"));
            ShoalEntry<String, String> session = node.map("sessions", String.class, String.class).getEntry("s1");
            assertEquals("token", session.value());
            assertEquals(FAR_FUTURE_MS, session.expiresAtMs());
        }
    }

    @Test
    void progressIsReportedAtMostEveryPercentOrSecondMonotonicallyAndEndsAtOne(@TempDir Path dir) {
        Path file = dir.resolve("big.export");
        Recorder exportProgress = new Recorder();
        TransferSummary exported;
        long startedNanos = System.nanoTime();
        try (ShoalNode source = start(256)) {
            ShoalMap<Integer, String> a = source.map("a", Integer.class, String.class);
            ShoalMap<Integer, String> b = source.map("b", Integer.class, String.class);
            for (int i = 0; i < 20_000; i++) {
                a.put(i, "value of a " + i);
                b.put(i, "value of b " + i);
            }
            exported = source.exportMaps(file, List.of(), exportProgress);
        }
        assertProgress(exportProgress, exported, startedNanos);

        Recorder importProgress = new Recorder();
        startedNanos = System.nanoTime();
        try (ShoalNode target = start(64)) {
            TransferSummary imported = target.importMaps(file, ImportMode.OVERWRITE, importProgress);
            assertEquals(40_000, imported.entries());
            assertProgress(importProgress, imported, startedNanos);
        }
    }

    private static void assertProgress(Recorder recorder, TransferSummary summary, long startedNanos) {
        List<double[]> calls = recorder.calls;
        assertTrue(calls.size() >= 2, "called along the way and at the end: " + calls.size());
        long seconds = Duration.ofNanos(System.nanoTime() - startedNanos).toSeconds();
        assertTrue(calls.size() <= 101 + seconds + 1, calls.size() + " calls");
        for (int i = 1; i < calls.size(); i++) {
            for (int field = 0; field < 3; field++) {
                assertTrue(calls.get(i)[field] >= calls.get(i - 1)[field], "call " + i + " field " + field);
            }
        }
        double[] last = calls.get(calls.size() - 1);
        assertEquals(summary.entries(), (long) last[0]);
        assertEquals(summary.fileBytes(), (long) last[1]);
        assertEquals(1.0, last[2]);
        assertTrue(calls.get(0)[2] < 1.0);
    }

    @Test
    void aFailedExportLeavesTheTargetAsItWasAndNoTemporaryFile(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("users.export"), "an older export");
        try (ShoalNode node = start(16)) {
            ShoalMap<Integer, Integer> map = node.map("m", Integer.class, Integer.class);
            for (int i = 0; i < 1_000; i++) {
                map.put(i, i);
            }
            IllegalStateException stop = new IllegalStateException("stop");
            TransferProgress failing = new TransferProgress() {
                @Override
                public void onProgress(long entriesDone, long bytesDone, double fractionDone) {
                    throw stop;
                }
            };
            assertSame(stop, assertThrows(IllegalStateException.class, () -> node.exportMaps(file, List.of(), failing)));
            assertEquals("an older export", Files.readString(file));
            assertEquals(List.of("users.export"), listDir(dir));
            assertEquals(1_000, node.exportMaps(file, List.of(), TransferProgress.NONE).entries());
            assertEquals(List.of("users.export"), listDir(dir), "the export replaced the older one");
            assertEquals(Files.size(file), node.importMaps(file, ImportMode.KEEP_EXISTING, TransferProgress.NONE).fileBytes());

            Path nowhere = dir.resolve("missing-dir").resolve("x.export");
            TransferException e = assertThrows(TransferException.class,
                    () -> node.exportMaps(nowhere, List.of(), TransferProgress.NONE));
            assertTrue(e.getMessage().contains(nowhere.toString()), e.getMessage());
            assertEquals(nowhere, e.file());
            assertEquals(-1, e.offsetBytes());
        }
    }

    @Test
    void anImportThatRunsOutOfMemoryStopsWithTheCountAndKeepsWhatItImported(@TempDir Path dir) {
        Path file = dir.resolve("large.export");
        try (ShoalNode source = start(16)) {
            ShoalMap<Integer, byte[]> map = source.map("m", Integer.class, byte[].class);
            for (int i = 0; i < 3_000; i++) {
                map.put(i, new byte[1_000]);
            }
            source.exportMaps(file, List.of(), TransferProgress.NONE);
        }
        try (ShoalNode target = Shoal.start(config(16).set("memory.maxBytes", "1m").build())) {
            TransferException e = assertThrows(TransferException.class,
                    () -> target.importMaps(file, ImportMode.OVERWRITE, TransferProgress.NONE));
            assertInstanceOf(MemoryLimitExceededException.class, e.getCause());
            assertTrue(e.entriesImported() > 500 && e.entriesImported() < 3_000, e.getMessage());
            assertEquals(e.entriesImported(), target.map("m", Integer.class, byte[].class).size());
            assertTrue(e.getMessage().contains(e.entriesImported() + " entries imported before stay"), e.getMessage());
            assertTrue(e.getMessage().contains("at offset " + e.offsetBytes()), e.getMessage());
        }
    }

    @Test
    void withPersistenceTheImportedEntriesSurviveARestart(@TempDir Path dir) {
        Path file = dir.resolve("persisted.export");
        ShoalConfig sourceConfig = config(16).set("persistence", "test-memory")
                .set("test.persistence.dir", dir.resolve("source").toString()).build();
        ShoalConfig targetConfig = config(32).set("persistence", "test-memory")
                .set("test.persistence.dir", dir.resolve("target").toString()).build();
        try (ShoalNode source = Shoal.start(sourceConfig)) {
            ShoalMap<String, String> map = source.map("m", String.class, String.class);
            for (int i = 0; i < 3_000; i++) {
                map.put("k" + i, "v" + i, i % 2 == 0 ? Duration.ZERO : Duration.ofHours(1));
            }
        }
        long expiresAtMs;
        try (ShoalNode source = Shoal.start(sourceConfig)) {
            expiresAtMs = source.map("m", String.class, String.class).getEntry("k1").expiresAtMs();
            assertEquals(3_000, source.exportMaps(file, List.of(), TransferProgress.NONE).entries());
        }
        try (ShoalNode target = Shoal.start(targetConfig)) {
            assertEquals(3_000, target.importMaps(file, ImportMode.OVERWRITE, TransferProgress.NONE).entries());
        }
        try (ShoalNode target = Shoal.start(targetConfig)) {
            ShoalMap<String, String> map = target.map("m", String.class, String.class);
            assertEquals(3_000, map.size());
            assertEquals("v2999", map.get("k2999"));
            assertEquals(expiresAtMs, map.getEntry("k1").expiresAtMs());
        }
    }

    // ---- damaged files: the example of docs/formats.md section 3.7, broken in every way ----
    // Offsets in the example: entries at 41, 89 and 129, the end record at 165, 178 bytes in all.

    @Test
    void aMissingFileIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("missing.export");
        TransferException e = importFails(missing, 16 << 10, 1 << 20);
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
        assertEquals(-1, e.offsetBytes());
        assertEquals(0, e.entriesImported());
    }

    @Test
    void wrongMagic(@TempDir Path dir) throws IOException {
        byte[] bytes = example();
        bytes[0] = 'X';
        assertDamaged(dir, bytes, 0, 0, "not a Shoal export file");
        assertDamaged(dir, new byte[5], 0, 0, "not a Shoal export file");
    }

    @Test
    void unsupportedVersion(@TempDir Path dir) throws IOException {
        byte[] bytes = example();
        bytes[9] = 2;
        assertDamaged(dir, bytes, 8, 0, "format version 2 is not supported (this node reads version 1)");
    }

    @Test
    void headerCrcMismatch(@TempDir Path dir) throws IOException {
        byte[] bytes = example();
        bytes[24] = 'E'; // "sessions" -> "sEssions"
        assertDamaged(dir, bytes, 0, 0, "header CRC mismatch");
    }

    @Test
    void impossibleMapCount(@TempDir Path dir) throws IOException {
        byte[] bytes = example();
        bytes[18] = 0x7f;
        assertDamaged(dir, bytes, 18, 0, "more than the format allows");
        bytes = example();
        bytes[20] = 0x01; // 65,538 maps cannot fit in 178 bytes
        assertDamaged(dir, bytes, 0, 0, "truncated");
    }

    @Test
    void entryCrcMismatchStopsAfterTheEntriesBefore(@TempDir Path dir) throws IOException {
        byte[] bytes = example();
        bytes[89 + 29 + 2] ^= 1; // a byte of the value "token"
        assertDamaged(dir, bytes, 89, 1, "entry CRC mismatch");
    }

    @Test
    void truncatedFiles(@TempDir Path dir) throws IOException {
        byte[] bytes = example();
        assertDamaged(dir, java.util.Arrays.copyOf(bytes, 30), 0, 0, "truncated");
        assertDamaged(dir, java.util.Arrays.copyOf(bytes, 100), 89, 1, "truncated");
        assertDamaged(dir, java.util.Arrays.copyOf(bytes, 129 + 10), 129, 2, "truncated");
        assertDamaged(dir, java.util.Arrays.copyOf(bytes, 165), 165, 3, "without the end marker");
        assertDamaged(dir, java.util.Arrays.copyOf(bytes, 170), 165, 3, "truncated");
    }

    @Test
    void lengthsOverTheFormatsLimits(@TempDir Path dir) throws IOException {
        byte[] bytes = example();
        putInt(bytes, 41 + 21, (1 << 20) + 1);
        assertDamaged(dir, bytes, 41, 0, "impossible key length 1048577");
        bytes = example();
        putInt(bytes, 41 + 25, -1);
        assertDamaged(dir, bytes, 41, 0, "impossible value length 4294967295");
        bytes = example();
        putInt(bytes, 41 + 25, 1_000);
        assertDamaged(dir, bytes, 41, 0, "truncated");
    }

    @Test
    void lengthsOverTheNodesLimits(@TempDir Path dir) throws IOException {
        Path file = Files.write(dir.resolve("example.export"), example());
        TransferException key = importFails(file, 2, 1 << 20);
        assertEquals(41, key.offsetBytes());
        assertTrue(key.getMessage().contains("key of 3 bytes is larger than this node's store.maxKeyBytes = 2"),
                key.getMessage());
        TransferException value = importFails(file, 16 << 10, 8);
        assertEquals(41, value.offsetBytes());
        assertTrue(value.getMessage().contains("value of 12 bytes is larger than this node's store.maxValueBytes = 8"),
                value.getMessage());
    }

    @Test
    void badRecordsAndEndMarker(@TempDir Path dir) throws IOException {
        byte[] bytes = example();
        bytes[89] = 9;
        assertDamaged(dir, bytes, 89, 1, "unknown record kind 9");

        bytes = example();
        putInt(bytes, 41 + 1, 7);
        fixCrc(bytes, 41, 89);
        assertDamaged(dir, bytes, 41, 0, "refers to map 7 but the header lists 2 maps");

        bytes = example();
        bytes[165 + 8] = 4;
        fixCrc(bytes, 165, 178);
        assertDamaged(dir, bytes, 165, 3, "the end marker counts 4 entries but the file holds 3");

        bytes = example();
        bytes[170] ^= 1;
        assertDamaged(dir, bytes, 165, 3, "end marker CRC mismatch");

        bytes = java.util.Arrays.copyOf(example(), 179);
        assertDamaged(dir, bytes, 178, 3, "bytes follow the end marker (1)");
    }

    @Test
    void badMapTables(@TempDir Path dir) throws IOException {
        byte[] duplicate = header(List.of(bytes("users"), bytes("users")));
        assertDamaged(dir, withEnd(duplicate, 0), 28, 0, "map \"users\" is listed twice");
        byte[] control = header(List.of(bytes("a\tb")));
        assertDamaged(dir, withEnd(control, 0), 22, 0, "control character");
        byte[] invalidUtf8 = header(List.of(new byte[] {(byte) 0xC3, 0x28}));
        assertDamaged(dir, withEnd(invalidUtf8, 0), 22, 0, "not valid UTF-8");
        byte[] emptyName = header(List.of(new byte[0]));
        assertDamaged(dir, withEnd(emptyName, 0), 22, 0, "map name 0 is empty");
    }

    // ---- helpers ----

    private static byte[] example() throws IOException {
        return ExportFileTest.docExample().bytes();
    }

    private static TransferException importFails(Path file, int maxKeyBytes, int maxValueBytes) {
        try (ShoalNode node = Shoal.start(config(16).set("store.maxKeyBytes", maxKeyBytes)
                .set("store.maxValueBytes", maxValueBytes).build())) {
            TransferException e = assertThrows(TransferException.class,
                    () -> node.importMaps(file, ImportMode.OVERWRITE, TransferProgress.NONE));
            assertEquals(file, e.file());
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
            long imported = node.mapNames().stream().mapToLong(n -> node.map(n, byte[].class, byte[].class).size()).sum();
            assertEquals(e.entriesImported(), imported, "the entries imported before the failure stay");
            return e;
        }
    }

    private static void assertDamaged(Path dir, byte[] bytes, long offset, long imported, String problem)
            throws IOException {
        Path file = Files.write(dir.resolve("damaged.export"), bytes);
        TransferException e = importFails(file, 16 << 10, 1 << 20);
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        assertEquals(offset, e.offsetBytes(), e.getMessage());
        assertTrue(e.getMessage().contains("at offset " + offset + ":"), e.getMessage());
        assertEquals(imported, e.entriesImported(), e.getMessage());
        assertNull(e.getCause());
    }

    /** A header of docs/formats.md section 3.2 with the given raw names, CRC included. */
    private static byte[] header(List<byte[]> names) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.nio.ByteBuffer fixed = java.nio.ByteBuffer.allocate(22);
        fixed.put(bytes("SHOALEXP")).putShort((short) 1).putLong(1L).putInt(names.size());
        out.writeBytes(fixed.array());
        for (byte[] name : names) {
            out.write(name.length);
            out.writeBytes(name);
        }
        out.writeBytes(new byte[4]);
        byte[] bytes = out.toByteArray();
        fixCrc(bytes, 0, bytes.length);
        return bytes;
    }

    /** {@code header} followed by an end record counting {@code entries}. */
    private static byte[] withEnd(byte[] header, long entries) {
        byte[] bytes = java.util.Arrays.copyOf(header, header.length + 13);
        java.nio.ByteBuffer.wrap(bytes, header.length, 13).put((byte) 2).putLong(entries);
        fixCrc(bytes, header.length, bytes.length);
        return bytes;
    }

    /** Recomputes the CRC32C in the last 4 bytes of {@code [from, to)} over the bytes before them. */
    private static void fixCrc(byte[] bytes, int from, int to) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes, from, to - from - 4);
        putInt(bytes, to - 4, (int) crc.getValue());
    }

    private static void putInt(byte[] bytes, int at, int value) {
        java.nio.ByteBuffer.wrap(bytes).putInt(at, value);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    interface Entries {
        void write(ExportFileWriter writer) throws IOException;
    }

    private static void writeFile(Path file, List<String> maps, Entries entries) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ExportFileWriter writer = new ExportFileWriter(channel, System.currentTimeMillis(), maps);
            entries.write(writer);
            writer.finish();
        }
    }

    private static long fileSize(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static List<String> listDir(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
