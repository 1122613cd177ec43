package io.shoal.samples.bench;

import io.shoal.Codecs;
import io.shoal.NodeStats;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
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
 * {@link ShoalMap} on a single embedded node, {@code byte[]} keys and values through
 * {@link Codecs#bytes()}: {@code get} returns a copy of the value (what the API must return),
 * {@code put} returns the new version, not the old value.
 *
 * <p>The node runs on the defaults except for sizing: 1 GiB of {@code memory.maxBytes} and bucket
 * stores sized for this data set, so that no bucket is rebuilt while the map is filled or
 * measured (the fill checks {@link NodeStats#storeResizes()}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 5, time = 5)
@Measurement(iterations = 5, time = 5)
public class ShoalMapBench {
    /** Buckets of the default config; each store gets room for its share of the entries plus 18 %. */
    static final int BUCKETS = 256;
    static final int ENTRIES_PER_BUCKET = MapData.entriesPerBucket(MapData.ENTRIES, BUCKETS);

    private ShoalNode node;
    private ShoalMap<byte[], byte[]> map;
    private byte[][] keys;
    private byte[][] values;

    @Setup
    public void fill() {
        long started = System.nanoTime();
        keys = MapData.keys();
        values = MapData.values();
        node = Shoal.start(ShoalConfig.builder()
                .bucketCount(BUCKETS)
                .maxMemoryBytes(1L << 30)
                .set("store.entriesPerBucket", ENTRIES_PER_BUCKET)
                .set("store.averageKeyBytes", MapData.KEY_BYTES)
                .set("store.averageValueBytes", MapData.VALUE_BYTES)
                .build());
        map = node.map("bench", Codecs.bytes(), Codecs.bytes());
        FillCheck.fill(i -> map.put(keys[i], values[MapData.fillVariant(i)]));
        FillCheck.verify("ShoalMap", map.size(), i -> map.get(keys[i]), values, started);
        NodeStats stats = node.stats();
        if (stats.storeResizes() != 0) {
            System.err.println("bench: warning: " + stats.storeResizes()
                    + " bucket stores were rebuilt during the fill; raise ENTRIES_PER_BUCKET");
        }
    }

    @TearDown
    public void close() {
        node.close();
    }

    @Benchmark
    public byte[] get(KeyPicker picker) {
        return map.get(keys[picker.nextIndex()]);
    }

    @Benchmark
    public long put(KeyPicker picker) {
        return map.put(keys[picker.nextIndex()], values[picker.valueVariant()]);
    }
}
