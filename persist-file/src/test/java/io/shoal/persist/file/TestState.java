package io.shoal.persist.file;

import io.shoal.ChangeType;
import io.shoal.spi.ChangeRecord;
import io.shoal.spi.PersistenceBackend;

import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The engine's state in miniature for snapshot tests: per-bucket locks (a bucket's copy blocks only
 * that bucket's writers), the engine's idempotent replay rule (a record at or below its bucket's
 * sequence is skipped), and a sink that counts what recovery replays.
 */
final class TestState implements PersistenceBackend.StateSource, PersistenceBackend.RecoverySink {
    private final long[] sequences;
    private final Map<String, ChangeRecord>[] live;
    private final Object[] locks;
    volatile Consumer<Integer> onCopy = bucket -> { };
    int applied;
    int raised;

    @SuppressWarnings("unchecked")
    TestState(int buckets) {
        sequences = new long[buckets];
        live = new Map[buckets];
        locks = new Object[buckets];
        for (int b = 0; b < buckets; b++) {
            live[b] = new TreeMap<>();
            locks[b] = new Object();
        }
    }

    /** As the engine's writer: applies {@code record} and appends it with the bucket locked. */
    CompletableFuture<Void> write(PersistenceBackend backend, ChangeRecord record) {
        synchronized (locks[record.bucket()]) {
            apply(record);
            return backend.append(record);
        }
    }

    @Override
    public void apply(ChangeRecord record) {
        synchronized (locks[record.bucket()]) {
            applied++;
            if (record.sequence() <= sequences[record.bucket()]) {
                return;
            }
            sequences[record.bucket()] = record.sequence();
            String id = record.mapName() + "/" + HexFormat.of().formatHex(record.key());
            if (record.type().isRemoval()) {
                live[record.bucket()].remove(id);
            } else {
                live[record.bucket()].put(id, record);
            }
        }
    }

    @Override
    public void bucketSequence(int bucket, long sequence) {
        synchronized (locks[bucket]) {
            raised++;
            sequences[bucket] = Math.max(sequences[bucket], sequence);
        }
    }

    long sequence(int bucket) {
        synchronized (locks[bucket]) {
            return sequences[bucket];
        }
    }

    @Override
    public int bucketCount() {
        return sequences.length;
    }

    @Override
    public long copyBucket(int bucket, Consumer<ChangeRecord> visitor) {
        synchronized (locks[bucket]) {
            onCopy.accept(bucket);
            for (ChangeRecord r : live[bucket].values()) {
                visitor.accept(new ChangeRecord(ChangeType.CREATED, r.mapName(), bucket, r.sequence(), r.key(), r.value(),
                        r.timestampMs(), r.expiresAtMs()));
            }
            return sequences[bucket];
        }
    }

    /** Every live entry (as a CREATED record) and every bucket's sequence, as text. */
    String describe() {
        StringBuilder b = new StringBuilder();
        for (int bucket = 0; bucket < sequences.length; bucket++) {
            b.append("bucket ").append(bucket).append(" at ").append(sequence(bucket)).append('\n');
            java.util.List<ChangeRecord> entries = new java.util.ArrayList<>();
            copyBucket(bucket, entries::add);
            b.append(Spec.describe(entries));
        }
        return b.toString();
    }
}
