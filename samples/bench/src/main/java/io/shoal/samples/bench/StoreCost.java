package io.shoal.samples.bench;

import io.shoal.Codecs;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * A diagnostic of {@code bench remote}: the CPU one in-process {@code ShoalMap.get} or {@code put}
 * costs on the node's own map, on one thread, with the same keys, values and key picking as the
 * remote requests. That is the part of a remote request's cost that is the store's, so the rest of
 * the node I/O thread's CPU per request is the protocol and the transport. CPU time of the calling
 * thread, so other processes on the machine do not inflate it (they still pollute its caches).
 */
final class StoreCost {
    /** CPU nanoseconds per operation. */
    record Result(double getNanos, double putNanos) {
    }

    private StoreCost() {
    }

    static Result measure(ShoalNode node, int keys, long millis) {
        ShoalMap<byte[], byte[]> map = node.map(RemoteFrames.MAP, Codecs.bytes(), Codecs.bytes());
        byte[][] keyBytes = new byte[keys][];
        for (int i = 0; i < keys; i++) {
            keyBytes[i] = MapData.key(i);
        }
        byte[][] values = MapData.values();
        byte[] found = map.get(keyBytes[keys - 1]);
        if (found == null || found.length != MapData.VALUE_BYTES) {
            throw new IllegalStateException("ShoalMap '" + RemoteFrames.MAP + "' does not hold the entries the remote "
                    + "requests wrote (found " + (found == null ? "nothing" : found.length + " bytes") + ")");
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long[] state = {System.nanoTime() | 1};
        Op get = i -> map.get(keyBytes[i]);
        Op put = i -> map.put(keyBytes[i], values[i & (MapData.VALUE_VARIANTS - 1)]);
        run(millis / 2, threads, state, keys, get); // warm-up
        double getNanos = run(millis, threads, state, keys, get);
        run(millis / 2, threads, state, keys, put);
        double putNanos = run(millis, threads, state, keys, put);
        return new Result(getNanos, putNanos);
    }

    private interface Op {
        Object apply(int index);
    }

    private static double run(long millis, ThreadMXBean threads, long[] state, int keys, Op op) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        long cpuStart = threads.getCurrentThreadCpuTime();
        long ops = 0;
        long x = state[0];
        int sink = 0;
        while (System.nanoTime() < deadline) {
            for (int i = 0; i < 1024; i++) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                sink += op.apply((int) (((x >>> 32) * keys) >>> 32)) == null ? 1 : 0;
            }
            ops += 1024;
        }
        state[0] = x + sink; // keeps the results alive
        return (double) (threads.getCurrentThreadCpuTime() - cpuStart) / ops;
    }
}
