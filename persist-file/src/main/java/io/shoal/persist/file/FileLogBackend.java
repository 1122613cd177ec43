package io.shoal.persist.file;

import io.shoal.StorageUnavailableException;
import io.shoal.spi.ChangeRecord;
import io.shoal.spi.PersistenceBackend;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.MpscUnboundedArrayQueue;

/**
 * {@code persistence = file}: an append-only log of segment files ({@code docs/formats.md}).
 * {@link #append} only enqueues into an unbounded MPSC queue and wakes the writer thread if it is
 * parked; the writer thread (started by {@link #start}) drains the queue in batches into a
 * {@link FileLogWriter}, which completes the futures in log order. With {@code interval},
 * {@link #start} also starts the {@link IntervalSyncer}'s thread, which does the timed fsyncs off
 * the writer thread. {@link #recover} replays the segments with a {@link FileLogReader} and creates
 * the directory; nothing is opened before it.
 *
 * <p>Snapshots ({@code docs/formats.md} section 2): {@link #snapshotNow} asks the writer thread, in
 * queue order, to roll the log, so every record enqueued before is in a segment numbered below the
 * roll point; then copies every bucket of the {@link StateSource} into a snapshot named after that
 * point (each copy holds everything those records did, as they were applied before they were
 * enqueued), makes it durable, and deletes older snapshots and the segments it covers. The writer
 * keeps serving appends meanwhile. A snapshot is taken every {@code snapshotIntervalMs} on the
 * backend's snapshot thread and once by {@link #close} (if {@link #start} was called). Recovery
 * applies the newest valid snapshot and then replays the log from its covered position on.
 *
 * <p>Shutdown: {@link #close} writes the last snapshot, then flags the backend closed, waits for
 * appends already past the closed check to finish enqueueing (a few instructions), then tells the
 * writer to stop; the writer drains and writes everything queued, fsyncs and closes the segment
 * (and stops the syncer), so every returned future completes.
 */
final class FileLogBackend implements PersistenceBackend {
    private static final int MAX_BATCH_RECORDS = 4096;
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long MIN_RETRY_DELAY_MS = 10;
    private static final long MAX_RETRY_DELAY_MS = 1000;
    private static final System.Logger LOG = System.getLogger(FileLogBackend.class.getName());

    private final FileLogConfig config;
    private final FileLogChannels channels;
    private final Clock clock;
    private final AtomicLong fsyncs = new AtomicLong();
    private final MpscUnboundedArrayQueue<FileLogWriter.Pending> queue = new MpscUnboundedArrayQueue<>(1024);
    private final AtomicInteger appendsInFlight = new AtomicInteger();
    private final Object lifecycle = new Object();
    private final Object snapshotLock = new Object();

    private volatile boolean closed;
    private volatile boolean stopRequested;
    private volatile boolean writerParked;
    private volatile Thread writerThread;
    // Set under lifecycle by recover, then used by the writer thread; volatile for checkWritable's callers.
    private volatile FileLogWriter writer;
    private DirectoryLock directoryLock; // guarded by lifecycle
    private StateSource stateSource;
    private boolean started; // guarded by lifecycle
    private boolean closing; // guarded by lifecycle
    private ScheduledExecutorService snapshotThread; // guarded by lifecycle
    private volatile long snapshotRecords = -1;

    FileLogBackend(FileLogConfig config) {
        this(config, FileLogChannels.DEFAULT, Clock.systemUTC());
    }

