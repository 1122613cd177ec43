package io.shoal.samples.check;

import io.shoal.BucketLostException;
import io.shoal.CodecException;
import io.shoal.EntryTooLargeException;
import io.shoal.MemoryLimitExceededException;
import io.shoal.ShoalMap;
import io.shoal.StorageUnavailableException;
import io.shoal.client.ShoalClient;
import io.shoal.samples.check.Op.Outcome;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The recorded workload: worker threads, each with its own client and its own keys
 * ({@code key % workers == worker}), each looping: write a new unique value to one of its keys, then
 * read a key (half the time the one just written, else any). Every call is recorded as an {@link Op}
 * in the worker's own list (no sharing on the hot path), with {@link System#nanoTime()} before the
 * call and after its return. One writer per key, one write at a time: the values of a key are
 * written in a known order.
 *
 * <p>When the cluster's addresses change (a node came back on a new port, the extra node came or
 * went), a worker builds a new client for the new list, rotated by the worker's number so the workers
 * spread over the nodes.
 */
final class Workload {
    static final String MAP = "check";

    private final int workerCount;
    private final int keyCount;
    private final Function<List<String>, ShoalClient> connect;
    private final Supplier<List<String>> addresses;
    private final LongSupplier addressEpoch;
    private final RunClock clock;
    private final String[] keyNames;
    private final List<Worker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final LongAdder operations = new LongAdder();

    /**
     * @param connect      a client for the given node addresses (tried in order); may throw
     * @param addresses    the cluster's node addresses now
     * @param addressEpoch changes whenever the addresses may have
     */
    Workload(int workerCount, int keyCount, Function<List<String>, ShoalClient> connect,
             Supplier<List<String>> addresses, LongSupplier addressEpoch, SplittableRandom random, RunClock clock) {
        this.workerCount = workerCount;
        this.keyCount = keyCount;
        this.connect = connect;
        this.addresses = addresses;
        this.addressEpoch = addressEpoch;
        this.clock = clock;
        this.keyNames = new String[keyCount];
        for (int k = 0; k < keyCount; k++) {
            keyNames[k] = keyName(k);
        }
        for (int w = 0; w < workerCount; w++) {
            workers.add(new Worker(w, random.split()));
        }
    }

    static String keyName(int key) {
        return "k" + key;
    }

