package io.shoal.core;

import io.shoal.ImportMode;
import io.shoal.ShoalException;
import io.shoal.TransferException;
import io.shoal.TransferProgress;
import io.shoal.TransferSummary;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@link io.shoal.ShoalNode#importMaps}: reads the file with {@link ExportFileReader} straight into
 * the thread's scratch buffers and writes each live entry with {@link LocalEngine#putExpiringAt},
 * the ordinary write path (events, persistence, memory limit and eviction, the node's own
 * versions).
 *
 * <p>It does not wait for each write to be durable: a {@link DurabilityWindow} does, for all of
 * them before it returns or reports a failure.
 * One instance runs one import.
 */
final class MapImport {
    private final LocalEngine engine;
    private final MapRegistry maps;
    private final int maxKeyBytes;
    private final int maxValueBytes;
    private final DurabilityWindow durability = new DurabilityWindow(
            cause -> failed(-1, "an imported entry was not stored: " + cause.getMessage(), cause));
    private Path file;
    private long imported;

    MapImport(LocalEngine engine, MapRegistry maps, int maxKeyBytes, int maxValueBytes) {
        this.engine = engine;
        this.maps = maps;
        this.maxKeyBytes = maxKeyBytes;
        this.maxValueBytes = maxValueBytes;
    }

    TransferSummary run(Path file, ImportMode mode, TransferProgress progress) {
        long startedNanos = System.nanoTime();
        this.file = file;
        BucketStore.PutMode putMode = mode == ImportMode.OVERWRITE ? BucketStore.PutMode.ALWAYS
                : BucketStore.PutMode.IF_ABSENT;
        ExportFileReader reader;
        try {
            reader = ExportFileReader.open(file, maxKeyBytes, maxValueBytes);
        } catch (ExportFileReader.Damaged e) {
            throw failed(e.offset, e.getMessage(), null);
        } catch (IOException e) {
            throw failed(-1, MapExport.describe(e), e);
        }
        ProgressThrottle throttle = new ProgressThrottle(progress);
        long skippedExpired = 0;
        long skippedExisting = 0;
        try (reader) {
            MapHandle[] handles = open(reader.mapNames());
            double fileBytes = reader.fileBytes();
            while (true) {
                LocalEngine.Scratch s = LocalEngine.scratch();
                if (!reader.next(s.key, s.value)) {
                    break;
                }
                long expiresAtMs = reader.expiresAtMs();
                if (expiresAtMs != 0 && expiresAtMs <= System.currentTimeMillis()) {
                    skippedExpired++;
                } else if (put(handles[reader.mapIndex()], s, putMode, expiresAtMs, reader.entryOffset())) {
                    imported++;
                } else {
                    skippedExisting++;
                }
                throttle.update(imported + skippedExpired + skippedExisting, reader.position(),
                        reader.position() / fileBytes);
            }
            durability.awaitAll();
            throttle.done(imported + skippedExpired + skippedExisting, reader.fileBytes());
            return new TransferSummary(imported, skippedExpired, skippedExisting, handles.length, reader.fileBytes(),
                    Duration.ofNanos(System.nanoTime() - startedNanos));
        } catch (ExportFileReader.Damaged e) {
            throw failed(e.offset, e.getMessage(), null);
        } catch (IOException e) {
            throw failed(reader.position(), MapExport.describe(e), e);
        }
    }

    private MapHandle[] open(List<String> names) {
        try {
            return maps.openAll(names);
        } catch (IllegalArgumentException e) {
            throw failed(-1, e.getMessage(), e);
        }
    }

    /** Writes the entry in {@code s}; false if the key kept its value. */
    private boolean put(MapHandle map, LocalEngine.Scratch s, BucketStore.PutMode mode, long expiresAtMs,
                        long offset) {
        try {
            engine.putExpiringAt(map, s, mode, 0, expiresAtMs, System.currentTimeMillis(), false);
        } catch (ShoalException e) {
            throw failed(offset, "the entry of map \"" + map.name + "\" was not imported: " + e.getMessage(), e);
        }
        if (!s.result.applied) {
            return false;
        }
        durability.add(engine.durability());
        return true;
    }

    /**
     * The exception to throw, once every write already applied has settled (so the count is final);
     * a further durability failure is only added to it as suppressed.
     */
    private TransferException failed(long offset, String problem, Throwable cause) {
        Throwable suppressed = durability.settle();
        String message = "import of " + file + " failed" + (offset >= 0 ? " at offset " + offset : "") + ": "
                + problem + (imported > 0 ? "; the " + imported + " entries imported before stay in the node" : "");
        TransferException failure = new TransferException(message, file, offset, imported, cause);
        if (suppressed != null) {
            failure.addSuppressed(suppressed);
        }
        return failure;
    }
}
