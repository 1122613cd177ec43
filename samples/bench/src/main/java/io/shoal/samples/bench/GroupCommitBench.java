package io.shoal.samples.bench;

import io.shoal.Codecs;
import io.shoal.Shoal;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Group commit: {@code ShoalMap.put} on a node with {@code persistence = file} and
 * {@code fsync = always}, {@value #THREADS} threads writing random keys for a fixed time, against
 * the disk's own fsync rate: one thread appending one log frame's worth of bytes to a file in the
 * same directory and calling {@code force(false)} after each, in a loop for the same total time.
 * Puts per second over the disk's fsyncs per second is a lower bound of how many acknowledged
 * writes one of the log's fsyncs carries (the log cannot fsync faster than the disk; the node does
 * not expose how many it did).
 *
 * <p>One node serves every round (its log grows across them). Each round measures the disk for
 * half the time, the node, then the disk again for the other half, so that both figures of a round
 * see the same load from the rest of the machine.
 */
final class GroupCommitBench {
    static final int THREADS = 16;
    /** Keys the writers pick from: {@link MapData#key} 0 to 65535. */
    static final int KEYS = 1 << 16;

    private final Path dir;
    private final PrintStream err;

    GroupCommitBench(Path dir, PrintStream err) {
        this.dir = dir;
        this.err = err;
    }

    /** One warm-up round, then {@code rounds} measured ones, each side running {@code millis}. */
    void run(long millis, int rounds, int frameBytes, PersistReport report) throws IOException, InterruptedException {
        byte[][] keys = new byte[KEYS][];
        for (int i = 0; i < KEYS; i++) {
            keys[i] = MapData.key(i);
        }
        byte[][] values = MapData.values();
        try (ShoalNode node = Shoal.start(LogFiles.nodeConfig(dir.resolve("group-commit-log"), "always", KEYS))) {
            ShoalMap<byte[], byte[]> map = node.map(LogRecords.MAP_NAME, Codecs.bytes(), Codecs.bytes());
            for (int round = 0; round <= rounds; round++) {
                Path probe = dir.resolve("fsync-probe-" + round);
                FsyncCount before = diskFsyncs(probe, frameBytes, millis / 2);
                double putsPerSecond = putRate(map, keys, values, millis);
                FsyncCount after = diskFsyncs(probe, frameBytes, millis - millis / 2);
                Files.delete(probe);
                double fsyncsPerSecond = (before.fsyncs() + after.fsyncs()) * 1e9 / (before.nanos() + after.nanos());
                err.printf(Locale.ROOT, "bench:   %s: %,.0f puts/s, disk %,.0f fsyncs/s: %.1f puts per fsync%n",
                        round == 0 ? "warm-up" : "round " + round + "/" + rounds, putsPerSecond, fsyncsPerSecond,
                        putsPerSecond / fsyncsPerSecond);
                if (round > 0) {
                    report.add(PersistReport.Subject.DISK_FSYNC, fsyncsPerSecond);
                    report.add(PersistReport.Subject.NODE_PUT, putsPerSecond);
                }
            }
            err.println("bench:   closing the node (writes its shutdown snapshot)");
        }
    }

    /** Acknowledged puts per second of {@value #THREADS} threads writing for {@code millis}. */
    private static double putRate(ShoalMap<byte[], byte[]> map, byte[][] keys, byte[][] values, long millis)
            throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(THREADS);
        CountDownLatch go = new CountDownLatch(1);
        long[] puts = new long[THREADS];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread[] writers = new Thread[THREADS];
        for (int t = 0; t < THREADS; t++) {
            int index = t;
            writers[t] = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    long count = 0;
                    while (!stop.get()) {
                        map.put(keys[random.nextInt(KEYS)], values[random.nextInt(MapData.VALUE_VARIANTS)]);
                        count++;
                    }
                    puts[index] = count;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException | Error e) {
                    failure.compareAndSet(null, e);
                }
            }, "bench-writer-" + t);
            writers[t].start();
        }
        ready.await();
        long started = System.nanoTime();
        go.countDown();
        Thread.sleep(millis);
        stop.set(true);
        for (Thread writer : writers) {
            writer.join();
        }
        long elapsedNanos = System.nanoTime() - started;
        if (failure.get() != null) {
            throw new IllegalStateException("a writer failed: " + failure.get(), failure.get());
        }
        long total = 0;
        for (long count : puts) {
            total += count;
        }
        return total * 1e9 / elapsedNanos;
    }

    /** Fsyncs done in {@code nanos}. */
    private record FsyncCount(long fsyncs, long nanos) {
    }

    /** Appends {@code recordBytes} to {@code file} and calls {@code force(false)}, in a loop for {@code millis}. */
    private static FsyncCount diskFsyncs(Path file, int recordBytes, long millis) throws IOException {
        ByteBuffer record = ByteBuffer.allocateDirect(recordBytes);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            long started = System.nanoTime();
            long deadline = started + TimeUnit.MILLISECONDS.toNanos(millis);
            long fsyncs = 0;
            long now;
            do {
                record.clear();
                while (record.hasRemaining()) {
                    channel.write(record);
                }
                channel.force(false);
                fsyncs++;
                now = System.nanoTime();
            } while (now < deadline);
            return new FsyncCount(fsyncs, now - started);
        }
    }
}
