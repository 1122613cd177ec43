package io.shoal.testing;

import io.shoal.ConfigException;
import io.shoal.spi.Settings;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link Settings} backed by a map, for tests of providers and plugins. Values are read the way
 * HOCON reads them: numbers may be given as {@code Number}s or numeric strings; sizes as a
 * {@code Number} of bytes or a string such as {@code "512k"}, {@code "64m"}, {@code "1g"} (single
 * letters and {@code KiB}-style units are powers of 1024, {@code kB}-style units powers of 1000);
 * durations as a {@link Duration}, a {@code Number} of milliseconds or a string such as
 * {@code "500ms"}, {@code "2s"}, {@code "5m"}, {@code "1h"}, {@code "1d"}. Every getter throws
 * {@link ConfigException} naming the key, the value and the expected type when the key is missing
 * or the value does not fit. Immutable and thread-safe.
 */
public final class MapSettings implements Settings {
    private static final Pattern AMOUNT = Pattern.compile("\\s*(\\d+)\\s*([A-Za-z]*)\\s*");
    private static final Map<String, Long> SIZE_UNITS = sizeUnits();
    private static final Map<String, ChronoUnit> DURATION_UNITS = durationUnits();

    private final Map<String, Object> values;

    /** Settings holding a copy of {@code values}; keys and values must not be {@code null}. */
    public MapSettings(Map<String, ?> values) {
        Map<String, Object> copy = new LinkedHashMap<>();
        values.forEach((key, value) -> copy.put(Objects.requireNonNull(key, "key"),
                Objects.requireNonNull(value, () -> "value of " + key)));
        this.values = Collections.unmodifiableMap(copy);
    }

