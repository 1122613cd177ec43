package io.shoal.samples.bench;

import io.shoal.ShoalConfig;
import io.shoal.persist.file.FilePersistenceProvider;
import io.shoal.spi.ChangeRecord;
import io.shoal.spi.PersistenceBackend;
import io.shoal.testing.MapSettings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * How the persist benchmark sets up {@code persist-file}, standalone and inside a node, and the
 * file chores around it. Every log uses the defaults of {@code reference.conf} except the fsync
 * policy and {@code snapshotIntervalMs = 0} (a snapshot at a node's clean shutdown only), so that
 * no snapshot is written while something is measured.
 */
final class LogFiles {
    /** persist-file's default {@code fsyncIntervalMs}; the raw write baseline forces at the same period. */
    static final long FSYNC_INTERVAL_MS = 100;
    private static final String SEGMENT_SIZE = "64m";

    private LogFiles() {
    }

    /**
     * A standalone file log in {@code dir} that was empty, recovered (nothing) and started without
     * a state view, so that it writes no snapshot, not even at {@code close}.
     */
    static PersistenceBackend startEmptyBackend(Path dir, String fsync) {
        PersistenceBackend backend = new FilePersistenceProvider().create(MapSettings.of(
                FilePersistenceProvider.DIR_KEY, dir.toString(),
                FilePersistenceProvider.FSYNC_KEY, fsync,
                FilePersistenceProvider.FSYNC_INTERVAL_MS_KEY, FSYNC_INTERVAL_MS,
                FilePersistenceProvider.SEGMENT_SIZE_BYTES_KEY, SEGMENT_SIZE,
                FilePersistenceProvider.ROLL_AT_MIDNIGHT_KEY, true,
                FilePersistenceProvider.ZONE_KEY, "UTC",
                FilePersistenceProvider.ON_CORRUPTION_KEY, "fail",
                FilePersistenceProvider.SNAPSHOT_INTERVAL_MS_KEY, 0));
        backend.recover(new PersistenceBackend.RecoverySink() {
            @Override
            public void apply(ChangeRecord record) {
                throw new IllegalStateException(dir + " should be a new log but holds " + record);
            }

            @Override
            public void bucketSequence(int bucket, long sequence) {
                throw new IllegalStateException(dir + " should be a new log but holds a snapshot");
            }
        });
        backend.start(null);
        return backend;
    }

    /**
     * A node with {@code persistence = file} in {@code dir}, its bucket stores sized for
     * {@code entries} entries of the benchmark's data set, so that none is rebuilt as it fills.
     */
    static ShoalConfig nodeConfig(Path dir, String fsync, int entries) {
        return ShoalConfig.builder()
                .bucketCount(LogRecords.BUCKETS)
                .maxMemoryBytes(1L << 30)
                .set("store.entriesPerBucket", MapData.entriesPerBucket(entries, LogRecords.BUCKETS))
                .set("store.averageKeyBytes", MapData.KEY_BYTES)
                .set("store.averageValueBytes", MapData.VALUE_BYTES)
                .set("persistence", "file")
                .set(FilePersistenceProvider.DIR_KEY, dir.toString())
                .set(FilePersistenceProvider.FSYNC_KEY, fsync)
                .set(FilePersistenceProvider.SNAPSHOT_INTERVAL_MS_KEY, 0)
                .build();
    }

    /** The log segments in {@code dir}, in log order (docs/formats.md 1.1). */
    static List<Path> segments(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().matches("log-[0-9a-f]{16}\\.seg")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies the files of {@code from} (not recursively) into the new directory {@code to}. */
    static void copyDirectory(Path from, Path to) {
        try (Stream<Path> files = Files.list(from)) {
            Files.createDirectories(to);
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes {@code dir} and everything under it, if it exists. */
    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
