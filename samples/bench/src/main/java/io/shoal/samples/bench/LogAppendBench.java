package io.shoal.samples.bench;

import io.shoal.spi.ChangeRecord;
import io.shoal.spi.PersistenceBackend;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Log append throughput with {@code fsync = interval}, against raw sequential {@link FileChannel}
 * writes of the same number of bytes in the same directory with the same fsync cadence.
 *
 * <p>Ours: one thread appends the records to a new standalone file log (made on the fly by a
 * {@link LogRecords.Generator} over {@value #KEYS} keys, as a node's writers make them) and waits
 * for every acknowledgement, at most {@value #OUTSTANDING} outstanding at a time; the time runs
 * from the first append to the last acknowledgement. The raw peer writes the same number of bytes
 * from one direct buffer in chunks of {@value #RAW_CHUNK_BYTES} bytes (the size of the log
 * writer's buffer, so the size of its writes when batches are large) and calls
 * {@code force(false)} whenever {@link LogFiles#FSYNC_INTERVAL_MS} has passed since the last one.
 * Neither side's final fsync at close is timed, so a run must last many fsync periods for the
 * figures to mean anything: the page cache takes a short burst at memory speed. Each round writes
 * new files and deletes them after.
 */
final class LogAppendBench {
    static final int RAW_CHUNK_BYTES = 256 << 10;
    static final int KEYS = 1 << 20;
    static final int OUTSTANDING = 1 << 16;
    private static final int SEGMENT_HEADER_BYTES = 32; // docs/formats.md 1.2

    private final Path dir;
    private final PrintStream err;

    LogAppendBench(Path dir, PrintStream err) {
        this.dir = dir;
        this.err = err;
    }

    /** One warm-up round, then {@code rounds} measured ones, each raw first, then the log. */
    void run(long records, int frameBytes, int rounds, PersistReport report) throws IOException {
        long bytes = records * frameBytes;
        for (int round = 0; round <= rounds; round++) {
            double rawBytesPerSecond = rawWrite(dir.resolve("raw-write-" + round), bytes);
            double logBytesPerSecond = logAppend(dir.resolve("append-log-" + round), records, bytes);
            err.printf(Locale.ROOT, "bench:   %s: log %,.0f MB/s (%,.0f records/s), raw write %,.0f MB/s%n",
                    round == 0 ? "warm-up" : "round " + round + "/" + rounds, logBytesPerSecond / 1e6,
                    logBytesPerSecond / frameBytes, rawBytesPerSecond / 1e6);
            if (round > 0) {
                report.add(PersistReport.Subject.RAW_WRITE, rawBytesPerSecond);
                report.add(PersistReport.Subject.LOG_APPEND, logBytesPerSecond);
            }
        }
    }

    /** Bytes per second through the backend; checks that the segments hold exactly {@code frameBytes} of records. */
    private static double logAppend(Path logDir, long records, long frameBytes) throws IOException {
        LogRecords.Generator generator = new LogRecords.Generator(KEYS, System.currentTimeMillis());
        CompletableFuture<?>[] outstanding = new CompletableFuture<?>[OUTSTANDING];
        long elapsedNanos;
        PersistenceBackend backend = LogFiles.startEmptyBackend(logDir, "interval");
        try {
            long started = System.nanoTime();
            for (long i = 0; i < records; i++) {
                int slot = (int) (i % OUTSTANDING);
                if (outstanding[slot] != null) {
                    outstanding[slot].join();
                }
                outstanding[slot] = backend.append(generator.next());
            }
            for (CompletableFuture<?> ack : outstanding) {
                if (ack != null) {
                    ack.join();
                }
            }
            elapsedNanos = System.nanoTime() - started;
        } finally {
            backend.close();
        }
        try {
            long fileBytes = 0;
            int segments = 0;
            for (Path segment : LogFiles.segments(logDir)) {
                fileBytes += Files.size(segment);
                segments++;
            }
            if (fileBytes != frameBytes + (long) segments * SEGMENT_HEADER_BYTES) {
                throw new IllegalStateException("the log in " + logDir + " holds " + fileBytes + " bytes in " + segments
                        + " segments; expected " + frameBytes + " bytes of records plus the headers");
            }
        } finally {
            LogFiles.deleteRecursively(logDir);
        }
        return frameBytes * 1e9 / elapsedNanos;
    }

    /** Bytes per second of raw chunked writes with a timed {@code force}. */
    private static double rawWrite(Path file, long bytes) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocateDirect(RAW_CHUNK_BYTES);
        for (int i = 0; i < RAW_CHUNK_BYTES; i++) {
            chunk.put(i, (byte) (i * 31));
        }
        long forceIntervalNanos = TimeUnit.MILLISECONDS.toNanos(LogFiles.FSYNC_INTERVAL_MS);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long started = System.nanoTime();
            long lastForce = started;
            long written = 0;
            while (written < bytes) {
                chunk.clear().limit((int) Math.min(RAW_CHUNK_BYTES, bytes - written));
                while (chunk.hasRemaining()) {
                    written += channel.write(chunk);
                }
                long now = System.nanoTime();
                if (now - lastForce >= forceIntervalNanos) {
                    channel.force(false);
                    lastForce = System.nanoTime();
                }
            }
            long elapsedNanos = System.nanoTime() - started;
            channel.force(false);
            return bytes * 1e9 / elapsedNanos;
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
