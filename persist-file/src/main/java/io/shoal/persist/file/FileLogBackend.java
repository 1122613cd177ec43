package io.shoal.persist.file;

import io.shoal.spi.ChangeRecord;
import io.shoal.spi.PersistenceBackend;

import java.lang.invoke.VarHandle;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
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
 * {@link FileLogWriter}. {@link #recover} replays the segments with a {@link FileLogReader} and
 * creates the directory; nothing is opened before it.
 *
 * <p>Shutdown: {@link #close} flags the backend closed, waits for appends already past the closed
 * check to finish enqueueing (a few instructions), then tells the writer to stop; the writer drains
 * and writes everything queued, fsyncs and closes the segment, so every returned future completes.
 */
final class FileLogBackend implements PersistenceBackend {
    private static final int MAX_BATCH_RECORDS = 4096;
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final FileLogConfig config;
    private final FileLogChannels channels;
    private final Clock clock;
    private final AtomicLong fsyncs = new AtomicLong();
    private final MpscUnboundedArrayQueue<FileLogWriter.Pending> queue = new MpscUnboundedArrayQueue<>(1024);
    private final AtomicInteger appendsInFlight = new AtomicInteger();
    private final Object lifecycle = new Object();

    private volatile boolean closed;
    private volatile boolean stopRequested;
    private volatile boolean writerParked;
    private volatile Thread writerThread;
    private FileLogWriter writer; // guarded by lifecycle until the writer thread starts, then owned by it
    private StateSource stateSource;
    private boolean started; // guarded by lifecycle

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
            long next = new FileLogReader(config.dir(), config.onCorruption()).replay(sink);
            writer = new FileLogWriter(config, channels, clock, fsyncs, next);
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
            Thread thread = new Thread(this::runWriter, "shoal-file-log " + config.dir());
            thread.setDaemon(true);
            writerThread = thread;
            thread.start();
        }
    }

    @Override
    public CompletableFuture<Void> append(ChangeRecord record) {
        Objects.requireNonNull(record, "record");
        CompletableFuture<Void> done = new CompletableFuture<>();
        appendsInFlight.incrementAndGet();
        try {
            if (closed) {
                done.completeExceptionally(new PersistenceException("cannot append " + record + " to the log in "
                        + config.dir() + ": the backend is closed"));
                return done;
            }
            queue.offer(new FileLogWriter.Pending(record, done));
        } finally {
            appendsInFlight.decrementAndGet();
        }
        // Pairs with the writer's "writerParked = true; check queue": either it sees our record or we
        // see it parked. The fence keeps the queue store from passing the writerParked load.
        VarHandle.fullFence();
        if (writerParked) {
            LockSupport.unpark(writerThread);
        }
        return done;
    }

    @Override
    public void close() {
        Thread thread;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
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
                drainAndClose();
            }
        }
    }

    /** Number of fsyncs of segment files so far (data and header syncs). */
    long fsyncCount() {
        return fsyncs.get();
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
        while (true) {
            boolean stopping = stopRequested;
            if (pending.isEmpty()) {
                queue.drain(into, MAX_BATCH_RECORDS);
            }
            if (!pending.isEmpty()) {
                try {
                    writer.writeBatch(pending);
                    writer.syncIfDue();
                } catch (RuntimeException unexpected) {
                    PersistenceException failure = new PersistenceException("cannot append to the log in "
                            + config.dir() + ": " + unexpected, unexpected);
                    FileLogWriter.Pending next;
                    while ((next = pending.pollFirst()) != null) {
                        next.done().completeExceptionally(failure);
                    }
                }
                continue;
            }
            if (stopping) {
                break;
            }
            long dueMs = writer.syncIfDue();
            writerParked = true;
            if (queue.isEmpty() && !stopRequested) {
                LockSupport.parkNanos(this, Math.min(IDLE_PARK_NANOS, TimeUnit.MILLISECONDS.toNanos(Math.max(1, dueMs))));
            }
            writerParked = false;
        }
        drainAndClose();
    }

    /** On the writer thread after it stopped, or on the closing thread if it never started. */
    private void drainAndClose() {
        if (writer == null) {
            PersistenceException failure = new PersistenceException("the log in " + config.dir()
                    + " was closed before recovery; nothing was written");
            FileLogWriter.Pending next;
            while ((next = queue.poll()) != null) {
                next.done().completeExceptionally(failure);
            }
            return;
        }
        ArrayDeque<FileLogWriter.Pending> pending = new ArrayDeque<>();
        while (true) {
            queue.drain(pending::addLast, MAX_BATCH_RECORDS);
            if (pending.isEmpty()) {
                break;
            }
            while (!pending.isEmpty()) {
                writer.writeBatch(pending);
            }
        }
        writer.close();
    }
}
