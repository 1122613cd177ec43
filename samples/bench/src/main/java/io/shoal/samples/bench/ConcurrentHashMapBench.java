package io.shoal.samples.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@link ConcurrentHashMap} on the heap: the cost of a map that neither copies nor serializes.
 * {@code get} returns the stored array itself and {@code put} stores a reference (and returns the
 * old one, which costs nothing extra). Keys are precomputed {@link HeapKey}s over the same 16
 * bytes, with their hash cached as {@code String} does.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 5, time = 5)
@Measurement(iterations = 5, time = 5)
public class ConcurrentHashMapBench {
    private ConcurrentHashMap<HeapKey, byte[]> map;
    private HeapKey[] keys;
    private byte[][] values;

    @Setup
    public void fill() {
        long started = System.nanoTime();
        byte[][] raw = MapData.keys();
        keys = new HeapKey[raw.length];
        for (int i = 0; i < raw.length; i++) {
            keys[i] = new HeapKey(raw[i]);
        }
        values = MapData.values();
        map = new ConcurrentHashMap<>(MapData.ENTRIES * 4 / 3 + 1);
        FillCheck.fill(i -> map.put(keys[i], values[MapData.fillVariant(i)]));
        FillCheck.verify("ConcurrentHashMap", map.mappingCount(), i -> map.get(new HeapKey(MapData.key(i))), values,
                started);
    }

    @Benchmark
    public byte[] get(KeyPicker picker) {
        return map.get(keys[picker.nextIndex()]);
    }

    @Benchmark
    public byte[] put(KeyPicker picker) {
        return map.put(keys[picker.nextIndex()], values[picker.valueVariant()]);
    }

    /**
     * A byte[] key with content equality and a cached hash. Not {@link Arrays#hashCode(byte[])}: on
     * these keys (a small big-endian index, then constant padding) its polynomial gives only about
     * 22,000 distinct values for the 1M keys, which turns the map into long collision chains. The
     * hash here is a 64-bit polynomial over the bytes,
     * spread by MurmurHash3's finalizer.
     */
    static final class HeapKey {
        private final byte[] bytes;
        private final int hash;

        HeapKey(byte[] bytes) {
            this.bytes = bytes;
            this.hash = hash(bytes);
        }

        static int hash(byte[] bytes) {
            long h = 0;
            for (int i = 0; i < bytes.length; i++) {
                h = h * 0x100000001b3L + (bytes[i] & 0xFF);
            }
            h ^= h >>> 33;
            h *= 0xff51afd7ed558ccdL;
            h ^= h >>> 33;
            h *= 0xc4ceb9fe1a85ec53L;
            h ^= h >>> 33;
            return (int) h;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof HeapKey other && hash == other.hash && Arrays.equals(bytes, other.bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
