package io.shoal.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.spi.ByteSink;
import io.shoal.spi.Codec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@link Codec}, run against one codec and a list of sample values.
 *
 * <p>To use it, extend it once per codec and implement {@link #codec()} and {@link #samples()};
 * the samples should cover the edge cases of the type (empty, extremes, unusual characters, large
 * values). Override {@link #equal} when {@link Objects#deepEquals} is not the type's equality.
 *
 * @param <T> the type the codec encodes
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class CodecContractTest<T> {

    private static final int GARBAGE_BEFORE = 17;
    private static final int GARBAGE_AFTER = 13;

    /** The codec under test; may return the same instance every time. */
    protected abstract Codec<T> codec();

    /** Values to encode, edge cases included; at least one. */
    protected abstract List<T> samples();

    /** Equality of decoded values; by default {@link Objects#deepEquals} (so arrays compare by content). */
    protected boolean equal(T a, T b) {
        return Objects.deepEquals(a, b);
    }

    /** A short description of {@code value} for failure messages. */
    protected String describe(T value) {
        String text = value instanceof byte[] bytes
                ? bytes.length + " bytes " + Arrays.toString(Arrays.copyOf(bytes, Math.min(bytes.length, 24)))
                : String.valueOf(value);
        return text.length() <= 80 ? text : text.substring(0, 80) + "... (" + text.length() + " chars)";
    }

    @Test
    void hasSamples() {
        List<T> samples = samples();
        assertNotNull(samples, "samples()");
        assertFalse(samples.isEmpty(), "samples() must hold at least one value");
        assertTrue(samples.stream().allMatch(Objects::nonNull), "codecs never see null values; samples must not hold null");
    }

    @Test
    void roundTripsEverySample() {
        for (T sample : samples()) {
            byte[] encoded = encode(sample);
            assertEqual(sample, codec().decode(encoded, 0, encoded.length), "round trip");
        }
    }

    @Test
    void decodesAtAnOffsetInsideALargerArray() {
        SplittableRandom random = new SplittableRandom(42);
        for (T sample : samples()) {
            byte[] encoded = encode(sample);
            byte[] surrounded = new byte[GARBAGE_BEFORE + encoded.length + GARBAGE_AFTER];
            random.nextBytes(surrounded);
            System.arraycopy(encoded, 0, surrounded, GARBAGE_BEFORE, encoded.length);
            assertEqual(sample, codec().decode(surrounded, GARBAGE_BEFORE, encoded.length), "decode at offset " + GARBAGE_BEFORE);
        }
    }

    @Test
    void encodingAppendsToTheSink() {
        byte[] prefix = {1, 2, 3, 4, 5};
        ByteSink sink = new ByteSink(0);
        sink.write(prefix);
        List<byte[]> expected = new ArrayList<>();
        for (T sample : samples()) {
            expected.add(encode(sample));
            codec().encode(sample, sink);
        }
        byte[] written = sink.toByteArray();
        assertArrayEquals(prefix, Arrays.copyOf(written, prefix.length), "encoding changed what the sink held before");
        int position = prefix.length;
        List<T> samples = samples();
        for (int i = 0; i < samples.size(); i++) {
            byte[] alone = expected.get(i);
            assertArrayEquals(alone, Arrays.copyOfRange(written, position, position + alone.length),
                    "bytes appended for " + describe(samples.get(i)));
            assertEqual(samples.get(i), codec().decode(written, position, alone.length), "decode of appended bytes");
            position += alone.length;
        }
        assertEquals(position, sink.length(), "sink length after appending every sample");
    }

    @Test
    void encodingIsDeterministic() {
        for (T sample : samples()) {
            byte[] first = encode(sample);
            assertArrayEquals(first, encode(sample), "second encoding of " + describe(sample));
            ByteSink roomy = new ByteSink(first.length + 64);
            codec().encode(sample, roomy);
            assertArrayEquals(first, roomy.toByteArray(), "encoding into a sink that need not grow, of " + describe(sample));
            T decoded = codec().decode(first, 0, first.length);
            assertArrayEquals(first, encode(decoded), "encoding of the decoded copy of " + describe(sample));
        }
    }

    @Test
    void encodingAndDecodingAreThreadSafe() throws Exception {
        int threads = 4;
        int rounds = 200;
        List<T> samples = samples();
        List<byte[]> expected = new ArrayList<>();
        for (T sample : samples) {
            expected.add(encode(sample));
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    start.await();
                    List<String> mismatches = new ArrayList<>();
                    ByteSink sink = new ByteSink(0);
                    for (int round = 0; round < rounds && mismatches.isEmpty(); round++) {
                        for (int i = 0; i < samples.size(); i++) {
                            codec().encode(samples.get(i), sink.reset());
                            byte[] bytes = sink.toByteArray();
                            if (!Arrays.equals(expected.get(i), bytes)) {
                                mismatches.add("encoding of " + describe(samples.get(i)) + " differed in round " + round);
                            } else if (!equal(samples.get(i), codec().decode(bytes, 0, bytes.length))) {
                                mismatches.add("decoding of " + describe(samples.get(i)) + " differed in round " + round);
                            }
                        }
                    }
                    return mismatches;
                }));
            }
            start.countDown();
            for (Future<List<String>> result : results) {
                List<String> mismatches = result.get(30, TimeUnit.SECONDS);
                assertTrue(mismatches.isEmpty(), mismatches.toString());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void decodedValueDoesNotAliasTheInputArray() {
        for (T sample : samples()) {
            for (int offset : new int[] {0, GARBAGE_BEFORE}) {
                byte[] encoded = encode(sample);
                byte[] input = new byte[offset + encoded.length];
                System.arraycopy(encoded, 0, input, offset, encoded.length);
                T decoded = codec().decode(input, offset, encoded.length);
                for (int i = 0; i < input.length; i++) {
                    input[i] = (byte) ~input[i];
                }
                assertEqual(sample, decoded, "decoded value after the caller reused the input array (offset " + offset + ")");
            }
        }
    }

    /** The bytes of {@code value}, encoded into a fresh sink. */
    protected final byte[] encode(T value) {
        ByteSink sink = new ByteSink(0);
        codec().encode(value, sink);
        return sink.toByteArray();
    }

    private void assertEqual(T expected, T actual, String what) {
        assertTrue(equal(expected, actual), what + ": expected " + describe(expected) + " but got " + describe(actual));
    }
}
