package io.shoal.persist.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.ChangeType;
import io.shoal.spi.ChangeRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The readers read files in chunks of {@link ReadWindow#CHUNK_BYTES}: records that straddle chunk
 * boundaries, records larger than a chunk (the window grows), and every validation rule of
 * docs/formats.md 1.6, 1.7 and 2.5 with exact offsets beyond the first chunk.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChunkedReadTest {
    private static final int CHUNK = ReadWindow.CHUNK_BYTES;

    @TempDir
    Path dir;

    private FileLogConfig config() {
        return Spec.config(dir, FileLogConfig.FsyncPolicy.NEVER);
    }

    private FileLogConfig truncate() {
        return config().withOnCorruption(FileLogConfig.OnCorruption.TRUNCATE);
    }

    /** Records of many sizes, a few larger than a chunk, in several maps; about 7 MiB in all. */
    private static List<ChangeRecord> mixed(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<ChangeRecord> records = new ArrayList<>();
        for (int i = 1; i <= 3000; i++) {
            int valueBytes = switch (i % 1000) {
                case 7 -> CHUNK + 13; // just above a chunk
                case 500 -> 2 * CHUNK + 5; // grows the window twice
                default -> random.nextInt(2000);
            };
            byte[] value = new byte[valueBytes];
            random.nextBytes(value);
            String map = "map-" + (i % 3) + (i % 50 == 0 ? "-é" : "");
            byte[] key = ("key-" + i).getBytes(StandardCharsets.UTF_8);
            records.add(i % 11 == 0
                    ? new ChangeRecord(ChangeType.REMOVED, map, i % 8, i, key, null, Spec.NOW_MS + i, 0)
                    : new ChangeRecord(ChangeType.UPDATED, map, i % 8, i, key, value, Spec.NOW_MS + i, i));
        }
        return records;
    }

    private static int[] frameOffsets(List<ChangeRecord> records) {
        int[] offsets = new int[records.size() + 1];
        offsets[0] = FileLogFormat.HEADER_BYTES;
        for (int i = 0; i < records.size(); i++) {
            offsets[i + 1] = offsets[i] + Spec.frame(records.get(i)).length;
        }
        return offsets;
    }

    /** The index of the first record that starts beyond {@code offset}. */
    private static int firstAfter(int[] offsets, long offset) {
        int i = 0;
        while (offsets[i] <= offset) {
            i++;
        }
        return i;
    }

    @Test
    void recordsOfEverySizeAcrossManyChunksAndTwoSegmentsAreReplayedExactly() throws IOException {
        List<ChangeRecord> records = mixed(1);
        byte[] first = Spec.segment(Spec.NOW_MS, 0, records.subList(0, 1800));
        byte[] second = Spec.segment(Spec.NOW_MS, 1800, records.subList(1800, records.size()));
        assertTrue(first.length > 3 * CHUNK && second.length > 2 * CHUNK);
        Files.write(dir.resolve(Spec.name(0)), first);
        Files.write(dir.resolve(Spec.name(1800)), second);
        assertEquals(Spec.describe(records), Spec.describe(Spec.recoverOnce(config())));
        FileLogBackend again = new FileLogBackend(config());
        try {
            Spec.recover(again);
            // the next record number continues after the replayed log
            again.start(null);
            again.append(Spec.put(0, 5000, "next", "x")).join();
        } finally {
            again.close();
        }
        assertEquals(Spec.name(3000), FileLogReader.segments(dir).get(2).getFileName().toString());
    }

    @Test
    void aCorruptRecordBeyondTheFirstChunksIsReportedAtItsExactOffset() throws IOException {
        List<ChangeRecord> records = mixed(2);
        byte[] file = Spec.segment(Spec.NOW_MS, 0, records);
        int[] offsets = frameOffsets(records);
        for (int bad : new int[] {firstAfter(offsets, CHUNK - 3), firstAfter(offsets, 3L * CHUNK + 1), records.size() - 1}) {
            byte[] damaged = file.clone();
            damaged[offsets[bad] + 9 + 2] ^= 0x20; // a payload byte: CRC mismatch
            Path segment = Files.write(dir.resolve(Spec.name(0)), damaged);
            PersistenceException e = assertThrows(PersistenceException.class, () -> Spec.recoverOnce(config()));
            assertTrue(e.getMessage().contains(segment + " at offset " + offsets[bad] + ": record CRC mismatch"),
                    e.getMessage());
            assertArrayEquals(damaged, Files.readAllBytes(segment), "fail changes nothing");

            assertEquals(Spec.describe(records.subList(0, bad)), Spec.describe(Spec.recoverOnce(truncate())));
            assertEquals(offsets[bad], Files.size(segment));
        }
    }

    @Test
    void aTornTailInsideARecordLargerThanAChunkIsTruncated() throws IOException {
        List<ChangeRecord> records = new ArrayList<>(mixed(3).subList(0, 600));
        byte[] big = new byte[3 * CHUNK];
        new SplittableRandom(4).nextBytes(big);
        records.add(new ChangeRecord(ChangeType.CREATED, "big", 1, 9999, new byte[] {1}, big, 1, 0));
        byte[] whole = Spec.segment(Spec.NOW_MS, 0, records);
        int lastStart = frameOffsets(records)[records.size() - 1];
        String expected = Spec.describe(records.subList(0, records.size() - 1));
        Path segment = dir.resolve(Spec.name(0));
        for (int cut : new int[] {lastStart + 1, lastStart + 8, lastStart + 9, lastStart + 100, lastStart + CHUNK,
            lastStart + 2 * CHUNK + 7, whole.length - 1}) {
            Files.write(segment, Arrays.copyOf(whole, cut));
            assertEquals(expected, Spec.describe(Spec.recoverOnce(config())), "cut at " + cut);
            assertEquals(lastStart, Files.size(segment), "truncated to the last complete record, cut at " + cut);
        }
        Files.write(segment, whole);
        assertEquals(Spec.describe(records), Spec.describe(Spec.recoverOnce(config())));
    }

    @Test
    void lengthsAreCheckedAgainstTheLimitAndTheFileBeforeAnythingIsReadBeyondTheFirstChunk() throws IOException {
        List<ChangeRecord> records = mixed(5).subList(0, 1500);
        byte[] file = Spec.segment(Spec.NOW_MS, 0, records);
        int[] offsets = frameOffsets(records);
        int bad = firstAfter(offsets, 2L * CHUNK);
        Path first = dir.resolve(Spec.name(0));

        byte[] impossible = file.clone();
        ByteBuffer.wrap(impossible).putInt(offsets[bad], FileLogFormat.MAX_PAYLOAD_BYTES + 1);
        Files.write(first, impossible);
        PersistenceException e = assertThrows(PersistenceException.class, () -> Spec.recoverOnce(config()));
        assertTrue(e.getMessage().contains(first + " at offset " + offsets[bad] + ": impossible record length "
                + (FileLogFormat.MAX_PAYLOAD_BYTES + 1)), e.getMessage());

        // A length within the limit that runs past the end: a torn tail in the last segment ...
        byte[] pastEnd = file.clone();
        ByteBuffer.wrap(pastEnd).putInt(offsets[bad], FileLogFormat.MAX_PAYLOAD_BYTES);
        Files.write(first, pastEnd);
        assertEquals(Spec.describe(records.subList(0, bad)), Spec.describe(Spec.recoverOnce(config())));
        assertEquals(offsets[bad], Files.size(first));

        // ... and corruption in any other segment.
        Files.write(first, pastEnd);
        Files.write(dir.resolve(Spec.name(records.size())), Spec.segment(Spec.NOW_MS, records.size(), List.of(
                Spec.put(1, 1, "a", "b"))));
        e = assertThrows(PersistenceException.class, () -> Spec.recoverOnce(config()));
        assertTrue(e.getMessage().contains(first + " at offset " + offsets[bad] + ": record of "
                + FileLogFormat.MAX_PAYLOAD_BYTES + " bytes runs past the end of the file"), e.getMessage());
    }

    @Test
    void aBadInnerLengthBeyondTheFirstChunkIsAMalformedPayload() throws IOException {
        List<ChangeRecord> records = mixed(6).subList(0, 1500);
        int[] offsets = frameOffsets(records);
        int bad = firstAfter(offsets, CHUNK + CHUNK / 2);
        ChangeRecord victim = records.get(bad);
        byte[] payload = Spec.payload(victim);
        int nameLength = victim.mapName().getBytes(StandardCharsets.UTF_8).length;
        ByteBuffer.wrap(payload).putInt(30 + nameLength, payload.length); // key length runs past the payload
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(Spec.header(Spec.NOW_MS, 0));
        for (int i = 0; i < records.size(); i++) {
            out.writeBytes(i == bad ? Spec.frame(payload, Spec.code(victim.type())) : Spec.frame(records.get(i)));
        }
        Path segment = Files.write(dir.resolve(Spec.name(0)), out.toByteArray());
        PersistenceException e = assertThrows(PersistenceException.class, () -> Spec.recoverOnce(config()));
        assertTrue(e.getMessage().contains(segment + " at offset " + offsets[bad] + ": malformed payload: key length "),
                e.getMessage());
    }

    @Test
    void aLargeSnapshotIsValidatedAcrossChunksAndDamageAnywhereInvalidatesIt() throws IOException {
        List<ChangeRecord> entries = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 1; i <= 2500; i++) {
            byte[] value = new byte[i == 1200 ? 2 * CHUNK + 3 : random.nextInt(3000)];
            random.nextBytes(value);
            entries.add(new ChangeRecord(ChangeType.CREATED, "m" + (i % 4), 2, i, ("k" + i).getBytes(StandardCharsets.UTF_8),
                    value, Spec.NOW_MS, 0));
        }
        byte[] good = Spec.snapshot(Spec.NOW_MS, 2500, 4, List.of(new Spec.Section(2, 2600, entries)));
        assertTrue(good.length > 4 * CHUNK);
        Path snapshot = Files.write(dir.resolve(Spec.snapshotName(2500)), good);
        assertNull(FileSnapshot.check(snapshot));
        TestState state = new TestState(4);
        assertEquals(2500, FileSnapshot.replay(snapshot, state));
        assertEquals(2600, state.sequence(2));

        for (int at : new int[] {CHUNK - 1, CHUNK, 2 * CHUNK + 17, 3 * CHUNK + 100, good.length - 30, good.length - 2}) {
            byte[] damaged = good.clone();
            damaged[at] ^= 0x04;
            Files.write(snapshot, damaged);
            assertTrue(FileSnapshot.check(snapshot) != null, "flipped byte at " + at);
        }
        for (int cut : new int[] {CHUNK + 5, 2 * CHUNK, good.length - 24}) {
            Files.write(snapshot, Arrays.copyOf(good, cut));
            assertTrue(FileSnapshot.check(snapshot) != null, "cut at " + cut);
        }
        assertFalse(Files.size(snapshot) == good.length);
    }
}