    /** Settings from alternating keys and values: {@code of("memory.maxBytes", "64m", "eviction", "lru")}. */
    public static MapSettings of(Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("expected keys and values in pairs, got " + keysAndValues.length + " arguments");
        }
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return new MapSettings(map);
    }

    /** A copy with {@code key} set to {@code value}. */
    public MapSettings with(String key, Object value) {
        Map<String, Object> map = new LinkedHashMap<>(values);
        map.put(key, value);
        return new MapSettings(map);
    }

    /** The values, unmodifiable. */
    public Map<String, Object> asMap() {
        return values;
    }

    @Override
    public boolean hasPath(String key) {
        return values.containsKey(key);
    }

    @Override
    public String getString(String key) {
        Object value = require(key, "a string");
        if (value instanceof String || value instanceof Number || value instanceof Boolean) {
            return value.toString();
        }
        throw wrongType(key, value, "a string");
    }

    @Override
    public int getInt(String key) {
        long value = integral(key, "an int");
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new ConfigException(key, value + " is out of range for an int");
        }
        return (int) value;
    }

    @Override
    public long getLong(String key) {
        return integral(key, "a long");
    }

    @Override
    public boolean getBoolean(String key) {
        Object value = require(key, "a boolean");
        if (value instanceof Boolean bool) {
            return bool;
        }
        if (value instanceof String text) {
            switch (text.trim()) {
                case "true", "yes", "on":
                    return true;
                case "false", "no", "off":
                    return false;
                default:
                    break;
            }
        }
        throw wrongType(key, value, "a boolean (true/false, yes/no, on/off)");
    }

    @Override
    public long getBytes(String key) {
        String expected = "a size in bytes such as 1048576, \"512k\", \"64m\" or \"1g\"";
        Object value = require(key, expected);
        if (isIntegral(value)) {
            long bytes = ((Number) value).longValue();
            if (bytes < 0) {
                throw new ConfigException(key, bytes + " is negative; expected " + expected);
            }
            return bytes;
        }
        if (value instanceof String text) {
            Matcher matcher = AMOUNT.matcher(text);
            if (matcher.matches() && SIZE_UNITS.containsKey(matcher.group(2))) {
                try {
                    return Math.multiplyExact(Long.parseLong(matcher.group(1)), SIZE_UNITS.get(matcher.group(2)));
                } catch (ArithmeticException | NumberFormatException e) {
                    throw new ConfigException(key, describe(value) + " is too large for a size in bytes", e);
                }
            }
        }
        throw wrongType(key, value, expected);
    }

    @Override
    public Duration getDuration(String key) {
        String expected = "a duration such as \"500ms\", \"2s\", \"5m\" or a number of milliseconds";
        Object value = require(key, expected);
        if (value instanceof Duration duration) {
            return duration;
        }
        if (isIntegral(value)) {
            return Duration.ofMillis(((Number) value).longValue());
        }
        if (value instanceof String text) {
            Matcher matcher = AMOUNT.matcher(text);
            if (matcher.matches() && DURATION_UNITS.containsKey(matcher.group(2))) {
                try {
                    return Duration.of(Long.parseLong(matcher.group(1)), DURATION_UNITS.get(matcher.group(2)));
                } catch (ArithmeticException | NumberFormatException e) {
                    throw new ConfigException(key, describe(value) + " is too long for a duration", e);
                }
            }
        }
        throw wrongType(key, value, expected);
    }

    @Override
    public List<String> getStringList(String key) {
        Object value = require(key, "a list of strings");
        if (value instanceof List<?> list) {
            List<String> strings = new ArrayList<>(list.size());
            for (Object element : list) {
                if (!(element instanceof String || element instanceof Number || element instanceof Boolean)) {
                    throw wrongType(key, value, "a list of strings");
                }
                strings.add(element.toString());
            }
            return List.copyOf(strings);
        }
        throw wrongType(key, value, "a list of strings");
    }

    @Override
    public String toString() {
        return "MapSettings" + values;
    }

    private Object require(String key, String expected) {
        Object value = values.get(Objects.requireNonNull(key, "key"));
        if (value == null) {
            throw new ConfigException(key, "is missing; expected " + expected);
        }
        return value;
    }

    private long integral(String key, String expected) {
        Object value = require(key, expected);
        if (isIntegral(value)) {
            return ((Number) value).longValue();
        }
        if (value instanceof String text) {
            try {
                return Long.parseLong(text.trim());
            } catch (NumberFormatException e) {
                throw new ConfigException(key, describe(value) + " is not " + expected, e);
            }
        }
        throw wrongType(key, value, expected);
    }

    private static boolean isIntegral(Object value) {
        return value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte;
    }

    private static ConfigException wrongType(String key, Object value, String expected) {
        return new ConfigException(key, describe(value) + " is not " + expected);
    }

    private static String describe(Object value) {
        String text = value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
        return text + " (" + value.getClass().getSimpleName() + ")";
    }

    private static Map<String, Long> sizeUnits() {
        Map<String, Long> units = new LinkedHashMap<>();
        for (String unit : List.of("", "b", "B", "byte", "bytes")) {
            units.put(unit, 1L);
        }
        String[] binaryLetters = {"k", "m", "g", "t"};
        String[] decimalNames = {"kilo", "mega", "giga", "tera"};
        String[] binaryNames = {"kibi", "mebi", "gibi", "tebi"};
        for (int i = 0; i < binaryLetters.length; i++) {
            long binary = 1L << (10 * (i + 1));
            long decimal = (long) Math.pow(1000, i + 1);
            String letter = binaryLetters[i];
            String upper = letter.toUpperCase();
            for (String unit : List.of(letter, upper, upper + "i", upper + "iB", binaryNames[i] + "byte", binaryNames[i] + "bytes")) {
                units.put(unit, binary);
            }
            String decimalSymbol = (i == 0 ? "k" : upper) + "B";
            for (String unit : List.of(decimalSymbol, decimalNames[i] + "byte", decimalNames[i] + "bytes")) {
                units.put(unit, decimal);
            }
        }
        return Map.copyOf(units);
    }

    private static Map<String, ChronoUnit> durationUnits() {
        Map<String, ChronoUnit> units = new LinkedHashMap<>();
        units.put("", ChronoUnit.MILLIS);
        for (String unit : List.of("ns", "nano", "nanos", "nanosecond", "nanoseconds")) {
            units.put(unit, ChronoUnit.NANOS);
        }
        for (String unit : List.of("us", "micro", "micros", "microsecond", "microseconds")) {
            units.put(unit, ChronoUnit.MICROS);
        }
        for (String unit : List.of("ms", "milli", "millis", "millisecond", "milliseconds")) {
            units.put(unit, ChronoUnit.MILLIS);
        }
        for (String unit : List.of("s", "second", "seconds")) {
            units.put(unit, ChronoUnit.SECONDS);
        }
        for (String unit : List.of("m", "minute", "minutes")) {
            units.put(unit, ChronoUnit.MINUTES);
        }
        for (String unit : List.of("h", "hour", "hours")) {
            units.put(unit, ChronoUnit.HOURS);
        }
        for (String unit : List.of("d", "day", "days")) {
            units.put(unit, ChronoUnit.DAYS);
        }
        return Map.copyOf(units);
    }
}
