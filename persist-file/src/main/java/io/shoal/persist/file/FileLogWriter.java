package io.shoal.persist.file;

import io.shoal.StorageUnavailableException;
import io.shoal.spi.ChangeRecord;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * The writer side of the log; every method runs on the writer thread only (or on the closing
 * thread after the writer thread has ended), except {@link #unavailable()}. It takes batches of
 * pending appends, encodes them into one reused direct buffer, writes them to the current segment
 * and completes their futures per the fsync policy: after one {@code force} per batch
 * ({@code always}: group commit), or right after the write ({@code interval}, whose timed
 * {@code force} runs on the {@link IntervalSyncer}'s thread, see its hand-off invariant;
 * {@code never}).
 *
 * <p>A batch never spans segments: the writer rolls between batches (by size, and at midnight in
 * the configured zone). When a write or fsync fails (disk full, I/O error), nothing of the batch is
 * dropped: the records go back to the head of the pending queue, {@link #unavailable()} tells why,
 * and the segment is truncated back to where the batch started (reopening it if needed) before the
 * next attempt. The backend retries with backoff, so the log catches up with memory by itself when
 * the disk does.
 */
final class FileLogWriter {
    private static final System.Logger LOG = System.getLogger(FileLogWriter.class.getName());
    private static final int INITIAL_BUFFER_BYTES = 256 << 10;
    private static final int MAP_NAME_CACHE_SIZE = 1024;

    /**
     * One queued append, which is also the future {@code append} returns (one object per record,
     * not two), or (with {@code record} null) a roll request of a snapshot: {@code roll} completes
     * with the number of the first record written after the roll.
     */
    static final class Pending extends CompletableFuture<Void> {
        private final ChangeRecord record;
        private final CompletableFuture<RollPoint> roll;

        Pending(ChangeRecord record) {
            this(record, null);
        }

        private Pending(ChangeRecord record, CompletableFuture<RollPoint> roll) {
            this.record = record;
            this.roll = roll;
        }

        static Pending rollRequest(CompletableFuture<RollPoint> roll) {
            return new Pending(null, roll);
        }

        ChangeRecord record() {
            return record;
        }

        CompletableFuture<RollPoint> roll() {
            return roll;
        }

        boolean isRoll() {
            return record == null;
        }

        void fail(Throwable failure) {
            if (roll != null) {
                roll.completeExceptionally(failure);
            } else {
                completeExceptionally(failure);
            }
        }
    }

    /**
     * Where a snapshot's roll cut the log: the number of the first record after it, and the highest
     * sequence of every bucket (by index) among the records written (or recovered) before it.
     */
    record RollPoint(long covered, BucketSequences sequences) {
    }

    private final FileLogConfig config;
    private final FileLogChannels channels;
    private final Clock clock;
    private final AtomicLong fsyncs;
    private final IntervalSyncer syncer; // null unless fsync = interval
    private final CRC32C crc = new CRC32C();
    private final Map<String, byte[]> mapNames = new HashMap<>();
    private String lastMapName;
    private byte[] lastMapNameBytes;
    private final List<Pending> batch = new ArrayList<>();
    private ByteBuffer buffer = ByteBuffer.allocateDirect(INITIAL_BUFFER_BYTES);
    private ByteBuffer crcView = buffer.duplicate();

    private long nextRecordNumber;
    private final BucketSequences sequences;
    private FileChannel channel;
    private Path segment;
    private long segmentBytes;
    private long segmentRecords;
    private long rollAtMs;
    private boolean needsRepair;
    private volatile StorageUnavailableException unavailable;

    /** {@code sequences}: the highest sequence per bucket that recovery replayed (kept, not copied). */
    FileLogWriter(FileLogConfig config, FileLogChannels channels, Clock clock, AtomicLong fsyncs, long nextRecordNumber,
                  BucketSequences sequences) {
        this.sequences = sequences;
        this.config = config;
        this.channels = channels;
        this.clock = clock;
        this.fsyncs = fsyncs;
        this.nextRecordNumber = nextRecordNumber;
        this.syncer = config.fsync() == FileLogConfig.FsyncPolicy.INTERVAL
                ? new IntervalSyncer(config.fsyncIntervalMs(), config.segmentSizeBytes(), fsyncs) : null;
    }

    /** Starts the timed fsyncs of {@code interval} (a no-op for the other policies); {@link #close} stops them. */
    void startSyncer(String threadName) {
        if (syncer != null) {
            syncer.start(threadName);
        }
    }

    /** The interval syncer, or null (for tests). */
    IntervalSyncer syncer() {
        return syncer;
    }

    /**
     * Writes as much of {@code pending} as belongs in one batch, removing what it handled. Returns
     * false if an I/O error stopped it: then the records it took are back at the head of
     * {@code pending}, in order, for a later call to retry, and {@link #unavailable()} says why.
     */
    boolean writeBatch(ArrayDeque<Pending> pending) {
        if (needsRepair && !repair()) {
            return false;
        }
        try {
            if (channel != null && (segmentBytes >= config.segmentSizeBytes()
                    || config.rollAtMidnight() && clock.millis() >= rollAtMs)) {
                roll();
            }
            if (channel == null) {
                openSegment();
            }
        } catch (IOException e) {
            return stalled("cannot create log segment " + segment, e);
        }
        long batchStart = segmentBytes;
        buffer.clear();
        batch.clear();
        boolean rollAfter = false;
        try {
            while (!pending.isEmpty()) {
                Pending next = pending.peekFirst();
                if (next.isRoll()) {
                    break;
                }
                ChangeRecord record = next.record();
                byte[] mapName = mapName(record.mapName());
                long payloadBytes = FileLogFormat.payloadBytes(record, mapName.length);
                if (mapName.length > FileLogFormat.MAX_MAP_NAME_BYTES || payloadBytes > FileLogFormat.MAX_PAYLOAD_BYTES) {
                    pending.pollFirst();
                    next.completeExceptionally(new PersistenceException("cannot append " + record + " to " + config.dir()
                            + ": the record needs " + payloadBytes + " payload bytes and a map name of " + mapName.length
                            + " bytes; the log format allows " + FileLogFormat.MAX_PAYLOAD_BYTES + " and "
                            + FileLogFormat.MAX_MAP_NAME_BYTES));
                    continue;
                }
                int frameBytes = (int) payloadBytes + FileLogFormat.FRAME_HEADER_BYTES;
                if (segmentRecords + batch.size() > 0
                        && segmentBytes + buffer.position() + frameBytes > config.segmentSizeBytes()) {
                    rollAfter = true;
                    break;
                }
                if (buffer.remaining() < frameBytes) {
                    if (buffer.position() > 0) {
                        flushBuffer();
                    }
                    if (buffer.capacity() < frameBytes) {
                        grow(frameBytes);
                    }
                }
                FileLogFormat.writeRecord(buffer, crcView, crc, record, mapName, (int) payloadBytes);
                batch.add(pending.pollFirst());
            }
            flushBuffer();
            if (!batch.isEmpty() && config.fsync() == FileLogConfig.FsyncPolicy.ALWAYS) {
                force();
            }
        } catch (IOException e) {
            for (int i = batch.size() - 1; i >= 0; i--) {
                pending.addFirst(batch.get(i));
            }
            batch.clear();
            startRepair(batchStart);
            return stalled("cannot append to log segment " + segment, e);
        } catch (RuntimeException e) {
            PersistenceException failure = new PersistenceException("cannot append to log segment " + segment + ": " + e, e);
            for (Pending failed : batch) {
                failed.completeExceptionally(failure);
            }
            batch.clear();
            startRepair(batchStart);
            throw e;
        }
        segmentRecords += batch.size();
        nextRecordNumber += batch.size();
        if (syncer != null && !batch.isEmpty()) {
            syncer.awaitOverdueForce();
        }
        for (int i = 0, n = batch.size(); i < n; i++) {
            Pending done = batch.get(i);
            ChangeRecord record = done.record();
            sequences.note(record.bucket(), record.sequence());
            done.complete(null);
        }
        batch.clear();
        if (unavailable != null) {
            LOG.log(Level.INFO, "the log in {0} is writable again; the records held back are stored", config.dir());
            unavailable = null;
        }
        if (rollAfter) {
            try {
                roll();
            } catch (IOException e) {
                LOG.log(Level.ERROR, "cannot close log segment " + segment + " while rolling", e);
            }
        }
        return true;
    }

    /**
     * Why the log cannot take records now (the last write failed and has not been retried with
     * success yet), or {@code null}. Read from any thread.
     */
    StorageUnavailableException unavailable() {
        return unavailable;
    }

    private boolean stalled(String what, IOException cause) {
        if (unavailable == null) {
            LOG.log(Level.ERROR, what + ": " + cause + "; writes are refused and the records held back are retried"
                    + " until the log can be written again", cause);
        }
        unavailable = new StorageUnavailableException(what + ": " + cause + "; the change is applied but not durable"
                + " yet: the log keeps it and stores it once the disk can take it, unless the node stops first",
                true, cause);
        return false;
    }

    /**
     * Ends the current segment (fsynced unless the policy is {@code never}) if it holds records, so
     * the next record starts a new one; returns that record's global number (every record written
     * before is in a segment whose number is below it) and the highest sequence per bucket so far.
     */
    RollPoint rollForSnapshot() throws IOException {
        if (needsRepair && !repair() || unavailable != null) {
            throw new IOException("the log cannot be written now: " + unavailable.getCause());
        }
        if (channel != null && segmentRecords > 0) {
            roll();
        }
        return new RollPoint(nextRecordNumber, sequences.copy());
    }

    /** Fsyncs (whatever the policy) and closes the current segment, then stops the interval syncer. */
    void close() {
        try {
            if (channel != null && !needsRepair && segmentRecords > 0) {
                force();
            }
        } catch (IOException e) {
            LOG.log(Level.ERROR, "final fsync of log segment " + segment + " failed", e);
        } finally {
            closeQuietly();
            if (syncer != null) {
                syncer.stop();
            }
        }
    }

    private byte[] mapName(String name) {
        if (name == lastMapName) {
            return lastMapNameBytes; // consecutive records of one map: no hash lookup
        }
        byte[] bytes = mapNames.get(name);
        if (bytes == null) {
            if (mapNames.size() >= MAP_NAME_CACHE_SIZE) {
                mapNames.clear();
            }
            bytes = name.getBytes(StandardCharsets.UTF_8);
            mapNames.put(name, bytes);
        }
        lastMapName = name;
        lastMapNameBytes = bytes;
        return bytes;
    }

    private void grow(int bytes) {
        int capacity = Integer.highestOneBit(bytes - 1) << 1;
        buffer = ByteBuffer.allocateDirect(Math.max(capacity, bytes));
        crcView = buffer.duplicate();
    }

    private void flushBuffer() throws IOException {
        buffer.flip();
        int bytes = buffer.remaining();
        while (buffer.hasRemaining()) {
            segmentBytes += channel.write(buffer);
        }
        buffer.clear();
        if (syncer != null && bytes > 0) {
            syncer.written(bytes, config.segmentSizeBytes() - segmentBytes);
        }
    }

    private void force() throws IOException {
        channel.force(false);
        fsyncs.incrementAndGet();
    }

    private void openSegment() throws IOException {
        segment = config.dir().resolve(FileLogFormat.segmentName(nextRecordNumber));
        long now = clock.millis();
        FileChannel opened = channels.open(segment, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        try {
            ByteBuffer header = ByteBuffer.allocate(FileLogFormat.HEADER_BYTES);
            FileLogFormat.writeHeader(header, now, nextRecordNumber);
            header.flip();
            while (header.hasRemaining()) {
                opened.write(header);
            }
            if (config.fsync() != FileLogConfig.FsyncPolicy.NEVER) {
                opened.force(true);
                fsyncs.incrementAndGet();
                try (FileChannel directory = FileChannel.open(config.dir(), StandardOpenOption.READ)) {
                    directory.force(true);
                }
            }
        } catch (IOException | RuntimeException e) {
            try {
                opened.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        channel = opened;
        if (syncer != null) {
            syncer.attach(opened, segment);
        }
        segmentBytes = FileLogFormat.HEADER_BYTES;
        segmentRecords = 0;
        LocalDate today = Instant.ofEpochMilli(now).atZone(config.zone()).toLocalDate();
        rollAtMs = today.plusDays(1).atStartOfDay(config.zone()).toInstant().toEpochMilli();
    }

    private void roll() throws IOException {
        try {
            if (config.fsync() != FileLogConfig.FsyncPolicy.NEVER && segmentRecords > 0) {
                force();
            }
        } finally {
            closeQuietly();
        }
    }

    private void startRepair(long offset) {
        needsRepair = true;
        segmentBytes = offset;
        closeQuietly();
        repair();
    }

    /** Reopens the current segment and truncates it to the last good offset; true when it worked. */
    private boolean repair() {
        FileChannel reopened = null;
        try {
            reopened = channels.open(segment, StandardOpenOption.WRITE);
            reopened.truncate(segmentBytes);
            reopened.position(segmentBytes);
            reopened.force(true);
            fsyncs.incrementAndGet();
            channel = reopened;
            if (syncer != null) {
                syncer.attach(reopened, segment);
            }
            needsRepair = false;
            LOG.log(Level.INFO, "log segment {0} truncated back to {1} bytes after an I/O error; appending again",
                    segment, segmentBytes);
            return true;
        } catch (IOException | RuntimeException e) {
            if (reopened != null) {
                try {
                    reopened.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            LOG.log(Level.WARNING, "cannot truncate log segment " + segment + " back to " + segmentBytes
                    + " bytes yet; appends wait until it can", e);
            return false;
        }
    }

    /** Every close of the current channel goes through here: the syncer lets go of it first. */
    private void closeQuietly() {
        if (channel != null) {
            if (syncer != null) {
                syncer.detach();
            }
            try {
                channel.close();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot close log segment " + segment, e);
            }
            channel = null;
        }
    }
}
