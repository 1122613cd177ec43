package io.shoal.spi;

import java.time.Duration;
import java.util.List;

/**
 * A read-only view of the node's resolved configuration, handed to providers so that each
 * implementation reads its own keys. A module ships its defaults in a {@code reference.conf} next
 * to its code, so every key it reads has a value.
 *
 * <p>Every getter throws {@link io.shoal.ConfigException} naming the key, the value and the
 * expected type when the key is missing or the value has the wrong type; the {@code require*}
 * checks throw it when the value is out of range. Thread-safe.
 */
public interface Settings {

    boolean hasPath(String key);

    String getString(String key);

    int getInt(String key);

    long getLong(String key);

    boolean getBoolean(String key);

    /**
     * A size in bytes, in HOCON's size format: a number, or a number with a unit where
     * {@code k}, {@code m}, {@code g} (and {@code KiB}, {@code MiB}, {@code GiB}) are powers of
     * 1024 and {@code kB}, {@code MB}, {@code GB} powers of 1000.
     */
    long getBytes(String key);

    /** A duration in HOCON's format ({@code 500ms}, {@code 2s}, {@code 1m}); a bare number is milliseconds. */
    Duration getDuration(String key);

    List<String> getStringList(String key);

    /** {@link #getInt} and checks {@code min <= value <= max}. */
    default int getInt(String key, int min, int max) {
        int value = getInt(key);
        if (value < min || value > max) {
            throw new io.shoal.ConfigException(key, value + " is out of range; allowed: " + min + " to " + max);
        }
        return value;
    }

    /** {@link #getBytes} and checks {@code min <= value <= max}. */
    default long getBytes(String key, long min, long max) {
        long value = getBytes(key);
        if (value < min || value > max) {
            throw new io.shoal.ConfigException(key, value + " bytes is out of range; allowed: " + withUnit(min) + " to "
                    + withUnit(max) + " bytes");
        }
        return value;
    }

    /** {@code 1024} → {@code "1024 (1k)"}: the largest of k, m, g, t that divides it exactly. */
    private static String withUnit(long bytes) {
        String[] units = {"t", "g", "m", "k"};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << (10 * (units.length - i));
            if (bytes >= unit && bytes % unit == 0) {
                return bytes + " (" + bytes / unit + units[i] + ")";
            }
        }
        return Long.toString(bytes);
    }

    /** {@link #getLong} and checks {@code min <= value <= max}. */
    default long getLong(String key, long min, long max) {
        long value = getLong(key);
        if (value < min || value > max) {
            throw new io.shoal.ConfigException(key, value + " is out of range; allowed: " + min + " to " + max);
        }
        return value;
    }
}
