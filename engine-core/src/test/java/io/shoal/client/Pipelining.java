package io.shoal.client;

import io.shoal.ShoalMap;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Checks that pipelining pays: async puts and gets with 1,024 in flight against one-at-a-time
 * puts, compared in the same moment (best of three rounds, as the build machine's load varies).
 * Not a benchmark: {@code bin/shoal bench remote} measures throughput.
 */
final class Pipelining {
    private static final int WINDOW = 1024;

    private Pipelining() {
    }

    static void assertPipelinedIsFasterThanOneAtATime(ShoalMap<Long, byte[]> map) throws Exception {
        byte[] value = new byte[64];
        run(map, value, 20_000); // warm-up
        List<String> rounds = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            int syncOps = 5_000;
            long syncStart = System.nanoTime();
            for (long i = 0; i < syncOps; i++) {
                map.put(i, value);
            }
            double syncPerSecond = syncOps / ((System.nanoTime() - syncStart) / 1e9);
            int ops = 200_000;
            long start = System.nanoTime();
            run(map, value, ops);
            double perSecond = ops / ((System.nanoTime() - start) / 1e9);
            rounds.add(Math.round(perSecond) + " vs " + Math.round(syncPerSecond));
            if (perSecond > 2 * syncPerSecond) {
                return;
            }
        }
        throw new AssertionError("pipelined vs one at a time, ops/s: " + rounds);
    }

    /** {@code ops} async puts and gets, at most {@link #WINDOW} in flight; fails on any failed call. */
    static void run(ShoalMap<Long, byte[]> map, byte[] value, int ops) throws Exception {
        Semaphore window = new Semaphore(WINDOW);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (long i = 0; i < ops; i++) {
            window.acquire();
            CompletableFuture<?> f = i % 2 == 0 ? map.putAsync(i / 2, value) : map.getAsync(i / 2);
            f.whenComplete((v, e) -> {
                if (e != null) {
                    failure.compareAndSet(null, e);
                }
                window.release();
            });
        }
        if (!window.tryAcquire(WINDOW, 60, TimeUnit.SECONDS)) {
            throw new AssertionError("calls still in flight after 60 s");
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
    }
}