    FileLogBackend(FileLogConfig config, FileLogChannels channels, Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.channels = Objects.requireNonNull(channels, "channels");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public void recover(RecoverySink sink) {
        Objects.requireNonNull(sink, "sink");
        synchronized (lifecycle) {
            if (closed) {
                throw new PersistenceException("cannot recover " + config.dir() + ": the backend is closed");
            }
            if (writer != null) {
                throw new IllegalStateException("recover was already called for " + config.dir());
            }
            try {
                Files.createDirectories(config.dir());
            } catch (IOException e) {
                throw new PersistenceException("cannot create the log directory " + config.dir() + ": " + e, e);
            }
            directoryLock = DirectoryLock.acquire(config.dir());
            SequenceTracker tracker = new SequenceTracker(sink);
            try {
                long next = recoverFiles(tracker);
                writer = new FileLogWriter(config, channels, clock, fsyncs, next, tracker.sequences);
            } catch (RuntimeException e) {
                directoryLock.close();
                directoryLock = null;
                throw e;
            }
        }
    }

    @Override
    public void start(StateSource state) {
        synchronized (lifecycle) {
            if (writer == null) {
                throw new IllegalStateException("start before recover for " + config.dir());
            }
            if (started || closed) {
                return;
            }
            stateSource = state;
            started = true;
            writer.startSyncer("shoal-file-log-sync " + config.dir());
            Thread thread = new Thread(this::runWriter, "shoal-file-log " + config.dir());
            thread.setDaemon(true);
            writerThread = thread;
            thread.start();
            if (state != null && config.snapshotIntervalMs() > 0) {
                snapshotThread = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "shoal-file-snapshot " + config.dir());
                    t.setDaemon(true);
                    return t;
                });
                snapshotThread.scheduleWithFixedDelay(this::periodicSnapshot, config.snapshotIntervalMs(),
                        config.snapshotIntervalMs(), TimeUnit.MILLISECONDS);
            }
        }
    }

    @Override
    public CompletableFuture<Void> append(ChangeRecord record) {
        Objects.requireNonNull(record, "record");
        FileLogWriter.Pending done = new FileLogWriter.Pending(record);
        if (!enqueue(done)) {
            done.completeExceptionally(new PersistenceException("cannot append " + record + " to the log in "
                    + config.dir() + ": the backend is closed"));
        }
        return done;
    }

    /** Queues {@code pending} for the writer thread and wakes it; false if the backend is closed. */
    private boolean enqueue(FileLogWriter.Pending pending) {
        appendsInFlight.incrementAndGet();
        try {
            if (closed) {
                return false;
            }
            queue.offer(pending);
        } finally {
            appendsInFlight.decrementAndGet();
        }
        // Pairs with the writer's "writerParked = true; check queue": either it sees our record or we
        // see it parked. The fence keeps the queue store from passing the writerParked load.
        VarHandle.fullFence();
        if (writerParked) {
            LockSupport.unpark(writerThread);
        }
        return true;
    }

    @Override
    public void close() {
        ScheduledExecutorService periodic;
        boolean lastSnapshot;
        synchronized (lifecycle) {
            if (closing || closed) {
                return;
            }
            closing = true;
            periodic = snapshotThread;
            lastSnapshot = started && stateSource != null;
        }
        if (periodic != null) {
            periodic.shutdown(); // a snapshot in progress finishes; none starts any more
            awaitQuietly(periodic);
        }
        if (lastSnapshot) {
            try {
                snapshotNow();
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "cannot write the shutdown snapshot in " + config.dir()
                        + "; the log is kept and the next start replays it", e);
            }
        }
        Thread thread;
        synchronized (lifecycle) {
            closed = true;
            while (appendsInFlight.get() != 0) {
                Thread.onSpinWait();
            }
            stopRequested = true;
            thread = writerThread;
        }
        if (thread != null) {
            LockSupport.unpark(thread);
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        } else {
            synchronized (lifecycle) {
                drainAndClose(new ArrayDeque<>());
            }
        }
        synchronized (lifecycle) {
            if (directoryLock != null) {
                directoryLock.close();
                directoryLock = null;
            }
        }
    }

    /**
     * Writes a snapshot now, on the calling thread (one at a time), and returns once it is durable
     * and the segments and older snapshots it covers are deleted. Returns the snapshot file.
     *
     * @throws PersistenceException if it could not be written (nothing is deleted then)
     * @throws IllegalStateException before {@link #start}
     */
    Path snapshotNow() {
        StateSource state;
        synchronized (lifecycle) {
            if (!started || stateSource == null) {
                throw new IllegalStateException("no snapshot of " + config.dir() + " without start(state)");
            }
            state = stateSource;
        }
        synchronized (snapshotLock) {
            CompletableFuture<FileLogWriter.RollPoint> roll = new CompletableFuture<>();
            if (!enqueue(FileLogWriter.Pending.rollRequest(roll))) {
                throw new PersistenceException("cannot write a snapshot in " + config.dir() + ": the backend is closed");
            }
            FileLogWriter.RollPoint point;
            try {
                point = join(roll);
            } catch (ExecutionException e) {
                throw new PersistenceException("cannot write a snapshot in " + config.dir()
                        + ": rolling the log failed: " + e.getCause(), e.getCause());
            }
            Path snapshot;
            try {
                snapshot = FileSnapshot.write(config.dir(), channels, state, point, clock.millis());
            } catch (IOException | RuntimeException e) {
                throw new PersistenceException("cannot write snapshot "
                        + config.dir().resolve(FileSnapshot.name(point.covered())) + ": " + e, e);
            }
            deleteCovered(point.covered());
            return snapshot;
        }
    }

    /** Records the last {@link #recover} applied from a snapshot, or -1 if it used none. */
    long snapshotRecordsRecovered() {
        return snapshotRecords;
    }

    /** Number of fsyncs of segment files so far (data and header syncs). */
    long fsyncCount() {
        return fsyncs.get();
    }

    /** The syncer of {@code fsync = interval} (after {@link #recover}), else null; for tests. */
    IntervalSyncer intervalSyncer() {
        FileLogWriter current = writer;
        return current == null ? null : current.syncer();
    }

    /** The snapshot source handed to {@link #start}, or null. */
    StateSource stateSource() {
        synchronized (lifecycle) {
            return stateSource;
        }
    }

    private void runWriter() {
        ArrayDeque<FileLogWriter.Pending> pending = new ArrayDeque<>();
        MessagePassingQueue.Consumer<FileLogWriter.Pending> into = pending::addLast;
        long retryDelayMs = MIN_RETRY_DELAY_MS;
        while (true) {
            boolean stopping = stopRequested;
            if (pending.isEmpty()) {
                queue.drain(into, MAX_BATCH_RECORDS);
            }
            if (!pending.isEmpty() && pending.peekFirst().isRoll()) {
                roll(pending.pollFirst());
                continue;
            }
            if (!pending.isEmpty()) {
                if (writeBatch(pending)) {
                    retryDelayMs = MIN_RETRY_DELAY_MS;
                } else if (!stopping) {
                    holdBack(pending);
                    LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(retryDelayMs));
                    retryDelayMs = Math.min(retryDelayMs * 2, MAX_RETRY_DELAY_MS);
                } else {
                    break;
                }
                continue;
            }
            if (stopping) {
                break;
            }
            writerParked = true;
            if (queue.isEmpty() && !stopRequested) {
                LockSupport.parkNanos(this, IDLE_PARK_NANOS);
            }
            writerParked = false;
        }
        drainAndClose(pending);
    }

    /** One batch; false if the log cannot be written now (the records stay in {@code pending}). */
    private boolean writeBatch(ArrayDeque<FileLogWriter.Pending> pending) {
        try {
            return writer.writeBatch(pending);
        } catch (RuntimeException unexpected) {
            PersistenceException failure = new PersistenceException("cannot append to the log in "
                    + config.dir() + ": " + unexpected, unexpected);
            FileLogWriter.Pending next;
            while ((next = pending.pollFirst()) != null) {
                next.fail(failure);
            }
            return true;
        }
    }

    /**
     * While the log cannot be written: every record queued so far joins the held-back ones (their
     * callers learn at once that the change is not durable yet), and snapshot roll requests fail.
     */
    private void holdBack(ArrayDeque<FileLogWriter.Pending> pending) {
        while (queue.drain(pending::addLast, MAX_BATCH_RECORDS) > 0) {
            // everything queued behind the held-back records keeps its place after them
        }
        StorageUnavailableException why = writer.unavailable();
        pending.removeIf(p -> {
            p.fail(why);
            return p.isRoll();
        });
    }

    @Override
    public void checkWritable() {
        FileLogWriter current = writer;
        StorageUnavailableException why = current == null ? null : current.unavailable();
        if (why != null) {
            throw new StorageUnavailableException("write refused, nothing was changed: " + why.getCause()
                    + " (" + config.dir() + "); reads are served, and writes are accepted again once the log"
                    + " can be written", false, why.getCause());
        }
    }

    /** On the writer thread after it stopped, or on the closing thread if it never started. */
    private void drainAndClose(ArrayDeque<FileLogWriter.Pending> pending) {
        if (writer == null) {
            PersistenceException failure = new PersistenceException("the log in " + config.dir()
                    + " was closed before recovery; nothing was written");
            FileLogWriter.Pending next;
            while ((next = queue.poll()) != null) {
                next.fail(failure);
            }
            return;
        }
        while (true) {
            queue.drain(pending::addLast, MAX_BATCH_RECORDS);
            if (pending.isEmpty()) {
                break;
            }
            while (!pending.isEmpty()) {
                if (pending.peekFirst().isRoll()) {
                    roll(pending.pollFirst());
                } else if (!writeBatch(pending)) {
                    abandon(pending);
                }
            }
        }
        writer.close();
    }

    /** At shutdown, records the log could not take are lost: they were never acknowledged as durable. */
    private void abandon(ArrayDeque<FileLogWriter.Pending> pending) {
        holdBack(pending);
        LOG.log(Level.ERROR, "closing {0} while the log cannot be written ({1}): {2} changes that were applied but"
                + " never acknowledged as durable are not in the log", config.dir(),
                writer.unavailable().getCause(), pending.size());
        pending.clear();
    }

    /** On the writer thread: rolls the log for a snapshot. */
    private void roll(FileLogWriter.Pending request) {
        try {
            request.roll().complete(writer.rollForSnapshot());
        } catch (IOException | RuntimeException e) {
            request.fail(e);
        }
    }

    private void periodicSnapshot() {
        try {
            snapshotNow();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "periodic snapshot in " + config.dir() + " failed; the log is kept, retrying in "
                    + config.snapshotIntervalMs() + " ms", e);
        }
    }

    /**
     * After the snapshot covering the log before record {@code covered} is durable: deletes older
     * snapshots, leftover temporary files and every segment numbered below {@code covered}.
     */
    private void deleteCovered(long covered) {
        Path dir = config.dir();
        List<Path> doomed = new ArrayList<>();
        try {
            for (Path old : FileSnapshot.snapshots(dir)) {
                if (FileSnapshot.coveredRecordNumberOf(old) < covered) {
                    doomed.add(old);
                }
            }
            doomed.addAll(FileSnapshot.leftovers(dir));
            for (Path segment : FileLogReader.segments(dir)) {
                if (FileLogFormat.firstRecordNumberOf(segment) < covered) {
                    doomed.add(segment);
                }
            }
            for (Path path : doomed) {
                Files.deleteIfExists(path);
            }
            if (!doomed.isEmpty()) {
                FileSnapshot.syncDirectory(dir);
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "snapshot " + FileSnapshot.name(covered) + " in " + dir
                    + " is durable but deleting what it covers failed; retried after the next snapshot", e);
        }
    }

    /**
     * Recovery: the newest valid snapshot, then the log from its covered position on. Snapshots that
     * fail validation and leftover temporary files are logged and skipped; falling back past an
     * invalid snapshot is corruption if the log it covered is gone.
     */
    private long recoverFiles(RecoverySink sink) {
        Path dir = config.dir();
        List<Path> snapshots;
        List<Path> segments;
        try {
            for (Path tmp : FileSnapshot.leftovers(dir)) {
                LOG.log(Level.INFO, "ignoring {0}: a snapshot interrupted before it was complete", tmp);
            }
            snapshots = FileSnapshot.snapshots(dir);
            segments = FileLogReader.segments(dir);
        } catch (IOException e) {
            throw new PersistenceException("cannot list the log directory " + dir + ": " + e, e);
        }
        Path chosen = null;
        List<Path> invalid = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Path snapshot : snapshots) {
            String problem;
            try {
                problem = FileSnapshot.check(snapshot);
            } catch (IOException e) {
                throw new PersistenceException("cannot read snapshot " + snapshot + ": " + e, e);
            }
            if (problem == null) {
                chosen = snapshot;
                break;
            }
            invalid.add(snapshot);
            problems.add(problem);
        }
        long base = chosen == null ? 0 : FileSnapshot.coveredRecordNumberOf(chosen);
        boolean baseLogPresent = segments.stream().anyMatch(s -> FileLogFormat.firstRecordNumberOf(s) == base);
        String fallback = chosen == null ? "the log alone" : "the older snapshot " + chosen;
        for (int i = 0; i < invalid.size(); i++) {
            Path bad = invalid.get(i);
            long covers = FileSnapshot.coveredRecordNumberOf(bad);
            if (covers <= base || baseLogPresent) {
                LOG.log(Level.WARNING, "invalid snapshot {0} ({1}) ignored; recovering from {2} and the log",
                        bad, problems.get(i), fallback);
                continue;
            }
            if (config.onCorruption() == FileLogConfig.OnCorruption.FAIL) {
                throw new PersistenceException("invalid snapshot " + bad + ": " + problems.get(i)
                        + "; the log segments it covers (records " + base + " to " + (covers - 1)
                        + ") are gone, so it cannot be replaced by " + fallback + "; nothing was changed. Set"
                        + " persist-file.recovery.onCorruption = truncate to recover from " + fallback
                        + " and drop it and everything after it");
            }
            try {
                Files.delete(bad);
                FileSnapshot.syncDirectory(dir);
            } catch (IOException e) {
                throw new PersistenceException("cannot delete invalid snapshot " + bad + ": " + e, e);
            }
            LOG.log(Level.WARNING, "invalid snapshot {0} ({1}) and the log it covered are gone;"
                    + " recovery.onCorruption = truncate deleted it and recovers from {2}", bad, problems.get(i), fallback);
        }
        boolean strict = chosen != null || !invalid.isEmpty();
        if (chosen != null) {
            try {
                snapshotRecords = FileSnapshot.replay(chosen, sink);
            } catch (IOException e) {
                throw new PersistenceException("cannot read snapshot " + chosen + ": " + e, e);
            }
        }
        return new FileLogReader(dir, config.onCorruption()).replay(sink, base, strict);
    }

    private static <T> T join(CompletableFuture<T> future) throws ExecutionException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return future.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void awaitQuietly(ScheduledExecutorService executor) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    if (executor.awaitTermination(1, TimeUnit.DAYS)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Passes replayed records on and notes the highest sequence of every bucket. */
    private static final class SequenceTracker implements RecoverySink {
        private final RecoverySink sink;
        final BucketSequences sequences = new BucketSequences();

        SequenceTracker(RecoverySink sink) {
            this.sink = sink;
        }

        @Override
        public void apply(ChangeRecord record) {
            sequences.note(record.bucket(), record.sequence());
            sink.apply(record);
        }

        @Override
        public void bucketSequence(int bucket, long sequence) {
            sequences.note(bucket, sequence);
            sink.bucketSequence(bucket, sequence);
        }
    }
}
