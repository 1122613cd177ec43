package io.shoal.core;

import io.shoal.ChangeType;
import io.shoal.ShoalException;
import io.shoal.spi.ChangeRecord;
import io.shoal.spi.PersistenceBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Connects the engine to its persistence backend: at start it replays the stored state into the
 * bucket stores (before anything serves) and hands the backend a view of the state for
 * snapshots; at stop it closes the backend while the stores are still open, so a last snapshot
 * can be written. Appends go through {@link ChangeBus}. With {@code persistence = none} it does
 * nothing.
 */
final class PersistenceLink implements Lifecycle.Component, PersistenceBackend.RecoverySink,
        PersistenceBackend.StateSource {
    private static final Logger LOG = LoggerFactory.getLogger(PersistenceLink.class);

    private final PersistenceBackend backend;
    private final LocalEngine engine;
    private final MapRegistry maps;
    private long replayed;
    private long applied;

    PersistenceLink(PersistenceBackend backend, LocalEngine engine, MapRegistry maps) {
        this.backend = backend;
        this.engine = engine;
        this.maps = maps;
    }

    @Override
    public void start() {
        if (backend == null) {
            return;
        }
        long started = System.nanoTime();
        backend.recover(this);
        LOG.info("recovered {} entries from {} replayed records in {} ms", engine.entries(), replayed,
                (System.nanoTime() - started) / 1_000_000);
        backend.start(this);
    }

    @Override
    public void stop() {
        if (backend != null) {
            backend.close();
        }
    }

    // ---- RecoverySink: called on the starting thread ----

    @Override
    public void apply(ChangeRecord record) {
        replayed++;
        checkBucket(record.bucket());
        if (engine.applyRecovered(maps.open(record.mapName()), record)) {
            applied++;
        }
    }

    @Override
    public void bucketSequence(int bucket, long sequence) {
        checkBucket(bucket);
        engine.bucket(bucket).raiseSequence(sequence);
    }

    // ---- StateSource: called on the backend's threads ----

    @Override
    public int bucketCount() {
        return engine.bucketCount();
    }

    @Override
    public long copyBucket(int bucket, Consumer<ChangeRecord> visitor) {
        checkBucket(bucket);
        return engine.bucket(bucket).copyAll((key, value) -> {
            MapHandle map = maps.byId(key.mapId);
            if (map == null) {
                throw new IllegalStateException("bucket " + bucket + " holds an entry of an unknown map id " + key.mapId);
            }
            visitor.accept(new ChangeRecord(ChangeType.CREATED, map.name, bucket, value.version, key.keyBytes(),
                    Arrays.copyOf(value.bytes, value.length), value.timestampMs, value.expiresAtMs));
        });
    }

    private void checkBucket(int bucket) {
        if (bucket < 0 || bucket >= engine.bucketCount()) {
            throw new ShoalException("persisted data names bucket " + bucket + " but this node has buckets.count = "
                    + engine.bucketCount() + ": the data was written with another buckets.count");
        }
    }
}
