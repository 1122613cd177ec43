package io.shoal.persist.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The bytes of docs/formats.md section 1, built by hand, against the reader and the writer. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FileLogFormatTest {
    @TempDir
    Path dir;

    private static final List<ChangeRecord> EVERY_TYPE = List.of(
            new ChangeRecord(ChangeType.CREATED, "users", 0, 1, "alice".getBytes(StandardCharsets.UTF_8),
                    new byte[] {1, 2, 3}, Spec.NOW_MS, Spec.NOW_MS + 1000),
            new ChangeRecord(ChangeType.UPDATED, "événements", 65535, Long.MAX_VALUE, new byte[0], new byte[0], -5, 0),
            new ChangeRecord(ChangeType.REMOVED, "users", 0, 2, "alice".getBytes(StandardCharsets.UTF_8), null, Spec.NOW_MS, 0),
            new ChangeRecord(ChangeType.EXPIRED, "", 7, 3, new byte[] {0}, null, 1, 0),
            new ChangeRecord(ChangeType.EVICTED, "m", 1 << 30, 4, new byte[300], null, 2, 0));

    @Test
    void crc32cIsCastagnoliWithTheDocumentedCheckValue() {
        CRC32C crc = new CRC32C();
        crc.update("123456789".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0xE3069283L, crc.getValue());
    }

    @Test
    void theReaderAcceptsAHandBuiltLogOfEveryRecordType() throws IOException {
        Files.write(dir.resolve(Spec.name(0)), Spec.segment(Spec.NOW_MS, 0, EVERY_TYPE.subList(0, 2)));
        Files.write(dir.resolve(Spec.name(2)), Spec.segment(Spec.NOW_MS, 2, EVERY_TYPE.subList(2, 5)));
        Files.write(dir.resolve("notes.txt"), new byte[] {1, 2, 3}); // not a segment name: ignored
        assertEquals(Spec.describe(EVERY_TYPE), Spec.describe(Spec.recoverOnce(Spec.config(dir, FileLogConfig.FsyncPolicy.NEVER))));
    }

    @Test
    void theWriterWritesExactlyTheSpecifiedBytes() throws Exception {
        Clock clock = Clock.fixed(Instant.ofEpochMilli(Spec.NOW_MS), ZoneOffset.UTC);
        FileLogBackend backend = new FileLogBackend(Spec.config(dir, FileLogConfig.FsyncPolicy.ALWAYS),
                FileLogChannels.DEFAULT, clock);
        Spec.recover(backend);
        backend.start(null);
        CompletableFuture<?>[] appends = EVERY_TYPE.stream().map(backend::append).toArray(CompletableFuture[]::new);
        CompletableFuture.allOf(appends).get(10, TimeUnit.SECONDS);
        backend.close();

        byte[] written = Files.readAllBytes(dir.resolve("log-0000000000000000.seg"));
        assertArrayEquals(Spec.segment(Spec.NOW_MS, 0, EVERY_TYPE), written);

        ByteBuffer b = ByteBuffer.wrap(written);
        assertEquals("SHOALLOG", new String(written, 0, 8, StandardCharsets.US_ASCII));
        assertEquals(1, b.getShort(8), "format version");
        assertEquals(32, b.getShort(10), "header length");
        assertEquals(Spec.NOW_MS, b.getLong(12), "creation time");
        assertEquals(0, b.getLong(20), "first record number");
        int firstLength = b.getInt(32);
        assertEquals(Spec.payload(EVERY_TYPE.get(0)).length, firstLength);
        assertEquals(1, b.get(36), "type code of CREATED");
        CRC32C crc = new CRC32C();
        crc.update(written, 32, 5);
        crc.update(written, 41, firstLength);
        assertEquals((int) crc.getValue(), b.getInt(37), "CRC over length, type and payload");
        assertEquals(0, b.getInt(41), "bucket");
        assertEquals(1, b.getLong(45), "sequence");
    }

    @Test
    void wrongMagicIsRefusedNamingTheFile() throws IOException {
        byte[] file = Spec.segment(Spec.NOW_MS, 0, EVERY_TYPE);
        file[0] = 'X';
        Path segment = Files.write(dir.resolve(Spec.name(0)), file);
        PersistenceException e = assertThrows(PersistenceException.class,
                () -> Spec.recoverOnce(Spec.config(dir, FileLogConfig.FsyncPolicy.NEVER).withOnCorruption(FileLogConfig.OnCorruption.TRUNCATE)));
        assertTrue(e.getMessage().contains(segment.toString()) && e.getMessage().contains("not a Shoal log segment"), e.getMessage());
        assertArrayEquals(file, Files.readAllBytes(segment), "a foreign file is never truncated");
    }

    @Test
    void anUnsupportedVersionIsRefusedNamingTheFileAndBothVersions() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(Spec.header("SHOALLOG".getBytes(StandardCharsets.US_ASCII), 2, 32, Spec.NOW_MS, 0));
        out.writeBytes(Spec.frame(EVERY_TYPE.get(0)));
        Path segment = Files.write(dir.resolve(Spec.name(0)), out.toByteArray());
        PersistenceException e = assertThrows(PersistenceException.class,
                () -> Spec.recoverOnce(Spec.config(dir, FileLogConfig.FsyncPolicy.NEVER)));
        assertTrue(e.getMessage().contains(segment.toString()) && e.getMessage().contains("version 2")
                && e.getMessage().contains("version 1"), e.getMessage());
    }

    @Test
    void aLengthBeyondTheMaximumIsCorruptionEvenAtTheTail() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(Spec.segment(Spec.NOW_MS, 0, EVERY_TYPE.subList(0, 1)));
        long offset = out.size();
        out.writeBytes(ByteBuffer.allocate(9).putInt(0xFFFF_FFF0).put((byte) 1).putInt(0).array());
        Path segment = Files.write(dir.resolve(Spec.name(0)), out.toByteArray());
        PersistenceException e = assertThrows(PersistenceException.class,
                () -> Spec.recoverOnce(Spec.config(dir, FileLogConfig.FsyncPolicy.NEVER)));
        assertTrue(e.getMessage().contains(segment.toString()) && e.getMessage().contains("offset " + offset)
                && e.getMessage().contains("impossible record length 4294967280"), e.getMessage());
    }

    @Test
    void aLengthRunningPastTheEndOfANonLastSegmentIsCorruption() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(Spec.segment(Spec.NOW_MS, 0, EVERY_TYPE.subList(0, 1)));
        long offset = out.size();
        byte[] frame = Spec.frame(EVERY_TYPE.get(1));
        out.write(frame, 0, frame.length - 1);
        Path first = Files.write(dir.resolve(Spec.name(0)), out.toByteArray());
        Files.write(dir.resolve(Spec.name(1)), Spec.segment(Spec.NOW_MS, 1, EVERY_TYPE.subList(2, 3)));
        PersistenceException e = assertThrows(PersistenceException.class,
                () -> Spec.recoverOnce(Spec.config(dir, FileLogConfig.FsyncPolicy.NEVER)));
        assertTrue(e.getMessage().contains(first.toString()) && e.getMessage().contains("offset " + offset)
                && e.getMessage().contains("runs past the end"), e.getMessage());
    }

    @Test
    void anUnknownTypeAndInnerLengthsThatDoNotAddUpAreCorruption() throws IOException {
        Path segment = dir.resolve(Spec.name(0));
        byte[] payload = Spec.payload(EVERY_TYPE.get(0));
        for (byte[] bad : List.of(Spec.frame(payload, 0), Spec.frame(payload, 6),
                Spec.frame(Spec.payload(EVERY_TYPE.get(2)), 1), Spec.frame(payload, 3))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(Spec.header(Spec.NOW_MS, 0));
            out.writeBytes(bad);
            Files.write(segment, out.toByteArray());
            PersistenceException e = assertThrows(PersistenceException.class,
                    () -> Spec.recoverOnce(Spec.config(dir, FileLogConfig.FsyncPolicy.NEVER)));
            assertTrue(e.getMessage().contains("offset 32"), e.getMessage());
        }
    }

    @Test
    void aHeaderCrcMismatchIsCorruptionAtOffsetZero() throws IOException {
        byte[] file = Spec.segment(Spec.NOW_MS, 0, EVERY_TYPE);
        file[13] ^= 1; // creation time
        Path segment = Files.write(dir.resolve(Spec.name(0)), file);
        PersistenceException e = assertThrows(PersistenceException.class,
                () -> Spec.recoverOnce(Spec.config(dir, FileLogConfig.FsyncPolicy.NEVER)));
        assertTrue(e.getMessage().contains(segment + " at offset 0: header CRC mismatch"), e.getMessage());
    }
}
