package io.shoal.samples.bench;

import net.openhft.chronicle.map.ChronicleMap;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Raw Chronicle Map, the store under each Shoal bucket, sized for the data set in one map. Like
 * with like: {@code get} copies the value out into the thread's reusable array
 * ({@code getUsing}); {@code put} does not return the old value ({@code putReturnsNull}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 5, time = 5)
@Measurement(iterations = 5, time = 5)
public class ChronicleMapBench {
    private ChronicleMap<byte[], byte[]> map;
    private byte[][] keys;
    private byte[][] values;

    @Setup
    public void fill() {
        long started = System.nanoTime();
        keys = MapData.keys();
        values = MapData.values();
        map = ChronicleMap.of(byte[].class, byte[].class)
                .name("bench-raw")
                .entries(MapData.ENTRIES)
                .averageKeySize(MapData.KEY_BYTES)
                .averageValueSize(MapData.VALUE_BYTES)
                .putReturnsNull(true)
                .create();
        FillCheck.fill(i -> map.put(keys[i], values[MapData.fillVariant(i)]));
        FillCheck.verify("Chronicle Map", map.longSize(), i -> map.get(keys[i]), values, started);
    }

    @TearDown
    public void close() {
        map.close();
    }

    @Benchmark
    public byte[] get(KeyPicker picker) {
        return map.getUsing(keys[picker.nextIndex()], picker.valueBuffer);
    }

    @Benchmark
    public byte[] put(KeyPicker picker) {
        return map.put(keys[picker.nextIndex()], values[picker.valueVariant()]);
    }
}
