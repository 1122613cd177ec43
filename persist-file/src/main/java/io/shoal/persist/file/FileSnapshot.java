package io.shoal.persist.file;

import io.shoal.ChangeType;
import io.shoal.spi.ChangeRecord;
import io.shoal.spi.PersistenceBackend.RecoverySink;
import io.shoal.spi.PersistenceBackend.StateSource;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Snapshot files, format version 1, exactly as {@code docs/formats.md} section 2 specifies: the
 * 36-byte header, the bucket sections with their entry records (log framing and payload, type
 * CREATED) and the 24-byte trailer whose CRC covers the whole file. {@link #write} writes one
 * atomically (temporary file, fsync, rename, directory fsync); {@link #check} validates one
 * completely without applying anything, {@link #replay} applies a validated one.
 */
final class FileSnapshot {
    static final int FORMAT_VERSION = 1;
    static final byte[] MAGIC = {'S', 'H', 'O', 'A', 'L', 'S', 'N', 'P'};
    static final byte[] TRAILER_MAGIC = {'S', 'H', 'O', 'A', 'L', 'E', 'N', 'D'};
    static final int HEADER_BYTES = 36;
    static final int HEADER_CRC_OFFSET = 32;
    static final int SECTION_BYTES = 20;
    static final int SECTION_CRC_OFFSET = 16;
    static final int TRAILER_BYTES = 24;
    static final String TMP_SUFFIX = ".tmp";
    private static final int MIN_ENTRY_BYTES = FileLogFormat.FRAME_HEADER_BYTES + FileLogFormat.MIN_PAYLOAD_BYTES + 4;
    private static final int BUFFER_BYTES = 256 << 10;
    private static final Pattern NAME = Pattern.compile("snapshot-[0-9a-f]{16}\\.snap");

    private FileSnapshot() {
    }

    static String name(long coveredRecordNumber) {
        return String.format("snapshot-%016x.snap", coveredRecordNumber);
    }

    static boolean isName(String name) {
        return NAME.matcher(name).matches();
    }

    static boolean isTmpName(String name) {
        return name.endsWith(TMP_SUFFIX) && isName(name.substring(0, name.length() - TMP_SUFFIX.length()));
    }

    static long coveredRecordNumberOf(Path snapshot) {
        return Long.parseUnsignedLong(snapshot.getFileName().toString().substring(9, 25), 16);
    }

    /** Snapshot files of {@code dir}, newest (greatest covered position) first. */
    static List<Path> snapshots(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> isName(p.getFileName().toString()) && Files.isRegularFile(p))
                    .sorted(Comparator.reverseOrder()).toList();
        }
    }

    /** Leftover temporary snapshot files of {@code dir} (a snapshot interrupted before its rename). */
    static List<Path> leftovers(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> isTmpName(p.getFileName().toString())).sorted().toList();
        }
    }

    /**
     * Copies every bucket of {@code state} into {@code dir/snapshot-<covered>.snap}: written to a
     * temporary file, fsynced, renamed over the final name and the directory fsynced. Returns the
     * snapshot's path once it is durable; on failure the temporary file is deleted.
     */
    static Path write(Path dir, FileLogChannels channels, StateSource state, FileLogWriter.RollPoint roll,
                      long creationTimeMs) throws IOException {
        long covered = roll.covered();
        Path target = dir.resolve(name(covered));
        Path tmp = dir.resolve(name(covered) + TMP_SUFFIX);
        try {
            try (FileChannel channel = channels.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                new Writer(channel).write(state, roll, creationTimeMs);
                channel.force(true);
            }
            Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(dir);
            return target;
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /**
     * Validates the whole snapshot (header, every section and record with their CRCs, the trailer
     * and the file CRC) without applying anything.
     *
     * @return {@code null} if it is valid, else why not
     * @throws PersistenceException for a valid header of a format version this code does not read
     */
    static String check(Path snapshot) throws IOException {
        return new Reader(snapshot).read(null);
    }

    /** Applies a snapshot {@link #check} accepted; returns the number of entries applied. */
    static long replay(Path snapshot, RecoverySink sink) throws IOException {
        Reader reader = new Reader(snapshot);
        String problem = reader.read(sink);
        if (problem != null) {
            throw new PersistenceException("snapshot " + snapshot + " changed while it was recovered: " + problem);
        }
        return reader.records;
    }

    /** Writes one snapshot through a reused buffer, keeping the running CRC of the whole file. */
    private static final class Writer {
        private final FileChannel channel;
        private final CRC32C fileCrc = new CRC32C();
        private final CRC32C crc = new CRC32C();
        private ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
        private ByteBuffer crcView = buffer.duplicate();
        private final java.util.Map<String, byte[]> mapNames = new java.util.HashMap<>();

        Writer(FileChannel channel) {
            this.channel = channel;
        }

        void write(StateSource state, FileLogWriter.RollPoint roll, long creationTimeMs) throws IOException {
            long covered = roll.covered();
            BucketSequences logged = roll.sequences();
            int bucketCount = state.bucketCount();
            if (bucketCount < 1) {
                throw new IllegalStateException("the node reports " + bucketCount + " buckets");
            }
            int highest = logged.highestBucket();
            if (highest >= bucketCount) {
                throw new IllegalStateException("the log holds records of bucket " + highest + " but the node has "
                        + bucketCount + " buckets; snapshot discarded, the log is kept");
            }
            int start = buffer.position();
            buffer.put(MAGIC).putShort((short) FORMAT_VERSION).putShort((short) HEADER_BYTES)
                    .putLong(creationTimeMs).putLong(covered).putInt(bucketCount);
            crc.reset();
            crc.update(buffer.array(), start, HEADER_CRC_OFFSET);
            buffer.putInt((int) crc.getValue());
            List<ChangeRecord> entries = new ArrayList<>();
            int sections = 0;
            long records = 0;
            for (int bucket = 0; bucket < bucketCount; bucket++) {
                entries.clear();
                long sequence = state.copyBucket(bucket, entries::add);
                if (sequence < logged.get(bucket)) {
                    throw new IllegalStateException("the node's copy of bucket " + bucket + " is at sequence " + sequence
                            + " but the log already holds its sequence " + logged.get(bucket)
                            + " (the state view is behind the log); snapshot discarded, the log is kept");
                }
                if (sequence == 0 && entries.isEmpty()) {
                    continue;
                }
                entries.sort(Comparator.comparingLong(ChangeRecord::sequence));
                section(bucket, sequence, entries);
                sections++;
                records += entries.size();
            }
            room(TRAILER_BYTES);
            buffer.put(TRAILER_MAGIC).putInt(sections).putLong(records);
            fileCrc.update(buffer.array(), 0, buffer.position());
            buffer.putInt((int) fileCrc.getValue());
            buffer.flip();
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }

        private void section(int bucket, long sequence, List<ChangeRecord> entries) throws IOException {
            room(SECTION_BYTES);
            int start = buffer.position();
            buffer.putInt(bucket).putLong(sequence).putInt(entries.size());
            crc.reset();
            crc.update(buffer.array(), start, SECTION_CRC_OFFSET);
            buffer.putInt((int) crc.getValue());
            for (ChangeRecord entry : entries) {
                if (entry.type() != ChangeType.CREATED || entry.bucket() != bucket) {
                    throw new IllegalStateException("copyBucket(" + bucket + ") handed over " + entry
                            + "; expected CREATED records of bucket " + bucket);
                }
                byte[] mapName = mapNames.computeIfAbsent(entry.mapName(), n -> n.getBytes(StandardCharsets.UTF_8));
                long payloadBytes = FileLogFormat.payloadBytes(entry, mapName.length);
                if (mapName.length > FileLogFormat.MAX_MAP_NAME_BYTES || payloadBytes > FileLogFormat.MAX_PAYLOAD_BYTES) {
                    throw new IllegalStateException("entry " + entry + " needs " + payloadBytes
                            + " payload bytes; the format allows " + FileLogFormat.MAX_PAYLOAD_BYTES);
                }
                int frameBytes = (int) payloadBytes + FileLogFormat.FRAME_HEADER_BYTES;
                room(frameBytes);
                FileLogFormat.writeRecord(buffer, crcView, crc, entry, mapName, (int) payloadBytes);
            }
        }

        /** Makes room for {@code bytes} more, flushing (and growing) the buffer as needed. */
        private void room(int bytes) throws IOException {
            if (buffer.remaining() >= bytes) {
                return;
            }
            flush();
            if (buffer.capacity() < bytes) {
                buffer = ByteBuffer.allocate(Math.max(bytes, Integer.highestOneBit(bytes - 1) << 1));
                crcView = buffer.duplicate();
            }
        }

        private void flush() throws IOException {
            fileCrc.update(buffer.array(), 0, buffer.position());
            buffer.flip();
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            buffer.clear();
        }
    }

    /**
     * Reads one snapshot front to back through a {@link ReadWindow} (large chunks, records decoded
     * in place) that feeds every byte before the file CRC field into the running file CRC as it is
     * read; every length is validated against the format's limits and the bytes left before the
     * trailer before it is used.
     */
    private static final class Reader {
        private final Path file;
        private final CRC32C crc = new CRC32C();
        private final CRC32C fileCrc = new CRC32C();
        private final ReadWindow window = new ReadWindow(FileLogFormat.FRAME_HEADER_BYTES + FileLogFormat.MAX_PAYLOAD_BYTES);
        private final FileLogFormat.NameDecoder names = new FileLogFormat.NameDecoder();
        private final String[] problem = new String[1];
        private int entryBytes;
        private long records;

        Reader(Path file) {
            this.file = file;
        }

        /** Returns null when the file is valid (applying it to {@code sink} if not null), else why not. */
        String read(RecoverySink sink) throws IOException {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                return read(channel, sink);
            }
        }

        private String read(FileChannel channel, RecoverySink sink) throws IOException {
            long size = channel.size();
            if (size < HEADER_BYTES + TRAILER_BYTES) {
                return "file of " + size + " bytes is shorter than a header and a trailer ("
                        + (HEADER_BYTES + TRAILER_BYTES) + " bytes)";
            }
            ByteBuffer trailer = ByteBuffer.allocate(TRAILER_BYTES);
            while (trailer.hasRemaining()) {
                if (channel.read(trailer, size - TRAILER_BYTES + trailer.position()) < 0) {
                    throw new EOFException("unexpected end of " + file);
                }
            }
            trailer.flip();
            byte[] trailerMagic = new byte[TRAILER_MAGIC.length];
            trailer.get(trailerMagic);
            if (!Arrays.equals(trailerMagic, TRAILER_MAGIC)) {
                return "no trailer: the last 24 bytes do not start with \"SHOALEND\" (the file is truncated or corrupt)";
            }
            long sectionCount = trailer.getInt() & 0xFFFF_FFFFL;
            long recordCount = trailer.getLong();
            int storedFileCrc = trailer.getInt();
            long bodyEnd = size - TRAILER_BYTES;
            window.reset(channel, size);
            fileCrc.reset();
            window.checksumUpTo(fileCrc, size - 4);
            int at = window.ensure(0, HEADER_BYTES);
            ByteBuffer h = window.buffer();
            byte[] magic = new byte[MAGIC.length];
            window.copy(at, magic);
            if (!Arrays.equals(magic, MAGIC)) {
                return "magic " + HexFormat.of().formatHex(magic) + " instead of "
                        + HexFormat.of().formatHex(MAGIC) + " (\"SHOALSNP\")";
            }
            int version = h.getShort(at + 8) & 0xFFFF;
            int headerLength = h.getShort(at + 10) & 0xFFFF;
            long covered = h.getLong(at + 20);
            int bucketCount = h.getInt(at + 28);
            int storedHeaderCrc = h.getInt(at + HEADER_CRC_OFFSET);
            crc.reset();
            window.update(crc, at, HEADER_CRC_OFFSET);
            if ((int) crc.getValue() != storedHeaderCrc) {
                return "header CRC mismatch";
            }
            if (version != FORMAT_VERSION) {
                throw new PersistenceException(file + " has snapshot format version " + version
                        + "; this version of Shoal reads version " + FORMAT_VERSION + " only");
            }
            if (headerLength != HEADER_BYTES) {
                return "header length " + headerLength + " instead of " + HEADER_BYTES;
            }
            if (covered != coveredRecordNumberOf(file)) {
                return "header says it covers the log before record " + covered + " but the name says "
                        + coveredRecordNumberOf(file);
            }
            if (bucketCount < 1) {
                return "bucket count " + bucketCount;
            }
            if (sectionCount > bucketCount) {
                return "trailer counts " + sectionCount + " bucket sections for " + bucketCount + " buckets";
            }
            long offset = HEADER_BYTES;
            long recordsSeen = 0;
            int previousBucket = -1;
            for (long s = 0; s < sectionCount; s++) {
                if (bodyEnd - offset < SECTION_BYTES) {
                    return "bucket section " + s + " at offset " + offset + " runs into the trailer";
                }
                at = window.ensure(offset, SECTION_BYTES);
                ByteBuffer sb = window.buffer();
                int bucket = sb.getInt(at);
                long sequence = sb.getLong(at + 4);
                long entries = sb.getInt(at + 12) & 0xFFFF_FFFFL;
                int storedSectionCrc = sb.getInt(at + SECTION_CRC_OFFSET);
                crc.reset();
                window.update(crc, at, SECTION_CRC_OFFSET);
                if ((int) crc.getValue() != storedSectionCrc) {
                    return "bucket section CRC mismatch at offset " + offset;
                }
                if (bucket <= previousBucket || bucket >= bucketCount) {
                    return "bucket section at offset " + offset + " for bucket " + bucket + " after bucket "
                            + previousBucket + " (allowed: ascending, below " + bucketCount + ")";
                }
                if (sequence < 0) {
                    return "bucket " + bucket + " has negative sequence " + sequence;
                }
                offset += SECTION_BYTES;
                if (entries > (bodyEnd - offset) / MIN_ENTRY_BYTES) {
                    return "bucket " + bucket + " at offset " + (offset - SECTION_BYTES) + " claims " + entries
                            + " entries; only " + (bodyEnd - offset) + " bytes are left before the trailer";
                }
                for (long e = 0; e < entries; e++) {
                    String bad = entry(offset, bodyEnd, bucket, sink);
                    if (bad != null) {
                        return bad;
                    }
                    offset += entryBytes;
                    recordsSeen++;
                }
                if (sink != null) {
                    sink.bucketSequence(bucket, sequence);
                }
                previousBucket = bucket;
            }
            if (offset != bodyEnd) {
                return (bodyEnd - offset) + " bytes between the last bucket section and the trailer";
            }
            if (recordsSeen != recordCount) {
                return "trailer counts " + recordCount + " records but the sections hold " + recordsSeen;
            }
            window.ensure(bodyEnd, TRAILER_BYTES - 4); // the trailer's bytes before the CRC are in the file CRC too
            if ((int) fileCrc.getValue() != storedFileCrc) {
                return "file CRC mismatch";
            }
            records = recordsSeen;
            return null;
        }

        /**
         * Reads one entry record at {@code offset}; returns why it is bad, or null (its size is then
         * in {@link #entryBytes}).
         */
        private String entry(long offset, long bodyEnd, int bucket, RecoverySink sink) throws IOException {
            long left = bodyEnd - offset;
            if (left < FileLogFormat.FRAME_HEADER_BYTES) {
                return "incomplete record frame at offset " + offset;
            }
            int at = window.ensure(offset, FileLogFormat.FRAME_HEADER_BYTES);
            ByteBuffer bytes = window.buffer();
            long length = bytes.getInt(at) & 0xFFFF_FFFFL;
            int code = bytes.get(at + 4);
            int storedCrc = bytes.getInt(at + 5);
            if (length < FileLogFormat.MIN_PAYLOAD_BYTES || length > FileLogFormat.MAX_PAYLOAD_BYTES) {
                return "impossible record length " + length + " at offset " + offset;
            }
            if (length > left - FileLogFormat.FRAME_HEADER_BYTES) {
                return "record of " + length + " bytes at offset " + offset + " runs into the trailer";
            }
            if (FileLogFormat.type(code) != ChangeType.CREATED) {
                return "record type " + code + " at offset " + offset + " (snapshot entries are CREATED, type 1)";
            }
            int frameBytes = FileLogFormat.FRAME_HEADER_BYTES + (int) length;
            at = window.ensure(offset, frameBytes);
            bytes = window.buffer();
            crc.reset();
            window.update(crc, at, 5);
            window.update(crc, at + FileLogFormat.FRAME_HEADER_BYTES, (int) length);
            if ((int) crc.getValue() != storedCrc) {
                return "record CRC mismatch at offset " + offset;
            }
            ChangeRecord record = FileLogFormat.readPayload(ChangeType.CREATED, bytes,
                    at + FileLogFormat.FRAME_HEADER_BYTES, (int) length, names, problem, sink != null);
            if (record == null) {
                return "malformed record at offset " + offset + ": " + problem[0];
            }
            int recordBucket = bytes.getInt(at + FileLogFormat.FRAME_HEADER_BYTES);
            if (recordBucket != bucket) {
                return "record at offset " + offset + " of bucket " + recordBucket + " in the section of bucket " + bucket;
            }
            if (sink != null) {
                sink.apply(record);
            }
            entryBytes = frameBytes;
            return null;
        }
    }
}
