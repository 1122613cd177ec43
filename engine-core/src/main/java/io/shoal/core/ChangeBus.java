package io.shoal.core;

import io.shoal.ChangeType;
import io.shoal.ShoalException;
import io.shoal.StorageUnavailableException;
import io.shoal.Subscription;
import io.shoal.spi.ChangeRecord;
import io.shoal.spi.ChangeRecordListener;
import io.shoal.spi.PersistenceBackend;
import org.jctools.queues.MpscArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Where applied changes go: to the persistence backend (on the writer's thread, bucket locked, so
 * in bucket order) and to listeners (through a bounded JCTools MPSC queue drained by one event
 * thread, so writers never wait for a listener and events of a bucket keep their order).
 *
 * <p>A change is copied into a {@link ChangeRecord} only when someone needs it: the map has
 * listeners, a plugin listens to everything, or persistence is on. When the queue is full the
 * event is dropped and counted; the map's listeners are told the count before their next event.
 * The event thread parks with a short backoff when idle; writers never wake it, because a wake-up
 * costs a writer more than the event's whole delivery.
 */
final class ChangeBus implements BucketStore.ChangeSink, Lifecycle.Component {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeBus.class);
    private static final long MAX_IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final MpscArrayQueue<Object[]> queue;
    private final PersistenceBackend persistence;
    private final MapRegistry maps;
    private final CopyOnWriteArrayList<ChangeRecordListener> globalListeners = new CopyOnWriteArrayList<>();
    private final AtomicLong droppedTotal = new AtomicLong();
    private final AtomicLong droppedForGlobal = new AtomicLong();
    private final ThreadLocal<CompletableFuture<Void>> pendingDurability = new ThreadLocal<>();
    private volatile boolean running;
    private Thread thread;

    ChangeBus(int queueCapacity, PersistenceBackend persistence, MapRegistry maps) {
        this.queue = new MpscArrayQueue<>(queueCapacity);
        this.persistence = persistence;
        this.maps = maps;
    }

    /**
     * Takes every change this node makes as a bucket's primary to the bucket's other copies.
     * Called by the writer with the bucket locked, so in bucket order; must not block.
     */
    interface Replication {
        /**
         * @return a future completed when every copy that must acknowledge the change has, or
         *     {@code null} when the writer need not wait (no copies, or asynchronous backups)
         */
        CompletableFuture<Void> replicate(ChangeRecord change);
    }

    /** Set when the node joins a cluster; null while it is alone. */
    volatile Replication replication;

    @Override
    public void applied(MapHandle map, BucketStore bucket, ChangeType type, long sequence, StoredKey key,
                        StoredValue value, long nowMs) {
        boolean toListeners = !map.listeners.isEmpty() || !globalListeners.isEmpty();
        Replication replicas = replication;
        if (!toListeners && persistence == null && replicas == null) {
            return;
        }
        ChangeRecord record = record(map, bucket, type, sequence, key, value, nowMs);
        CompletableFuture<Void> stored = persistence == null ? null : persistence.append(record);
        CompletableFuture<Void> copied = replicas == null ? null : replicas.replicate(record);
        if (stored != null || copied != null) {
            pendingDurability.set(stored == null ? copied : copied == null ? stored : CompletableFuture.allOf(stored, copied));
        }
        if (toListeners && !queue.offer(new Object[] {map, record})) {
            droppedTotal.incrementAndGet();
            if (!map.listeners.isEmpty()) {
                map.droppedUndelivered.incrementAndGet();
            }
            if (!globalListeners.isEmpty()) {
                droppedForGlobal.incrementAndGet();
            }
        }
    }

    @Override
    public void replicated(MapHandle map, BucketStore bucket, ChangeType type, long sequence, StoredKey key,
                           StoredValue value, long nowMs) {
        if (persistence != null) {
            pendingDurability.set(persistence.append(record(map, bucket, type, sequence, key, value, nowMs)));
        }
    }

    private static ChangeRecord record(MapHandle map, BucketStore bucket, ChangeType type, long sequence, StoredKey key,
                                       StoredValue value, long nowMs) {
        return new ChangeRecord(type, map.name, bucket.index, sequence, key.keyBytes(),
                value == null ? null : Arrays.copyOf(value.bytes, value.length),
                value == null ? nowMs : value.timestampMs == 0 ? nowMs : value.timestampMs,
                value == null ? 0 : value.expiresAtMs);
    }

    /**
     * Refuses a change before it is applied while persistence cannot store changes.
     *
     * @throws io.shoal.StorageUnavailableException then
     */
    void checkWritable() {
        if (persistence != null) {
            persistence.checkWritable();
        }
    }

    /** Whether persistence takes changes now (see {@link #checkWritable}). */
    boolean writable() {
        try {
            checkWritable();
            return true;
        } catch (StorageUnavailableException e) {
            return false;
        }
    }

    /**
     * Takes the durability of this thread's last change: a future completed when persistence has
     * stored it as its policy promises, or {@code null} when there is nothing to wait for.
     */
    CompletableFuture<Void> takeDurability() {
        if (persistence == null && replication == null) {
            return null;
        }
        CompletableFuture<Void> pending = pendingDurability.get();
        if (pending != null) {
            pendingDurability.remove();
        }
        return pending;
    }

    /** Waits until this thread's last change is as durable as persistence promises. */
    void awaitDurable() {
        CompletableFuture<Void> pending = takeDurability();
        if (pending != null) {
            try {
                pending.join();
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause() instanceof ShoalException se ? se : new ShoalException("write not stored", e.getCause());
            }
        }
    }

    Subscription addGlobalListener(ChangeRecordListener listener) {
        globalListeners.add(listener);
        return () -> globalListeners.remove(listener);
    }

    long droppedTotal() {
        return droppedTotal.get();
    }

    @Override
    public void start() {
        running = true;
        thread = new Thread(this::run, "shoal-events");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void stop() {
        running = false;
        if (thread != null) {
            LockSupport.unpark(thread);
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        long parkNanos = 1_000;
        while (true) {
            try {
                if (drain() > 0) {
                    parkNanos = 1_000;
                    continue;
                }
                if (!running) {
                    while (drain() > 0) {
                        // deliver everything queued before the stop
                    }
                    return;
                }
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) {
                LOG.error("event delivery failed; the event thread goes on", e);
            }
            LockSupport.parkNanos(parkNanos);
            parkNanos = Math.min(parkNanos * 2, MAX_IDLE_PARK_NANOS);
        }
    }

    private int drain() {
        int count = 0;
        Object[] item;
        while (count < 4096 && (item = queue.poll()) != null) {
            deliver((MapHandle) item[0], (ChangeRecord) item[1]);
            count++;
        }
        if (count == 0) {
            reportDrops(); // drops with no event after them yet
        }
        return count;
    }

    private void deliver(MapHandle map, ChangeRecord record) {
        // A drop happened before this event was queued, so it is reported first.
        reportDrops(map);
        reportGlobalDrops();
        for (ListenerRegistration registration : map.listeners) {
            if (registration.matches(record.key())) {
                safely(() -> registration.deliver(record));
            }
        }
        for (ChangeRecordListener listener : globalListeners) {
            safely(() -> listener.onChange(record));
        }
    }

    private void reportDrops() {
        for (MapHandle map : maps.all()) {
            reportDrops(map);
        }
        reportGlobalDrops();
    }

    private static void reportDrops(MapHandle map) {
        long dropped = map.droppedUndelivered.get();
        if (dropped > 0 && map.droppedUndelivered.compareAndSet(dropped, 0)) {
            for (ListenerRegistration registration : map.listeners) {
                safely(() -> registration.dropped(dropped));
            }
        }
    }

    private void reportGlobalDrops() {
        if (droppedForGlobal.get() == 0) {
            return;
        }
        long dropped = droppedForGlobal.getAndSet(0);
        if (dropped > 0) {
            for (ChangeRecordListener listener : globalListeners) {
                safely(() -> listener.onEventsDropped(dropped));
            }
        }
    }

    private static void safely(Runnable delivery) {
        try {
            delivery.run();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            LOG.warn("change listener failed; delivery goes on", e);
        }
    }
}
