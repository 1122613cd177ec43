package io.shoal.testing;

import io.shoal.ShoalException;
import io.shoal.spi.ChangeRecord;
import io.shoal.spi.PersistenceBackend;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A <b>test double</b> of {@link PersistenceBackend}: nothing is written to disk. Records are kept
 * in a JVM-wide store keyed by the directory's absolute, normalized path, so a backend opened again
 * on the same directory "recovers" what an earlier one stored, as if the node had restarted within
 * the same JVM. Appends complete at once. Use {@link #discard(Path)} to forget a directory.
 *
 * <p>Thread-safe; {@code append} never blocks beyond a short monitor. Records of one bucket are
 * replayed in the order they were appended, which is sequence order when the caller keeps the
 * contract.
 */
public final class InMemoryPersistence implements PersistenceBackend {
    private static final ConcurrentMap<Path, List<ChangeRecord>> STORE = new ConcurrentHashMap<>();

    private final Path dir;
    private final List<ChangeRecord> records;
    private boolean closed; // guarded by this

    /** Opens the store of {@code dir}, creating it empty the first time. */
    public InMemoryPersistence(Path dir) {
        this.dir = key(dir);
        this.records = STORE.computeIfAbsent(this.dir, d -> new ArrayList<>());
    }

    /** Forgets everything stored for {@code dir}. */
    public static void discard(Path dir) {
        STORE.remove(key(dir));
    }

    /** A copy of the records stored for {@code dir}, in append order. */
    public static List<ChangeRecord> stored(Path dir) {
        List<ChangeRecord> records = STORE.get(key(dir));
        if (records == null) {
            return List.of();
        }
        synchronized (records) {
            return List.copyOf(records);
        }
    }

    @Override
    public void recover(RecoverySink sink) {
        Objects.requireNonNull(sink, "sink");
        List<ChangeRecord> snapshot;
        synchronized (this) {
            if (closed) {
                throw new ShoalException("cannot recover " + dir + ": the backend is closed");
            }
        }
        synchronized (records) {
            snapshot = List.copyOf(records);
        }
        snapshot.forEach(sink::apply);
    }

    @Override
    public CompletableFuture<Void> append(ChangeRecord record) {
        Objects.requireNonNull(record, "record");
        ChangeRecord copy = copyOf(record);
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(
                        new ShoalException("cannot append " + record + " to " + dir + ": the backend is closed"));
            }
            synchronized (records) {
                records.add(copy);
            }
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "InMemoryPersistence{" + dir + '}';
    }

    private static Path key(Path dir) {
        return Objects.requireNonNull(dir, "dir").toAbsolutePath().normalize();
    }

    /** Stored records share no arrays with the caller, as if they had been written out and read back. */
    private static ChangeRecord copyOf(ChangeRecord record) {
        return new ChangeRecord(record.type(), record.mapName(), record.bucket(), record.sequence(),
                record.key().clone(), record.value() == null ? null : record.value().clone(),
                record.timestampMs(), record.expiresAtMs());
    }
}
