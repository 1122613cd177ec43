package io.shoal.samples.bench;

import java.util.Arrays;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

/**
 * Fills a map with the data set and checks it before it is measured: a benchmark that
 * measures an empty or wrong map must fail, not report a figure. Both passes run on all cores to
 * keep the setup of each fork short; the read pass (one entry in {@value #CHECK_STRIDE}, a different
 * position in each stride) also warms up the read path.
 */
final class FillCheck {
    /** Every how many entries one is read back: enough to catch a wrong fill, cheap enough for --quick. */
    static final int CHECK_STRIDE = 16;

    private FillCheck() {
    }

    /** Runs {@code put} for every entry index. */
    static void fill(IntConsumer put) {
        IntStream.range(0, MapData.ENTRIES).parallel().forEach(put);
    }

    /**
     * Checks the entry count and that {@code read} returns the fill value of a spread of entries.
     *
     * @throws IllegalStateException on the first difference
     */
    static void verify(String subject, long size, IntFunction<byte[]> read, byte[][] values, long startedNanos) {
        if (size != MapData.ENTRIES) {
            throw new IllegalStateException(subject + " holds " + size + " entries after the fill, expected " + MapData.ENTRIES);
        }
        IntStream.range(0, MapData.ENTRIES / CHECK_STRIDE).parallel()
                .forEach(n -> check(subject, n * CHECK_STRIDE + n % CHECK_STRIDE, read, values));
        System.err.printf("bench: %s filled with %,d entries and checked in %.1f s%n", subject, size,
                (System.nanoTime() - startedNanos) / 1e9);
    }

    private static void check(String subject, int index, IntFunction<byte[]> read, byte[][] values) {
        byte[] expected = values[MapData.fillVariant(index)];
        byte[] actual = read.apply(index);
        if (!Arrays.equals(expected, actual)) {
            throw new IllegalStateException(subject + " returned " + Arrays.toString(actual) + " for entry " + index
                    + ", expected " + Arrays.toString(expected));
        }
    }
}
