package io.shoal.samples.bench;

import io.shoal.Codecs;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import io.shoal.spi.ChangeRecord;
import io.shoal.spi.PersistenceBackend;
import net.openhft.chronicle.map.ChronicleMap;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Recovery replay: the start of a node with {@code persistence = file} on a log of N records (no
 * snapshot), in records per second, against two baselines measured in the same round: a raw
 * sequential read of the same segment files into a direct buffer, and raw Chronicle Map inserts of
 * the same keys and values into one map sized for them.
 *
 * <p>The log is written once through a standalone backend. A node's clean shutdown writes a
 * snapshot and deletes the segments it covers, so each round works on a fresh copy of the log:
 * copy (not timed), raw read of the copy, Chronicle Map inserts, a node start on an empty log (to
 * show the fixed part of a start), then the timed node start on the copy, checked afterwards
 * (entry count and one value in {@value #CHECK_STRIDE}). The node's time is its whole
 * {@code Shoal.start}, fixed part included; the Chronicle Map's creation is not timed. Both reads
 * find the copy in the page cache, as it was just written.
 */
final class RecoveryBench {
    static final int CHECK_STRIDE = 97;
    private static final int READ_BUFFER_BYTES = 1 << 20;

    private final Path dir;
    private final PrintStream err;

    RecoveryBench(Path dir, PrintStream err) {
        this.dir = dir;
        this.err = err;
    }

    /** Writes the log, then one warm-up round and {@code rounds} measured ones. */
    void run(ChangeRecord[] records, int rounds, PersistReport report) throws IOException {
        Path log = dir.resolve("recovery-log");
        long started = System.nanoTime();
        writeLog(log, records);
        err.printf(Locale.ROOT, "bench:   wrote the log: %,d records in %d segments in %.1f s%n", records.length,
                LogFiles.segments(log).size(), (System.nanoTime() - started) / 1e9);
        for (int round = 0; round <= rounds; round++) {
            Path copy = dir.resolve("recovery-" + round);
            LogFiles.copyDirectory(log, copy);
            try {
                double readRecordsPerSecond = rawRead(copy, records.length);
                double insertRecordsPerSecond = chronicleInserts(records);
                double emptyStartMillis = emptyNodeStartMillis(dir.resolve("empty-" + round), records.length);
                double replayRecordsPerSecond = nodeStart(copy, records);
                err.printf(Locale.ROOT, "bench:   %s: node start %,.0f records/s (empty log: %.0f ms); raw read "
                                + "%,.0f records/s; Chronicle Map inserts %,.0f records/s%n",
                        round == 0 ? "warm-up" : "round " + round + "/" + rounds, replayRecordsPerSecond,
                        emptyStartMillis, readRecordsPerSecond, insertRecordsPerSecond);
                if (round > 0) {
                    report.add(PersistReport.Subject.RAW_READ, readRecordsPerSecond);
                    report.add(PersistReport.Subject.CHRONICLE_INSERT, insertRecordsPerSecond);
                    report.add(PersistReport.Subject.EMPTY_NODE_START, emptyStartMillis);
                    report.add(PersistReport.Subject.NODE_RECOVERY, replayRecordsPerSecond);
                }
            } finally {
                LogFiles.deleteRecursively(copy);
            }
        }
    }

    private static void writeLog(Path log, ChangeRecord[] records) {
        PersistenceBackend backend = LogFiles.startEmptyBackend(log, "interval");
        try {
            CompletableFuture<?>[] acknowledged = new CompletableFuture<?>[records.length];
            for (int i = 0; i < records.length; i++) {
                acknowledged[i] = backend.append(records[i]);
            }
            for (CompletableFuture<?> ack : acknowledged) {
                ack.join();
            }
        } finally {
            backend.close();
        }
    }

    /** Records per second of a sequential read of every segment, the record count being {@code records}. */
    private static double rawRead(Path log, int records) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(READ_BUFFER_BYTES);
        long started = System.nanoTime();
        for (Path segment : LogFiles.segments(log)) {
            try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.READ)) {
                while (channel.read(buffer.clear()) >= 0) {
                    // reads to the end of the file
                }
            }
        }
        return records * 1e9 / (System.nanoTime() - started);
    }

    /** Records per second of {@code put} into a new Chronicle Map sized for them (creation not timed). */
    private static double chronicleInserts(ChangeRecord[] records) {
        try (ChronicleMap<byte[], byte[]> map = ChronicleMap.of(byte[].class, byte[].class)
                .name("bench-recovery-peer")
                .entries(records.length)
                .averageKeySize(MapData.KEY_BYTES)
                .averageValueSize(MapData.VALUE_BYTES)
                .putReturnsNull(true)
                .create()) {
            long started = System.nanoTime();
            for (ChangeRecord record : records) {
                map.put(record.key(), record.value());
            }
            long elapsedNanos = System.nanoTime() - started;
            if (map.longSize() != records.length) {
                throw new IllegalStateException("Chronicle Map holds " + map.longSize() + " entries after "
                        + records.length + " inserts");
            }
            return records.length * 1e9 / elapsedNanos;
        }
    }

    private static double emptyNodeStartMillis(Path emptyLog, int entries) {
        try {
            long started = System.nanoTime();
            ShoalNode node = Shoal.start(LogFiles.nodeConfig(emptyLog, "interval", entries));
            double millis = (System.nanoTime() - started) / 1e6;
            node.close();
            return millis;
        } finally {
            LogFiles.deleteRecursively(emptyLog);
        }
    }

    /** Records per second of a whole node start that replays the log; checks what it recovered. */
    private double nodeStart(Path log, ChangeRecord[] records) {
        ShoalConfig config = LogFiles.nodeConfig(log, "interval", records.length);
        long started = System.nanoTime();
        ShoalNode node = Shoal.start(config);
        long elapsedNanos = System.nanoTime() - started;
        try (node) {
            ShoalMap<byte[], byte[]> map = node.map(LogRecords.MAP_NAME, Codecs.bytes(), Codecs.bytes());
            if (map.size() != records.length) {
                throw new IllegalStateException("the node recovered " + map.size() + " entries from " + records.length
                        + " records");
            }
            for (int i = 0; i < records.length; i += CHECK_STRIDE) {
                if (!Arrays.equals(records[i].value(), map.get(records[i].key()))) {
                    throw new IllegalStateException("the node recovered a wrong value for record " + i);
                }
            }
            if (node.stats().storeResizes() != 0) {
                err.println("bench: warning: " + node.stats().storeResizes() + " bucket stores were rebuilt"
                        + " during recovery; the figure includes the rebuilds");
            }
        }
        return records.length * 1e9 / elapsedNanos;
    }
}
