package io.shoal.core;

import net.openhft.chronicle.bytes.RandomDataInput;
import net.openhft.chronicle.hash.Data;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reclaims expired entries in the background ({@code expiry.sweepIntervalMs}). Each pass visits
 * the buckets that hold entries with an expiry time, collects the expired keys without locking,
 * then removes each through the engine, which re-checks the expiry under the bucket lock (a key
 * rewritten meanwhile is left alone) and emits an {@link io.shoal.ChangeType#EXPIRED} event.
 * Reads never return an expired entry whether or not the sweep has reached it.
 */
final class ExpirySweeper implements Lifecycle.Component {
    private static final Logger LOG = LoggerFactory.getLogger(ExpirySweeper.class);

    private final LocalEngine engine;
    private final MapRegistry maps;
    private final long intervalMs;
    private final Object wakeUp = new Object();
    private volatile boolean running;
    private Thread thread;

    ExpirySweeper(LocalEngine engine, MapRegistry maps, long intervalMs) {
        this.engine = engine;
        this.maps = maps;
        this.intervalMs = intervalMs;
    }

    @Override
    public void start() {
        running = true;
        thread = new Thread(this::run, "shoal-expiry");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void stop() {
        running = false;
        synchronized (wakeUp) {
            wakeUp.notifyAll();
        }
        if (thread != null) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        while (running) {
            try {
                sweepOnce();
            } catch (io.shoal.NodeClosedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("expiry sweep failed; retrying next interval", e);
            }
            synchronized (wakeUp) {
                if (running) {
                    try {
                        wakeUp.wait(intervalMs);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }
    }

    private record Expired(long mapId, byte[] key) {
    }

    /** One pass over every bucket; returns the number of entries reclaimed. */
    int sweepOnce() {
        int reclaimed = 0;
        List<Expired> expired = new ArrayList<>();
        for (int b = 0; b < engine.bucketCount() && running; b++) {
            BucketStore bucket = engine.bucket(b);
            if (!bucket.hasEntriesWithExpiry() || !engine.isPrimary(b)) {
                continue; // a copy of another node's bucket expires entries when that node says so
            }
            long nowMs = System.currentTimeMillis();
            expired.clear();
            bucket.visitAll(entry -> {
                Data<StoredValue> value = entry.value();
                long expiresAt = value.bytes().readLong(value.offset() + ValueLayout.EXPIRES_AT);
                if (expiresAt != 0 && expiresAt <= nowMs) {
                    Data<StoredKey> key = entry.key();
                    RandomDataInput in = key.bytes();
                    byte[] bytes = new byte[(int) (key.size() - ValueLayout.KEY_PREFIX_BYTES)];
                    in.read(key.offset() + ValueLayout.KEY_PREFIX_BYTES, bytes, 0, bytes.length);
                    expired.add(new Expired(in.readLong(key.offset()), bytes));
                }
                return running;
            });
            for (Expired e : expired) {
                MapHandle map = maps.byId(e.mapId());
                if (map != null) {
                    engine.expire(map, bucket, e.key());
                    reclaimed++;
                }
            }
        }
        return reclaimed;
    }
}
