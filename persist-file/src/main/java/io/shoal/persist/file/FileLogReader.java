package io.shoal.persist.file;

import io.shoal.ChangeType;
import io.shoal.spi.ChangeRecord;
import io.shoal.spi.PersistenceBackend.RecoverySink;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Recovery of the log: replays the segments (all, or those after a snapshot) in name order into a
 * sink, on the calling thread, following {@code docs/formats.md} section 1.7. Each segment is read
 * front to back in large chunks through a {@link ReadWindow} (1 MiB, one positional read per chunk
 * rather than two system calls per record), and records are decoded from the buffer in place. Each
 * frame's length is checked against the format's limits and the bytes left in the file before
 * its payload is read (the window grows only for a record so checked that is larger than it), and
 * its CRC is checked before the payload is decoded. A torn tail of the last segment is truncated;
 * corruption elsewhere fails or truncates per {@code recovery.onCorruption}, naming the file and
 * the offset of the bad record. Single use, not thread-safe.
 */
final class FileLogReader {
    private static final System.Logger LOG = System.getLogger(FileLogReader.class.getName());

    private final Path dir;
    private final FileLogConfig.OnCorruption onCorruption;
    private final ReadWindow window = new ReadWindow(FileLogFormat.FRAME_HEADER_BYTES + FileLogFormat.MAX_PAYLOAD_BYTES);
    private final FileLogFormat.NameDecoder names = new FileLogFormat.NameDecoder();
    private final CRC32C crc = new CRC32C();
    private final String[] problem = new String[1];
    private long recordsReplayed;

    FileLogReader(Path dir, FileLogConfig.OnCorruption onCorruption) {
        this.dir = dir;
        this.onCorruption = onCorruption;
    }

