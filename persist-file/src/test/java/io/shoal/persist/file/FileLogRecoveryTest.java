package io.shoal.persist.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.spi.ChangeRecord;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Torn tails and corruption, docs/formats.md section 1.7. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FileLogRecoveryTest {
    @TempDir
    Path dir;

    private FileLogConfig config() {
        return Spec.config(dir, FileLogConfig.FsyncPolicy.NEVER);
    }

    @Test
    void aTornTailAtEveryCutPointOfTheLastRecordIsTruncated() throws IOException {
        List<ChangeRecord> records = Spec.records(6);
        byte[] whole = Spec.segment(Spec.NOW_MS, 0, records);
        int lastStart = whole.length - Spec.frame(records.get(5)).length;
        Path segment = dir.resolve(Spec.name(0));
        String expected = Spec.describe(records.subList(0, 5));
        for (int cut = lastStart + 1; cut < whole.length; cut++) {
            Files.write(segment, java.util.Arrays.copyOf(whole, cut));
            assertEquals(expected, Spec.describe(Spec.recoverOnce(config())), "cut at " + cut);
            assertEquals(lastStart, Files.size(segment), "file truncated to the last good record, cut at " + cut);
            assertEquals(expected, Spec.describe(Spec.recoverOnce(config())), "second recovery, cut at " + cut);
        }
    }

    @Test
    void aLastSegmentShorterThanItsHeaderIsDeleted() throws IOException {
        Files.write(dir.resolve(Spec.name(0)), Spec.segment(Spec.NOW_MS, 0, Spec.records(3)));
        Path torn = Files.write(dir.resolve(Spec.name(3)), java.util.Arrays.copyOf(Spec.header(Spec.NOW_MS, 3), 20));
        assertEquals(Spec.describe(Spec.records(3)), Spec.describe(Spec.recoverOnce(config())));
        assertFalse(Files.exists(torn));
    }

    @Test
    void aCorruptRecordInTheMiddleStopsRecoveryNamingFileAndOffset() throws IOException {
        List<ChangeRecord> records = Spec.records(5);
        byte[] file = Spec.segment(Spec.NOW_MS, 0, records);
        int third = 32 + Spec.frame(records.get(0)).length + Spec.frame(records.get(1)).length;
        file[third + 20] ^= 0x40;
        Path segment = Files.write(dir.resolve(Spec.name(0)), file);
        PersistenceException e = assertThrows(PersistenceException.class, () -> Spec.recoverOnce(config()));
        assertTrue(e.getMessage().contains(segment + " at offset " + third + ": record CRC mismatch"), e.getMessage());
        assertArrayEquals(file, Files.readAllBytes(segment), "fail changes nothing");
    }

    @Test
    void aCrcMismatchInTheCompleteLastRecordIsCorruptionNotATornTail() throws IOException {
        byte[] file = Spec.segment(Spec.NOW_MS, 0, Spec.records(3));
        file[file.length - 1] ^= 1;
        Files.write(dir.resolve(Spec.name(0)), file);
        assertThrows(PersistenceException.class, () -> Spec.recoverOnce(config()));
    }

    @Test
    void truncateKeepsWhatPrecedesTheCorruptionAndDropsTheRestIncludingLaterSegments() throws IOException {
        List<ChangeRecord> records = Spec.records(8);
        byte[] file = Spec.segment(Spec.NOW_MS, 0, records.subList(0, 5));
        int third = 32 + Spec.frame(records.get(0)).length + Spec.frame(records.get(1)).length;
        file[third + 12] ^= 0x01;
        Path first = Files.write(dir.resolve(Spec.name(0)), file);
        Path second = Files.write(dir.resolve(Spec.name(5)), Spec.segment(Spec.NOW_MS, 5, records.subList(5, 8)));
        FileLogConfig truncate = config().withOnCorruption(FileLogConfig.OnCorruption.TRUNCATE);

        assertEquals(Spec.describe(records.subList(0, 2)), Spec.describe(Spec.recoverOnce(truncate)));
        assertEquals(third, Files.size(first));
        assertFalse(Files.exists(second));
        assertEquals(Spec.describe(records.subList(0, 2)), Spec.describe(Spec.recoverOnce(config())), "second recovery");
    }

    @Test
    void aMissingSegmentIsCorruption() throws IOException {
        List<ChangeRecord> records = Spec.records(6);
        Files.write(dir.resolve(Spec.name(0)), Spec.segment(Spec.NOW_MS, 0, records.subList(0, 2)));
        Path third = Files.write(dir.resolve(Spec.name(4)), Spec.segment(Spec.NOW_MS, 4, records.subList(4, 6)));
        PersistenceException e = assertThrows(PersistenceException.class, () -> Spec.recoverOnce(config()));
        assertTrue(e.getMessage().contains(third + " at offset 0") && e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void aMissingDirectoryIsCreatedAndRecoversNothing() {
        Path nested = dir.resolve("a/b/log");
        assertEquals(List.of(), Spec.recoverOnce(Spec.config(nested, FileLogConfig.FsyncPolicy.ALWAYS)));
        assertTrue(Files.isDirectory(nested));
    }
}
