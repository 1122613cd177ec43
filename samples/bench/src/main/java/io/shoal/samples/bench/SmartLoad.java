package io.shoal.samples.bench;

import io.shoal.ShoalMap;
import org.HdrHistogram.Histogram;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

/**
 * The load of {@code bench cluster}: GETs and PUTs through a {@link ShoalMap} of the Java client
 * ({@code io.shoal.client.ShoalClient} with smart routing), in a closed loop at full speed, as
 * {@link LoadGenerator} does over raw frames for {@code bench remote}: a request goes out as soon as
 * the previous one of its slot is answered, keys are picked uniformly by a per-slot xorshift
 * generator, PUTs write one of the {@link MapData#values()}, every GET must find a 100-byte value.
 *
 * <p>Two shapes: {@code callers} application threads each making synchronous calls (depth 1), or,
 * with {@code depth > 1}, {@code callers × depth} chains of asynchronous calls
 * ({@code getAsync}/{@code putAsync}) started from the calling thread, each sending its next request
 * from the callback of the previous one (on the client's I/O thread). Latency runs from just
 * before the call to its completion as the caller sees it (the return of the synchronous call; the
 * callback of the future), in nanoseconds, recorded per slot in an HdrHistogram and merged at the
 * end. Requests completed in the measured window count; ops/s is their number over its length.
 */
final class SmartLoad {
    private static final long HIGHEST_TRACKABLE_NANOS = RemoteReport.HIGHEST_TRACKABLE_NANOS;
    private static final long DRAIN_TIMEOUT_MS = 15_000;
    /** Names of the synchronous caller threads. */
    static final String THREAD_NAME = "bench-caller";

    private SmartLoad() {
    }

    /**
     * PUTs the keys {@code [0, count)} once each, in order, {@code depth} in flight, the value of
     * {@link MapData#fillVariant}; returns when every PUT was acknowledged.
     *
     * @throws IllegalStateException if a PUT failed or {@code timeoutMs} passed
     */
    static LoadGenerator.Measurement fill(ShoalMap<byte[], byte[]> map, int count, int depth, long timeoutMs)
            throws InterruptedException {
        byte[][] values = MapData.values();
        Semaphore slots = new Semaphore(depth);
        AtomicReference<String> failure = new AtomicReference<>();
        long started = System.nanoTime();
        long deadline = started + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        for (int i = 0; i < count && failure.get() == null; i++) {
            if (!slots.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("the fill timed out after " + i + " of " + count + " PUTs");
            }
            int index = i;
            map.putAsync(MapData.key(i), values[MapData.fillVariant(i)]).whenComplete((version, error) -> {
                if (error != null) {
                    failure.compareAndSet(null, "PUT of key " + index + " failed: " + error);
                }
                slots.release();
            });
        }
        if (!slots.tryAcquire(depth, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            throw new IllegalStateException("the fill timed out waiting for the last PUTs");
        }
        if (failure.get() != null) {
            throw new IllegalStateException(failure.get());
        }
        return new LoadGenerator.Measurement(count, (System.nanoTime() - started) / 1e9,
                new Histogram(HIGHEST_TRACKABLE_NANOS, 3), Map.of(), 0);
    }

    /**
     * Reads the keys {@code 0, step, 2 step, ...} below {@code count}, {@code depth} in flight, and
     * checks that each holds what {@link #fill} wrote; returns how many were checked.
     *
     * @throws IllegalStateException naming the first key that is missing or holds something else,
     *     or if {@code timeoutMs} passed
     */
    static int verify(ShoalMap<byte[], byte[]> map, int count, int step, int depth, long timeoutMs)
            throws InterruptedException {
        byte[][] values = MapData.values();
        Semaphore slots = new Semaphore(depth);
        AtomicReference<String> failure = new AtomicReference<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        int checked = 0;
        for (int i = 0; i < count && failure.get() == null; i += step) {
            if (!slots.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("reading back timed out after " + checked + " keys");
            }
            int index = i;
            checked++;
            map.getAsync(MapData.key(i)).whenComplete((value, error) -> {
                byte[] expected = values[MapData.fillVariant(index)];
                if (error != null) {
                    failure.compareAndSet(null, "GET of key " + index + " failed: " + error);
                } else if (value == null) {
                    failure.compareAndSet(null, "key " + index + " has no value");
                } else if (!java.util.Arrays.equals(value, expected)) {
                    failure.compareAndSet(null, "key " + index + " holds a " + value.length + "-byte value that is not "
                            + "the one written");
                }
                slots.release();
            });
        }
        if (!slots.tryAcquire(depth, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            throw new IllegalStateException("reading back timed out waiting for the last GETs");
        }
        if (failure.get() != null) {
            throw new IllegalStateException("reading back: " + failure.get());
        }
        return checked;
    }

    /**
     * {@code warmupMs} of load, then a measured window of {@code measureMs}, then the requests in
     * flight are waited for.
     *
     * @param keys requests pick among these (each must hold a 100-byte value for a GET)
     * @throws IllegalStateException if a request failed, a GET found no 100-byte value, or the
     *     requests in flight were not answered within 15 s
     */
    static LoadGenerator.Measurement measure(ShoalMap<byte[], byte[]> map, byte[][] keys, LoadGenerator.Op op,
                                             int callers, int depth, long warmupMs, long measureMs)
            throws InterruptedException {
        Run run = new Run(map, keys, op);
        List<Slot> slots = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        if (depth == 1) {
            for (int c = 0; c < callers; c++) {
                Slot slot = new Slot(run);
                slots.add(slot);
                Thread thread = new Thread(slot::loop, THREAD_NAME + "-" + c);
                thread.setDaemon(true);
                threads.add(thread);
            }
        } else {
            for (int s = 0; s < callers * depth; s++) {
                slots.add(new Slot(run));
            }
        }
        run.done = new CountDownLatch(slots.size());
        if (threads.isEmpty()) {
            for (Slot slot : slots) {
                slot.send();
            }
        } else {
            threads.forEach(Thread::start);
        }
        Thread.sleep(warmupMs);
        Map<String, ThreadStats.Counters> before = ThreadStats.snapshot();
        long gcBefore = gcMillis();
        long from = System.nanoTime();
        run.phase = Run.MEASURE;
        Thread.sleep(measureMs);
        run.phase = Run.STOP;
        long to = System.nanoTime();
        Map<String, ThreadStats.Counters> window = ThreadStats.delta(before, ThreadStats.snapshot());
        long gc = gcMillis() - gcBefore;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_TIMEOUT_MS);
        while (!run.done.await(10, TimeUnit.MILLISECONDS)) {
            if (System.nanoTime() - deadline > 0) {
                run.fail("timed out waiting for the requests in flight");
                break;
            }
        }
        if (run.failure.get() != null) {
            throw new IllegalStateException(run.failure.get());
        }
        Histogram merged = new Histogram(HIGHEST_TRACKABLE_NANOS, 3);
        long requests = 0;
        for (Slot slot : slots) {
            merged.add(slot.histogram);
            requests += slot.measured;
        }
        return new LoadGenerator.Measurement(requests, (to - from) / 1e9, merged, window, gc);
    }

    private static long gcMillis() {
        long sum = 0;
        for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            sum += Math.max(0, collector.getCollectionTime());
        }
        return sum;
    }

