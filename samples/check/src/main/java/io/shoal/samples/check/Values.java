package io.shoal.samples.check;

import java.nio.charset.StandardCharsets;

/**
 * The workload's values and how the history names them. Worker {@code w} writes key {@code k} with
 * {@code "w<w>-k<k>-<counter>"} (UTF-8), its counter counting every write it makes, so every value
 * ever written is unique. A history holds a value as a {@code long} id ({@code worker << 40 | counter}),
 * not as text: a run records millions of operations. A read that returns something that is not one
 * of these values for the key read is {@link #FOREIGN}; its text is kept on the side.
 */
final class Values {
    /** A read that found no value. */
    static final long ABSENT = -1;
    /** A read that returned bytes which no worker writes to that key. */
    static final long FOREIGN = -2;

    static final int MAX_WORKERS = 1 << 20;
    private static final int COUNTER_BITS = 40;
    private static final long COUNTER_MASK = (1L << COUNTER_BITS) - 1;

    private Values() {
    }

    static long id(int worker, long counter) {
        if (worker < 0 || worker >= MAX_WORKERS || counter < 0 || counter > COUNTER_MASK) {
            throw new IllegalArgumentException("worker " + worker + ", counter " + counter + " out of range");
        }
        return (long) worker << COUNTER_BITS | counter;
    }

    static int worker(long id) {
        return (int) (id >>> COUNTER_BITS);
    }

    static long counter(long id) {
        return id & COUNTER_MASK;
    }

    /** The value's text as written to {@code key}; {@code (none)} for {@link #ABSENT}. */
    static String text(long id, int key) {
        if (id == ABSENT) {
            return "(none)";
        }
        if (id < 0) {
            return "(foreign value)";
        }
        return "w" + worker(id) + "-k" + key + "-" + counter(id);
    }

    static byte[] bytes(long id, int key) {
        return text(id, key).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The id of {@code value} read from {@code key}: {@link #ABSENT} for null, {@link #FOREIGN} unless it
     * is exactly the text {@link #text} gives for some worker and counter on that key.
     */
    static long parse(byte[] value, int key) {
        if (value == null) {
            return ABSENT;
        }
        // w<digits>-k<digits>-<digits>, without regex or String: reads are parsed on the hot path.
        int[] at = {0};
        if (!expect(value, at, 'w')) {
            return FOREIGN;
        }
        long worker = digits(value, at);
        if (worker < 0 || !expect(value, at, '-') || !expect(value, at, 'k')) {
            return FOREIGN;
        }
        long readKey = digits(value, at);
        if (readKey != key || !expect(value, at, '-')) {
            return FOREIGN;
        }
        long counter = digits(value, at);
        if (counter < 0 || at[0] != value.length || worker >= MAX_WORKERS || counter > COUNTER_MASK) {
            return FOREIGN;
        }
        return id((int) worker, counter);
    }

    private static boolean expect(byte[] value, int[] at, char c) {
        if (at[0] < value.length && value[at[0]] == c) {
            at[0]++;
            return true;
        }
        return false;
    }

    /** A decimal number without a leading zero (but "0") from {@code at[0]}, at most 13 digits; -1 if none. */
    private static long digits(byte[] value, int[] at) {
        int start = at[0];
        long n = 0;
        while (at[0] < value.length && value[at[0]] >= '0' && value[at[0]] <= '9') {
            if (at[0] - start == 13 || (at[0] > start && value[start] == '0')) {
                return -1;
            }
            n = n * 10 + (value[at[0]] - '0');
            at[0]++;
        }
        return at[0] == start ? -1 : n;
    }
}
