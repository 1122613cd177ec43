package io.shoal.samples.bench;

import io.shoal.KeyHash;
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

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Diagnostic, not part of {@code bin/shoal bench map}: takes ShoalMap's read path apart to show
 * where it spends its time compared with raw Chronicle Map. Run it with JMH's own launcher (see
 * the README), one thread:
 *
 * <ul>
 *   <li>{@code oneMapShoalLayout}: one raw Chronicle Map of 1M entries laid out as Shoal stores
 *       them (8-byte map id + 16-byte key; 40-byte metadata header + 100-byte value), read with
 *       {@code getUsing}: the cost of the bigger entries alone;
 *   <li>{@code splitMapsShoalLayout}: the same entries spread over 256 Chronicle Maps by the key
 *       hash, as Shoal's buckets are: the cost of splitting the store;
 *   <li>{@code splitMapsShoalLayoutWithHash}: the same, computing Shoal's key hash on each read;
 *   <li>{@code keyHash}, {@code currentTimeMillis}, {@code copyValue}: the other per-read steps of
 *       ShoalMap (key hash, clock read for expiry, the copy returned to the caller);
 *   <li>the same for writes: {@code oneMapShoalLayoutPut}, {@code splitMapsShoalLayoutPut}, and
 *       {@code splitMapsShoalLayoutPutWithLockAndHashes}, which adds what ShoalMap's put does
 *       around the store (key hash, bucket lock, clock read, value hash); {@code valueHash} alone.
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MapBreakdownBench {
    static final int HEADER_BYTES = 40;
    static final int MAP_ID_BYTES = 8;
    static final int BUCKETS = ShoalMapBench.BUCKETS;

    /** Keys as Shoal stores them: the map id, then the 16 key bytes. */
    static byte[][] storedKeys(byte[][] keys) {
        byte[][] stored = new byte[keys.length][];
        for (int i = 0; i < keys.length; i++) {
            stored[i] = new byte[MAP_ID_BYTES + keys[i].length];
            stored[i][7] = 1;
            System.arraycopy(keys[i], 0, stored[i], MAP_ID_BYTES, keys[i].length);
        }
        return stored;
    }

    static byte[] storedValue(int index) {
        byte[] value = new byte[HEADER_BYTES + MapData.VALUE_BYTES];
        System.arraycopy(MapData.values()[MapData.fillVariant(index)], 0, value, HEADER_BYTES, MapData.VALUE_BYTES);
        return value;
    }

    static ChronicleMap<byte[], byte[]> shoalLayoutMap(String name, long entries) {
        return ChronicleMap.of(byte[].class, byte[].class)
                .name(name)
                .entries(entries)
                .averageKeySize(MAP_ID_BYTES + MapData.KEY_BYTES)
                .averageValueSize(HEADER_BYTES + MapData.VALUE_BYTES)
                .putReturnsNull(true)
                .create();
    }

    @State(Scope.Benchmark)
    public static class OneMap {
        ChronicleMap<byte[], byte[]> map;
        byte[][] keys;

        @Setup
        public void fill() {
            keys = storedKeys(MapData.keys());
            map = shoalLayoutMap("breakdown-one", MapData.ENTRIES);
            byte[][] values = new byte[MapData.VALUE_VARIANTS][];
            for (int v = 0; v < values.length; v++) {
                values[v] = storedValue(v);
            }
            FillCheck.fill(i -> map.put(keys[i], values[MapData.fillVariant(i)]));
        }

        @TearDown
        public void close() {
            map.close();
        }
    }

    @State(Scope.Benchmark)
    public static class SplitMaps {
        ChronicleMap<byte[], byte[]>[] maps;
        byte[][] keys;
        byte[] bucketOf;
        final ReentrantLock[] locks = new ReentrantLock[BUCKETS];

        @Setup
        @SuppressWarnings("unchecked")
        public void fill() {
            byte[][] userKeys = MapData.keys();
            keys = storedKeys(userKeys);
            maps = new ChronicleMap[BUCKETS];
            for (int b = 0; b < BUCKETS; b++) {
                maps[b] = shoalLayoutMap("breakdown-split-" + b, ShoalMapBench.ENTRIES_PER_BUCKET);
            }
            for (int b = 0; b < BUCKETS; b++) {
                locks[b] = new ReentrantLock();
            }
            bucketOf = new byte[MapData.ENTRIES];
            byte[][] values = new byte[MapData.VALUE_VARIANTS][];
            for (int v = 0; v < values.length; v++) {
                values[v] = storedValue(v);
            }
            FillCheck.fill(i -> {
                int bucket = (int) (KeyHash.hash(userKeys[i]) & (BUCKETS - 1));
                bucketOf[i] = (byte) bucket;
                maps[bucket].put(keys[i], values[MapData.fillVariant(i)]);
            });
        }

        @TearDown
        public void close() {
            for (ChronicleMap<byte[], byte[]> map : maps) {
                map.close();
            }
        }
    }

    /** Per thread: a value buffer of Shoal's stored size. */
    @State(Scope.Thread)
    public static class Buffer {
        final byte[] value = new byte[HEADER_BYTES + MapData.VALUE_BYTES];
        final byte[] plainValue = MapData.values()[3];
    }

    @Benchmark
    public byte[] oneMapShoalLayout(OneMap s, KeyPicker picker, Buffer buffer) {
        return s.map.getUsing(s.keys[picker.nextIndex()], buffer.value);
    }

    @Benchmark
    public byte[] splitMapsShoalLayout(SplitMaps s, KeyPicker picker, Buffer buffer) {
        int i = picker.nextIndex();
        return s.maps[s.bucketOf[i] & 0xFF].getUsing(s.keys[i], buffer.value);
    }

    @Benchmark
    public byte[] splitMapsShoalLayoutWithHash(SplitMaps s, KeyPicker picker, Buffer buffer) {
        int i = picker.nextIndex();
        byte[] key = s.keys[i];
        int bucket = (int) (KeyHash.hash(key, MAP_ID_BYTES, MapData.KEY_BYTES) & (BUCKETS - 1));
        return s.maps[bucket].getUsing(key, buffer.value);
    }

    @Benchmark
    public byte[] oneMapShoalLayoutPut(OneMap s, KeyPicker picker, Buffer buffer) {
        return s.map.put(s.keys[picker.nextIndex()], buffer.value);
    }

    @Benchmark
    public byte[] splitMapsShoalLayoutPut(SplitMaps s, KeyPicker picker, Buffer buffer) {
        int i = picker.nextIndex();
        return s.maps[s.bucketOf[i] & 0xFF].put(s.keys[i], buffer.value);
    }

    /** What ShoalMap.put adds around the store: key hash, bucket lock, value hash, clock read. */
    @Benchmark
    public byte[] splitMapsShoalLayoutPutWithLockAndHashes(SplitMaps s, KeyPicker picker, Buffer buffer) {
        int i = picker.nextIndex();
        byte[] key = s.keys[i];
        int bucket = (int) (KeyHash.hash(key, MAP_ID_BYTES, MapData.KEY_BYTES) & (BUCKETS - 1));
        ReentrantLock lock = s.locks[bucket];
        lock.lock();
        try {
            byte[] value = buffer.value;
            long now = System.currentTimeMillis();
            long valueHash = KeyHash.hash(value, HEADER_BYTES, MapData.VALUE_BYTES);
            value[0] = (byte) valueHash;
            value[8] = (byte) now;
            return s.maps[bucket].put(key, value);
        } finally {
            lock.unlock();
        }
    }

    @Benchmark
    public long valueHash(Buffer buffer) {
        return KeyHash.hash(buffer.plainValue);
    }

    /** Includes fetching a random key (a cache miss), as every map operation here does. */
    @Benchmark
    public long keyHash(KeyPicker picker, Keys keys) {
        return KeyHash.hash(keys.keys[picker.nextIndex()]);
    }

    @Benchmark
    public long currentTimeMillis() {
        return System.currentTimeMillis();
    }

    @Benchmark
    public byte[] copyValue(Buffer buffer) {
        return Arrays.copyOf(buffer.plainValue, MapData.VALUE_BYTES);
    }

    @State(Scope.Benchmark)
    public static class Keys {
        byte[][] keys;

        @Setup
        public void make() {
            keys = MapData.keys();
        }
    }
}
