package io.shoal.samples.bench;

import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Per benchmark thread: picks uniformly random entries with an xorshift generator (a few
 * arithmetic instructions, no allocation, no shared state) and owns a reusable value buffer for
 * the peers' copy-out reads.
 */
@State(Scope.Thread)
public class KeyPicker {
    private long state;
    /** Where a copy-out read puts the value (Chronicle Map's {@code getUsing}). */
    byte[] valueBuffer;

    @Setup
    public void setUp() {
        state = ThreadLocalRandom.current().nextLong() | 1; // xorshift must not start at 0
        valueBuffer = new byte[MapData.VALUE_BYTES];
    }

    /** Index of the next entry, uniform over {@code [0, ENTRIES)}. */
    int nextIndex() {
        long x = state;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        state = x;
        return (int) (((x >>> 32) * MapData.ENTRIES) >>> 32);
    }

    /** Which precomputed value to write; drawn from the bits {@link #nextIndex()} left unused. */
    int valueVariant() {
        return (int) state & (MapData.VALUE_VARIANTS - 1);
    }
}