    /** State shared by the slots of one run; {@link #phase} is set by the controlling thread. */
    private static final class Run {
        static final int WARMUP = 0;
        static final int MEASURE = 1;
        static final int STOP = 2;

        final ShoalMap<byte[], byte[]> map;
        final byte[][] keys;
        final byte[][] values = MapData.values();
        final LoadGenerator.Op op;
        final AtomicReference<String> failure = new AtomicReference<>();
        volatile int phase = WARMUP;
        CountDownLatch done;

        Run(ShoalMap<byte[], byte[]> map, byte[][] keys, LoadGenerator.Op op) {
            this.map = map;
            this.keys = keys;
            this.op = op;
        }

        void fail(String why) {
            failure.compareAndSet(null, why);
        }
    }

    /**
     * One request at a time: a thread's loop, or a chain of asynchronous calls. A chain's fields are
     * touched by one completion at a time, each after the previous (the future's completion orders them).
     */
    private static final class Slot implements BiConsumer<Object, Throwable> {
        private final Run run;
        final Histogram histogram = new Histogram(HIGHEST_TRACKABLE_NANOS, 3);
        long measured;
        private long sentAtNanos;
        private long random = ThreadLocalRandom.current().nextLong() | 1; // xorshift must not start at 0

        Slot(Run run) {
            this.run = run;
        }

        private long next() {
            long x = random;
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            random = x;
            return x;
        }

        private byte[] key(long x) {
            return run.keys[(int) (((x >>> 32) * run.keys.length) >>> 32)];
        }

        /** Synchronous calls until the run stops. */
        void loop() {
            boolean get = run.op == LoadGenerator.Op.GET;
            try {
                while (run.phase < Run.STOP && run.failure.get() == null) {
                    long x = next();
                    long sent = System.nanoTime();
                    if (get) {
                        check(run.map.get(key(x)));
                    } else {
                        run.map.put(key(x), run.values[(int) x & (MapData.VALUE_VARIANTS - 1)]);
                    }
                    record(System.nanoTime() - sent);
                }
            } catch (RuntimeException e) {
                run.fail(run.op.label() + " failed: " + e);
            } finally {
                run.done.countDown();
            }
        }

        /** Sends the chain's next request, or ends the chain. */
        void send() {
            if (run.phase >= Run.STOP || run.failure.get() != null) {
                run.done.countDown();
                return;
            }
            long x = next();
            CompletableFuture<?> reply;
            sentAtNanos = System.nanoTime();
            try {
                reply = run.op == LoadGenerator.Op.GET ? run.map.getAsync(key(x))
                        : run.map.putAsync(key(x), run.values[(int) x & (MapData.VALUE_VARIANTS - 1)]);
            } catch (RuntimeException e) {
                run.fail(run.op.label() + " failed: " + e);
                run.done.countDown();
                return;
            }
            reply.whenComplete(this);
        }

        @Override
        public void accept(Object result, Throwable error) {
            long now = System.nanoTime();
            try {
                if (error != null) {
                    throw new IllegalStateException(run.op.label() + " failed: " + error, error);
                }
                if (run.op == LoadGenerator.Op.GET) {
                    check(result);
                }
            } catch (RuntimeException e) {
                run.fail(e.getMessage());
                run.done.countDown();
                return;
            }
            record(now - sentAtNanos);
            send();
        }

        private void record(long nanos) {
            if (run.phase == Run.MEASURE) {
                histogram.recordValue(Math.min(nanos, HIGHEST_TRACKABLE_NANOS));
                measured++;
            }
        }

        private static void check(Object value) {
            if (!(value instanceof byte[] bytes) || bytes.length != MapData.VALUE_BYTES) {
                throw new IllegalStateException("a GET found " + (value == null ? "no value"
                        : value instanceof byte[] b ? "a value of " + b.length + " bytes" : value) + ", expected "
                        + MapData.VALUE_BYTES + " bytes");
            }
        }
    }
}
