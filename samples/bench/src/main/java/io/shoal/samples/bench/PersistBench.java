package io.shoal.samples.bench;

import io.shoal.spi.ChangeRecord;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/shoal bench persist [--quick] [--dir DIR]}: the file log against the disk it writes
 * to, in one run and one directory (a new one under {@code DIR}, deleted at the end). Three steps,
 * each one warm-up round and then measured rounds that alternate baseline and Shoal:
 * {@link LogAppendBench}, {@link GroupCommitBench} and {@link RecoveryBench}. Progress goes to
 * stderr; a table of every figure (median of the rounds) and the {@code RESULT} lines go to stdout.
 * Runs in-process, without JMH: these are throughput figures of seconds-long I/O runs, not
 * nanosecond operations.
 */
final class PersistBench {

    /** How much each step does; the measured rounds come after one warm-up round. */
    record Scale(String name, long appendBytes, long groupCommitMillis, int recoveryRecords, int rounds) {
        static final Scale QUICK = new Scale("quick", 1L << 30, 2_000, 500_000, 3);
        static final Scale FULL = new Scale("full", 2L << 30, 10_000, 1_000_000, 5);
    }

    private PersistBench() {
    }

    /**
     * Runs every step in a new directory under {@code parent}; returns 0 when every figure was
     * measured (whether or not the targets were met), 1 when a step failed.
     */
    static int run(Scale scale, Path parent, PrintStream out, PrintStream err) throws IOException {
        long started = System.nanoTime();
        double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        Files.createDirectories(parent);
        Path dir = Files.createTempDirectory(parent, "shoal-bench-persist-");
        String fileSystem = Files.getFileStore(dir).type();
        err.printf("bench: persist, %s scale, in %s (%s)%n", scale.name(), dir, fileSystem);
        int frameBytes = LogRecords.frameBytes(LogRecords.created(1, 0)[0]);
        PersistReport report = new PersistReport(frameBytes);
        try {
            long appendRecords = scale.appendBytes() / frameBytes;
            step(err, "1/3", "log append: " + count(appendRecords) + " records of " + frameBytes
                    + " log bytes, fsync=interval, against raw FileChannel writes", scale,
                    () -> new LogAppendBench(dir, err).run(appendRecords, frameBytes, scale.rounds(), report));
            step(err, "2/3", "group commit: " + GroupCommitBench.THREADS + " threads putting for "
                    + scale.groupCommitMillis() + " ms, fsync=always, against the disk's fsync rate", scale,
                    () -> new GroupCommitBench(dir, err).run(scale.groupCommitMillis(), scale.rounds(), frameBytes,
                            report));
            step(err, "3/3", "recovery: a node start replaying " + count(scale.recoveryRecords())
                    + " records, against a raw read and raw Chronicle Map inserts", scale, () -> {
                        long now = System.currentTimeMillis();
                        ChangeRecord[] records = LogRecords.created(scale.recoveryRecords(), now);
                        new RecoveryBench(dir, err).run(records, scale.rounds(), report);
                    });
        } finally {
            LogFiles.deleteRecursively(dir);
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        out.println();
        out.printf(Locale.ROOT, "persist benchmark, %s scale: %d-byte keys, %d-byte values, %d log bytes per"
                        + " record; %s (%s); %d cores; %d s; load average %.1f before, %.1f after%n", scale.name(),
                MapData.KEY_BYTES, MapData.VALUE_BYTES, frameBytes, parent, fileSystem,
                Runtime.getRuntime().availableProcessors(), seconds, loadBefore, loadAfter);
        report.table().forEach(out::println);
        out.println();
        report.resultLines().forEach(out::println);
        out.println(report.targetSummary());
        List<PersistReport.Subject> missing = report.missing();
        if (!missing.isEmpty()) {
            err.println("bench: no figure for " + missing + "; see the errors above");
            return 1;
        }
        return 0;
    }

    /** A step of the benchmark; its failure is reported and the next step runs. */
    private interface Step {
        void run() throws IOException, InterruptedException;
    }

    private static void step(PrintStream err, String number, String what, Scale scale, Step step) {
        err.printf("bench: [%s] %s; 1 warm-up + %d rounds ...%n", number, what, scale.rounds());
        long started = System.nanoTime();
        try {
            step.run();
            err.printf(Locale.ROOT, "bench: [%s] done in %.1f s%n", number, (System.nanoTime() - started) / 1e9);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("bench: [" + number + "] interrupted");
        } catch (IOException | RuntimeException e) {
            err.println("bench: [" + number + "] failed: " + e);
            e.printStackTrace(err);
        }
    }

    private static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