    /** Segment files of {@code dir} in log order. */
    static List<Path> segments(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> FileLogFormat.isSegmentName(p.getFileName().toString()) && Files.isRegularFile(p))
                    .sorted().toList();
        }
    }

    /**
     * Replays everything valid and returns the global number of the next record to write.
     *
     * @throws PersistenceException on corruption (with {@code fail}), a foreign or newer file, or an I/O error
     */
    long replay(RecoverySink sink) {
        return replay(sink, 0, false);
    }

    /**
     * Replays the segments from record {@code startAt} on (segments numbered below it are covered by
     * a snapshot and skipped) and returns the number of the next record to write, at least
     * {@code startAt}. With {@code strict}, the first segment replayed must start at exactly
     * {@code startAt} (a snapshot's covered position); otherwise the log starts at its first segment.
     */
    long replay(RecoverySink sink, long startAt, boolean strict) {
        List<Path> segments;
        try {
            Files.createDirectories(dir);
            segments = segments(dir).stream().filter(s -> FileLogFormat.firstRecordNumberOf(s) >= startAt).toList();
        } catch (IOException e) {
            throw new PersistenceException("cannot list the log directory " + dir + ": " + e, e);
        }
        long next = strict || segments.isEmpty() ? startAt : FileLogFormat.firstRecordNumberOf(segments.get(0));
        for (int i = 0; i < segments.size(); i++) {
            Path segment = segments.get(i);
            boolean last = i == segments.size() - 1;
            try {
                long end = replaySegment(segment, last, next, sink, segments.subList(i + 1, segments.size()));
                if (end < 0) {
                    return Math.max(startAt, -end - 1);
                }
                next = end;
            } catch (IOException e) {
                throw new PersistenceException("cannot read log segment " + segment + ": " + e, e);
            }
        }
        return Math.max(startAt, next);
    }

    long recordsReplayed() {
        return recordsReplayed;
    }

    /** Returns the next record number after the segment, or {@code -(next + 1)} if replay must stop here. */
    private long replaySegment(Path segment, boolean last, long expectedFirst, RecoverySink sink, List<Path> later)
            throws IOException {
        long first;
        long count = 0;
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < FileLogFormat.HEADER_BYTES) {
                if (last) {
                    LOG.log(Level.INFO, "log segment {0} is shorter than its header ({1} bytes): torn at creation, deleted",
                            segment, size);
                    Files.delete(segment);
                    syncDirectory();
                    return -(expectedFirst + 1);
                }
                return corrupt(segment, 0, "file of " + size + " bytes is shorter than the 32-byte header", later, expectedFirst);
            }
            window.reset(channel, size);
            int at = window.ensure(0, FileLogFormat.HEADER_BYTES);
            ByteBuffer bytes = window.buffer();
            byte[] magic = new byte[FileLogFormat.MAGIC.length];
            window.copy(at, magic);
            if (!Arrays.equals(magic, FileLogFormat.MAGIC)) {
                throw new PersistenceException(segment + " is not a Shoal log segment: magic "
                        + java.util.HexFormat.of().formatHex(magic) + " instead of "
                        + java.util.HexFormat.of().formatHex(FileLogFormat.MAGIC) + " (\"SHOALLOG\")");
            }
            int version = bytes.getShort(at + 8) & 0xFFFF;
            if (version != FileLogFormat.FORMAT_VERSION) {
                throw new PersistenceException(segment + " has log format version " + version
                        + "; this version of Shoal reads version " + FileLogFormat.FORMAT_VERSION + " only");
            }
            int headerLength = bytes.getShort(at + 10) & 0xFFFF;
            first = bytes.getLong(at + 20);
            int storedCrc = bytes.getInt(at + FileLogFormat.HEADER_CRC_OFFSET);
            crc.reset();
            window.update(crc, at, FileLogFormat.HEADER_CRC_OFFSET);
            if (headerLength != FileLogFormat.HEADER_BYTES) {
                return corrupt(segment, 0, "header length " + headerLength + " instead of 32", later, expectedFirst);
            }
            if ((int) crc.getValue() != storedCrc) {
                return corrupt(segment, 0, "header CRC mismatch", later, expectedFirst);
            }
            if (first != FileLogFormat.firstRecordNumberOf(segment)) {
                return corrupt(segment, 0, "header says the first record is " + first + " but the name says "
                        + FileLogFormat.firstRecordNumberOf(segment), later, expectedFirst);
            }
            if (first != expectedFirst) {
                return corrupt(segment, 0, "segment starts at record " + first + " but the log so far ends before record "
                        + expectedFirst + " (a segment is missing)", later, expectedFirst);
            }
            long offset = FileLogFormat.HEADER_BYTES;
            while (offset < size) {
                long left = size - offset;
                if (left < FileLogFormat.FRAME_HEADER_BYTES) {
                    if (last) {
                        return tornTail(segment, offset, size, first + count);
                    }
                    return corrupt(segment, offset, "incomplete frame header (" + left + " bytes before the end of the file)",
                            later, first + count);
                }
                at = window.ensure(offset, FileLogFormat.FRAME_HEADER_BYTES);
                bytes = window.buffer();
                long length = bytes.getInt(at) & 0xFFFF_FFFFL;
                int code = bytes.get(at + 4);
                int storedRecordCrc = bytes.getInt(at + 5);
                if (length < FileLogFormat.MIN_PAYLOAD_BYTES || length > FileLogFormat.MAX_PAYLOAD_BYTES) {
                    return corrupt(segment, offset, "impossible record length " + length + " (allowed "
                            + FileLogFormat.MIN_PAYLOAD_BYTES + " to " + FileLogFormat.MAX_PAYLOAD_BYTES + ")", later, first + count);
                }
                if (length > left - FileLogFormat.FRAME_HEADER_BYTES) {
                    if (last) {
                        return tornTail(segment, offset, size, first + count);
                    }
                    return corrupt(segment, offset, "record of " + length + " bytes runs past the end of the file ("
                            + (left - FileLogFormat.FRAME_HEADER_BYTES) + " bytes left)", later, first + count);
                }
                ChangeType type = FileLogFormat.type(code);
                if (type == null) {
                    return corrupt(segment, offset, "unknown record type " + code, later, first + count);
                }
                // length is now within the format's limit and the file: only then is it read (or the buffer grown).
                int frameBytes = FileLogFormat.FRAME_HEADER_BYTES + (int) length;
                at = window.ensure(offset, frameBytes);
                bytes = window.buffer();
                crc.reset();
                window.update(crc, at, 5);
                window.update(crc, at + FileLogFormat.FRAME_HEADER_BYTES, (int) length);
                if ((int) crc.getValue() != storedRecordCrc) {
                    return corrupt(segment, offset, "record CRC mismatch", later, first + count);
                }
                ChangeRecord record = FileLogFormat.readPayload(type, bytes, at + FileLogFormat.FRAME_HEADER_BYTES,
                        (int) length, names, problem);
                if (record == null) {
                    return corrupt(segment, offset, "malformed payload: " + problem[0], later, first + count);
                }
                sink.apply(record);
                recordsReplayed++;
                count++;
                offset += frameBytes;
            }
        }
        return first + count;
    }

    private long tornTail(Path segment, long offset, long size, long next) throws IOException {
        LOG.log(Level.INFO, "log segment {0}: torn tail of {1} bytes at offset {2} truncated (an append"
                + " interrupted before it was acknowledged)", segment, size - offset, offset);
        truncate(segment, offset);
        return -(next + 1);
    }

    private long corrupt(Path segment, long offset, String why, List<Path> later, long next) throws IOException {
        if (onCorruption == FileLogConfig.OnCorruption.FAIL) {
            throw new PersistenceException("corrupt log segment " + segment + " at offset " + offset + ": " + why
                    + "; nothing was changed. Set persist-file.recovery.onCorruption = truncate to drop this record"
                    + " and everything after it");
        }
        long size = Files.size(segment);
        List<String> dropped = new ArrayList<>();
        if (offset <= 0) {
            Files.delete(segment);
            dropped.add(segment.getFileName() + " (deleted, " + size + " bytes)");
        } else {
            truncate(segment, offset);
            dropped.add(segment.getFileName() + " from offset " + offset + " (" + (size - offset) + " bytes)");
        }
        for (Path path : later) {
            long bytes = Files.size(path);
            Files.delete(path);
            dropped.add(path.getFileName() + " (deleted, " + bytes + " bytes)");
        }
        syncDirectory();
        LOG.log(Level.WARNING, "corrupt log segment {0} at offset {1}: {2}; recovery.onCorruption = truncate dropped {3}",
                segment, offset, why, dropped);
        return -(next + 1);
    }

    private static void truncate(Path segment, long offset) throws IOException {
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            channel.truncate(offset);
            channel.force(true);
        }
    }

    private void syncDirectory() throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