    void start() {
        for (Worker worker : workers) {
            Thread thread = new Thread(worker, "shoal-check-worker-" + worker.index);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
    }

    /** Operations made so far (any thread). */
    long operations() {
        return operations.sum();
    }

    /**
     * Stops the workers after their current operation and returns every operation recorded.
     *
     * @throws IllegalStateException if a worker did not end within {@code timeoutMs} (a client call that
     *     outlived its request timeout)
     */
    List<Op> stop(long timeoutMs) throws InterruptedException {
        stopping.countDown();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        for (Thread thread : threads) {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (thread.isAlive()) {
                thread.interrupt();
                thread.join(5_000);
                if (thread.isAlive()) {
                    throw new IllegalStateException(thread.getName() + " did not stop within " + timeoutMs
                            + " ms; it is stuck in a client call");
                }
            }
        }
        List<Op> all = new ArrayList<>();
        for (Worker worker : workers) {
            all.addAll(worker.ops);
        }
        return all;
    }

    /**
     * Errors the workers got, by kind ({@code write UNKNOWN RequestTimeoutException}), each with its count
     * and one message. After {@link #stop}.
     */
    Map<String, String> errors() {
        Map<String, long[]> counts = new TreeMap<>();
        Map<String, String> messages = new TreeMap<>();
        for (Worker worker : workers) {
            worker.errorCounts.forEach((k, v) -> counts.computeIfAbsent(k, x -> new long[1])[0] += v[0]);
            worker.errorMessages.forEach(messages::putIfAbsent);
        }
        Map<String, String> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, v[0] + " (e.g. " + messages.get(k) + ")"));
        return out;
    }

    /**
     * What a write's exception says about whether it was applied: {@link Outcome#FAILED} only when
     * the exception's contract says nothing changed; anything else may have been applied.
     */
    static Outcome writeOutcome(Throwable e) {
        if (e instanceof BucketLostException) {
            return Outcome.FAILED; // "Nothing was read or changed": the bucket has no copy to change
        }
        if (e instanceof StorageUnavailableException s) {
            return s.changeApplied() ? Outcome.UNKNOWN : Outcome.FAILED;
        }
        if (e instanceof MemoryLimitExceededException || e instanceof EntryTooLargeException
                || e instanceof IllegalArgumentException || e instanceof NullPointerException
                || e instanceof CodecException) {
            return Outcome.FAILED;
        }
        return Outcome.UNKNOWN; // RequestTimeoutException, ConnectionLostException, an error reply, anything else
    }

    private final class Worker implements Runnable {
        final int index;
        final SplittableRandom random;
        final int[] ownKeys;
        final List<Op> ops = new ArrayList<>();
        final Map<String, long[]> errorCounts = new TreeMap<>();
        final Map<String, String> errorMessages = new TreeMap<>();
        long counter;
        ShoalClient client;
        ShoalMap<String, byte[]> map;
        long epoch = Long.MIN_VALUE;

        Worker(int index, SplittableRandom random) {
            this.index = index;
            this.random = random;
            int own = (keyCount - index + workerCount - 1) / workerCount;
            ownKeys = new int[own];
            for (int i = 0; i < own; i++) {
                ownKeys[i] = index + i * workerCount;
            }
        }

        @Override
        public void run() {
            try {
                while (stopping.getCount() > 0) {
                    if (map == null || epoch != addressEpoch.getAsLong()) {
                        if (!reconnect()) {
                            stopping.await(200, TimeUnit.MILLISECONDS);
                            continue;
                        }
                    }
                    int key = ownKeys[random.nextInt(ownKeys.length)];
                    write(key);
                    read(random.nextBoolean() ? key : random.nextInt(keyCount));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                closeClient();
            }
        }

        private boolean reconnect() {
            closeClient();
            long seen = addressEpoch.getAsLong();
            List<String> nodes = new ArrayList<>(addresses.get());
            if (nodes.isEmpty()) {
                return false;
            }
            Collections.rotate(nodes, -(index % nodes.size()));
            try {
                client = connect.apply(nodes);
            } catch (RuntimeException e) {
                error("connect", e);
                return false;
            }
            map = client.map(MAP, String.class, byte[].class);
            epoch = seen;
            return true;
        }

        private void closeClient() {
            if (client != null) {
                try {
                    client.close();
                } catch (RuntimeException e) {
                    error("close", e);
                }
                client = null;
                map = null;
            }
        }

        private void write(int key) {
            long value = Values.id(index, ++counter);
            byte[] bytes = Values.bytes(value, key);
            long start = clock.nanoTime();
            Outcome outcome;
            boolean bucketLost = false;
            try {
                map.put(keyNames[key], bytes);
                outcome = Outcome.OK;
            } catch (RuntimeException e) {
                outcome = writeOutcome(e);
                bucketLost = e instanceof BucketLostException;
                error("write " + outcome, e);
            }
            ops.add(new Op(key, Op.Kind.WRITE, value, null, start, clock.nanoTime(), outcome, bucketLost));
            operations.increment();
        }

        private void read(int key) {
            long start = clock.nanoTime();
            Op op;
            try {
                byte[] bytes = map.get(keyNames[key]);
                long end = clock.nanoTime();
                long value = Values.parse(bytes, key);
                String foreign = value == Values.FOREIGN ? new String(bytes, StandardCharsets.UTF_8) : null;
                op = new Op(key, Op.Kind.READ, value, foreign, start, end, Outcome.OK);
            } catch (RuntimeException e) {
                error("read", e);
                op = new Op(key, Op.Kind.READ, Values.ABSENT, null, start, clock.nanoTime(), Outcome.FAILED,
                        e instanceof BucketLostException);
            }
            ops.add(op);
            operations.increment();
        }

        private void error(String what, RuntimeException e) {
            String kind = what + " " + e.getClass().getSimpleName();
            errorCounts.computeIfAbsent(kind, k -> new long[1])[0]++;
            errorMessages.putIfAbsent(kind, String.valueOf(e.getMessage()));
        }
    }
}
