package io.shoal.persist.file;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code fsync = interval}: forces the segment the writer appends to from a thread of its own, so
 * the writer thread keeps writing while the disk syncs ({@code FileChannel.force} is safe
 * concurrently with writes to the same channel).
 *
 * <p><b>Hand-off invariant.</b> The syncer forces a channel only while it holds {@link #lock} and
 * only the channel currently attached. The writer {@link #attach}es a segment's channel once it is
 * open (its header already fsynced) and {@link #detach}es it, under the same lock, before it closes
 * it, on every path that closes a channel (roll, close, truncation after an I/O error). Detaching
 * waits for a force in progress to return, so the syncer never forces a closed channel and a
 * channel is never closed under a force. A segment that is rolled or closed is forced by the writer
 * itself before it is closed, so every segment but the last is complete on disk before the next one
 * is created and after an OS crash only the last can have a torn tail (unless that fsync fails: the
 * writer then reports it like a failed write and, as before this class existed, still moves on to a
 * new segment). A channel dropped after an I/O error is not forced: its file is truncated back,
 * fsynced and attached again by the repair.
 *
 * <p><b>When it forces.</b> The writer counts the bytes it wrote ({@link #written}, a single
 * writer's volatile counter) and how much the segment can still take. The syncer forces when bytes
 * were written since the last successful force and either {@code fsyncIntervalMs} has passed since
 * the last force began or enough was written since: {@value #EARLY_FORCE_BYTES} bytes (a quarter of
 * a segment at most), less as the segment fills, down to {@value #MIN_EARLY_FORCE_BYTES} (the
 * writer then wakes it). Forcing sooner than the interval is always allowed: under load it keeps
 * the disk busy in moderate chunks instead of one large fsync per interval, and leaves little for
 * the writer to fsync itself when it rolls. A force that fails is logged and retried at the next
 * interval. A force covers every byte whose write returned before it began, so the count it reads
 * before it begins is what it makes durable.
 *
 * <p><b>Acknowledgements.</b> The writer acknowledges a batch once written, unless the force in
 * progress has been running longer than {@code fsyncIntervalMs} (a disk slower than the writes):
 * then {@link #awaitOverdueForce} makes it wait for that force to end first, so the log never runs
 * more than about one fsync ahead of the disk. A write acknowledged at time {@code t} is durable once
 * the first force that begins after {@code t} ends: within {@code fsyncIntervalMs} plus one fsync,
 * or, if the fsync in progress at {@code t} takes longer than the interval, that fsync's duration
 * plus the next one's.
 */
final class IntervalSyncer {
    static final long EARLY_FORCE_BYTES = 2L << 20;
    static final long MIN_EARLY_FORCE_BYTES = 128L << 10;
    private static final System.Logger LOG = System.getLogger(IntervalSyncer.class.getName());

    private final long intervalNanos;
    private final long earlyBytes;
    private final AtomicLong fsyncs;
    private final Object lock = new Object();

    private FileChannel channel; // guarded by lock
    private Path segment; // guarded by lock
    private volatile long syncedMark; // set under lock: the written count the last successful force (or attach) covers
    private volatile long written; // written by the writer thread only
    private volatile long segmentLeft = Long.MAX_VALUE; // written by the writer thread only
    private volatile long forcedFrom; // the written count when the last force began (or at attach)
    private volatile long forceStartedNanos; // 0 when no force is in progress
    private volatile boolean syncerParked;

    private volatile boolean stopping;
    private volatile Thread thread;

    /** {@code segmentSizeBytes} caps the early force: it is due after a quarter of a segment at most. */
    IntervalSyncer(long fsyncIntervalMs, long segmentSizeBytes, AtomicLong fsyncs) {
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(fsyncIntervalMs);
        this.earlyBytes = Math.max(1, Math.min(EARLY_FORCE_BYTES, segmentSizeBytes / 4));
        this.fsyncs = fsyncs;
    }

    /** Starts the syncer thread; without it, nothing is forced but by the writer itself. */
    void start(String name) {
        Thread t = new Thread(this::run, name);
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /** Stops the syncer thread and waits for it (a force in progress finishes first). Idempotent. */
    void stop() {
        stopping = true;
        Thread t = thread;
        if (t == null) {
            return;
        }
        LockSupport.unpark(t);
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writer thread: {@code opened} is the segment written to from now on; everything before it is durable. */
    void attach(FileChannel opened, Path path) {
        synchronized (lock) {
            channel = opened;
            segment = path;
            segmentLeft = Long.MAX_VALUE;
            syncedMark = written;
            forcedFrom = syncedMark;
        }
    }

    /** Writer thread, before it closes the attached channel: waits for a force in progress, then lets go of it. */
    void detach() {
        synchronized (lock) {
            channel = null;
            segment = null;
        }
    }

    /**
     * Writer thread, after a write of {@code bytes} to the attached channel returned;
     * {@code bytesLeft}: how much the segment can still take before it rolls.
     */
    void written(long bytes, long bytesLeft) {
        long now = written + bytes;
        segmentLeft = bytesLeft;
        written = now;
        if (now - forcedFrom >= earlyThreshold(bytesLeft) && syncerParked) {
            LockSupport.unpark(thread);
        }
    }

    /**
     * Bytes written since the last force began that make the next one due before the interval:
     * {@code earlyBytes}, and less as the segment fills (down to {@value #MIN_EARLY_FORCE_BYTES}),
     * so that little is left unsynced, and no large force is in progress, when the writer rolls.
     */
    private long earlyThreshold(long bytesLeft) {
        return Math.min(earlyBytes, Math.max(MIN_EARLY_FORCE_BYTES, bytesLeft));
    }

    /**
     * Writer thread, before it acknowledges what it wrote: if the force in progress has run longer
     * than the interval, waits until it ends.
     */
    void awaitOverdueForce() {
        long started = forceStartedNanos;
        if (started != 0 && System.nanoTime() - started > intervalNanos) {
            synchronized (lock) {
                // the force holds the lock: taking it waits for the force to end
            }
        }
    }

    /** True while a force is in progress that has run longer than the interval (for tests). */
    boolean forceOverdue() {
        long started = forceStartedNanos;
        return started != 0 && System.nanoTime() - started > intervalNanos;
    }

    private void run() {
        long lastForceStart = System.nanoTime();
        while (!stopping) {
            long now = System.nanoTime();
            long count = written;
            long dueIn = lastForceStart + intervalNanos - now;
            if (count != syncedMark && (dueIn <= 0 || count - forcedFrom >= earlyThreshold(segmentLeft))) {
                lastForceStart = now;
                force();
                continue;
            }
            syncerParked = true;
            // Pairs with written(): either the writer sees syncerParked or this sees its count.
            if (written - forcedFrom < earlyThreshold(segmentLeft) && !stopping) {
                LockSupport.parkNanos(this, count != syncedMark ? Math.max(dueIn, 1) : intervalNanos);
            }
            syncerParked = false;
        }
    }

    private void force() {
        synchronized (lock) {
            FileChannel target = channel;
            long mark = written;
            forcedFrom = mark;
            if (target == null || mark == syncedMark) {
                return;
            }
            long started = System.nanoTime();
            forceStartedNanos = started == 0 ? 1 : started;
            try {
                target.force(false);
                fsyncs.incrementAndGet();
                syncedMark = mark;
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.ERROR, "fsync of log segment " + segment + " failed; retrying in "
                        + TimeUnit.NANOSECONDS.toMillis(intervalNanos) + " ms", e);
            } finally {
                forceStartedNanos = 0;
            }
        }
    }
}
