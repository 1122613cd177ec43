package io.shoal.samples.check;

import io.shoal.BucketLostException;
import io.shoal.ShoalMap;
import io.shoal.client.ShoalClient;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The final read-back: every key read once more after the workload and the faults stopped, in rounds
 * of pipelined reads ({@value #IN_FLIGHT} in flight), a key that failed tried again next round, until
 * each key has been read or the deadline passed. Every attempt is recorded as a
 * {@link Op.Kind#FINAL_READ}. A key whose read fails with {@link BucketLostException} is not tried
 * again: its bucket lost every copy, which stays so until an operator restores it (the checker counts
 * the key as lost).
 */
final class FinalReadBack {
    static final int IN_FLIGHT = 64;
    private static final long ROUND_PAUSE_MS = 200;

    private FinalReadBack() {
    }

    /**
     * @param connect a client for the given addresses; may throw (tried again until the deadline)
     * @return every attempt; keys without an OK one (nor a bucket-lost one) could not be read in time
     */
    static List<Op> run(Function<List<String>, ShoalClient> connect, List<String> addresses, int keyCount,
                        long deadlineNanos, RunClock clock) throws InterruptedException {
        Queue<Op> ops = new ConcurrentLinkedQueue<>();
        List<Integer> pending = new ArrayList<>(keyCount);
        for (int k = 0; k < keyCount; k++) {
            pending.add(k);
        }
        while (!pending.isEmpty() && clock.nanoTime() < deadlineNanos) {
            ShoalClient client;
            try {
                client = connect.apply(addresses);
            } catch (RuntimeException e) {
                Thread.sleep(ROUND_PAUSE_MS); // back-off before connecting again; the loop ends at the deadline
                continue;
            }
            try (client) {
                ShoalMap<String, byte[]> map = client.map(Workload.MAP, String.class, byte[].class);
                while (!pending.isEmpty() && clock.nanoTime() < deadlineNanos) {
                    pending = round(map, pending, ops, deadlineNanos, clock);
                    if (!pending.isEmpty()) {
                        Thread.sleep(ROUND_PAUSE_MS); // back-off before the next round; the loop ends at the deadline
                    }
                }
            }
        }
        return new ArrayList<>(ops);
    }

    private static Throwable cause(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /** Reads every key of {@code keys} once; returns those that failed (but for a lost bucket). */
    private static List<Integer> round(ShoalMap<String, byte[]> map, List<Integer> keys, Queue<Op> ops,
                                       long deadlineNanos, RunClock clock) throws InterruptedException {
        Semaphore window = new Semaphore(IN_FLIGHT);
        Queue<Integer> failed = new ConcurrentLinkedQueue<>();
        int issued = 0;
        for (int key : keys) {
            if (!window.tryAcquire(Math.max(0, deadlineNanos - clock.nanoTime()), TimeUnit.NANOSECONDS)) {
                break;
            }
            issued++;
            long start = clock.nanoTime();
            CompletableFuture<byte[]> read;
            try {
                read = map.getAsync(Workload.keyName(key));
            } catch (RuntimeException e) {
                read = CompletableFuture.failedFuture(e);
            }
            read.whenComplete((bytes, error) -> {
                long end = clock.nanoTime();
                if (error == null) {
                    long value = Values.parse(bytes, key);
                    String foreign = value == Values.FOREIGN ? new String(bytes, StandardCharsets.UTF_8) : null;
                    ops.add(new Op(key, Op.Kind.FINAL_READ, value, foreign, start, end, Op.Outcome.OK));
                } else {
                    boolean bucketLost = cause(error) instanceof BucketLostException;
                    ops.add(new Op(key, Op.Kind.FINAL_READ, Values.ABSENT, null, start, end, Op.Outcome.FAILED,
                            bucketLost));
                    if (!bucketLost) {
                        failed.add(key);
                    }
                }
                window.release();
            });
        }
        // Wait for the reads in flight: each ends within the client's request timeout.
        window.tryAcquire(IN_FLIGHT, Math.max(0, deadlineNanos - clock.nanoTime()), TimeUnit.NANOSECONDS);
        List<Integer> again = new ArrayList<>(failed);
        again.addAll(keys.subList(issued, keys.size()));
        return again;
    }
}
