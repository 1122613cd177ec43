package io.shoal.core;

import io.shoal.TransferException;
import io.shoal.TransferProgress;
import io.shoal.TransferSummary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntPredicate;

/**
 * {@link io.shoal.ShoalNode#exportMaps}: copies bucket after bucket with {@link BucketStore#copyAll},
 * so each bucket is consistent but the export as a whole is not one point in time, and encodes the
 * live entries of the chosen maps (found by map id) into a temporary file next to the target. That
 * file is forced to disk and renamed over the target, then the directory is synced.
 *
 * <p>Entries are encoded under the bucket lock into the writer's buffer, which is written out
 * whenever it fills, so a bucket's writers wait for the copy and at most a few buffers' worth of
 * I/O into the page cache, as for a snapshot. The map table lists the maps by name; the file does
 * not depend on the order in which maps were opened. One instance runs one export.
 */
final class MapExport {
    private final LocalEngine engine;
    private final MapRegistry maps;
    private long[] sortedIds;
    private int[] tableIndexOfSortedId;
    private ExportFileWriter writer;
    private long nowMs;
    private long skippedExpired;

    MapExport(LocalEngine engine, MapRegistry maps) {
        this.engine = engine;
        this.maps = maps;
    }

    TransferSummary run(Path file, Collection<String> mapNames, TransferProgress progress) {
        return run(file, mapNames, progress, bucket -> true);
    }

    /** {@link #run(Path, Collection, TransferProgress)} of the buckets {@code buckets} accepts only. */
    TransferSummary run(Path file, Collection<String> mapNames, TransferProgress progress, IntPredicate buckets) {
        long startedNanos = System.nanoTime();
        List<MapHandle> table = choose(mapNames);
        indexIds(table);
        Path target = file.toAbsolutePath();
        Path temp = target.resolveSibling(target.getFileName() + "."
                + Integer.toHexString(ThreadLocalRandom.current().nextInt()) + ".tmp");
        ProgressThrottle throttle = new ProgressThrottle(progress);
        long fileBytes;
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writer = new ExportFileWriter(channel, System.currentTimeMillis(),
                        table.stream().map(map -> map.name).toList());
                int bucketCount = engine.bucketCount();
                for (int b = 0; b < bucketCount; b++) {
                    if (buckets.test(b)) {
                        nowMs = System.currentTimeMillis();
                        engine.bucket(b).copyAll(this::visit);
                    }
                    throttle.update(writer.entries(), writer.bytesWritten(), (b + 1) / (double) bucketCount);
                }
                fileBytes = writer.finish();
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE); // replaces a file of that name
            syncDirectory(target.getParent());
        } catch (IOException | UncheckedIOException e) {
            deleteQuietly(temp);
            IOException cause = e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
            throw new TransferException("export to " + target + " failed: " + describe(cause), target, -1, 0, cause);
        } catch (RuntimeException | Error e) {
            deleteQuietly(temp);
            throw e;
        }
        throttle.done(writer.entries(), fileBytes);
        return new TransferSummary(writer.entries(), skippedExpired, 0, table.size(), fileBytes,
                Duration.ofNanos(System.nanoTime() - startedNanos));
    }

    /** The maps to export, sorted by name. */
    private List<MapHandle> choose(Collection<String> mapNames) {
        Map<String, MapHandle> open = new HashMap<>();
        for (MapHandle map : maps.all()) {
            open.put(map.name, map);
        }
        if (mapNames.isEmpty()) {
            return open.values().stream().sorted(Comparator.comparing(map -> map.name)).toList();
        }
        for (String name : mapNames) {
            if (!open.containsKey(name)) {
                throw new IllegalArgumentException("no map \"" + name + "\" on this node; its maps are "
                        + open.keySet().stream().sorted().toList());
            }
        }
        return mapNames.stream().distinct().sorted().map(open::get).toList();
    }

    private void indexIds(List<MapHandle> table) {
        sortedIds = table.stream().mapToLong(map -> map.id).sorted().toArray();
        tableIndexOfSortedId = new int[sortedIds.length];
        for (int i = 0; i < table.size(); i++) {
            tableIndexOfSortedId[Arrays.binarySearch(sortedIds, table.get(i).id)] = i;
        }
    }

    /** Called by copyAll with the bucket locked. */
    private void visit(StoredKey key, StoredValue value) {
        int found = Arrays.binarySearch(sortedIds, key.mapId);
        if (found < 0) {
            return;
        }
        if (value.expiresAtMs != 0 && value.expiresAtMs <= nowMs) {
            skippedExpired++;
            return;
        }
        try {
            writer.entry(tableIndexOfSortedId[found], key.bytes, key.length, value.bytes, value.length,
                    value.expiresAtMs, value.timestampMs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An I/O failure in words (NIO's messages are often just the path). */
    static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory: " + e.getMessage();
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied: " + e.getMessage();
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason() + ": " + f.getFile();
        }
        return String.valueOf(e.getMessage());
    }

    static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some platforms cannot open or sync a directory; the rename itself has happened.
        }
    }

    private static void deleteQuietly(Path temp) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            // The export fails anyway; a leftover .tmp file is harmless.
        }
    }
}
