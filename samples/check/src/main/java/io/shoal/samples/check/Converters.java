package io.shoal.samples.check;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** picocli converters for the options of {@code check}. */
final class Converters {
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)?");

    private Converters() {
    }

    /** A range of durations, {@code min <= max}. */
    record Interval(Duration min, Duration max) {
        @Override
        public String toString() {
            return text(min) + (min.equals(max) ? "" : "-" + text(max));
        }
    }

    /** A positive duration: {@code 250ms}, {@code 2s}, {@code 1.5s}, {@code 10m}, {@code 1h}, a bare number of seconds, or ISO-8601 ({@code PT2S}). */
    static final class PositiveDuration implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String text) {
            return positive(text);
        }
    }

    /** {@code MIN-MAX} ({@code 8s-12s}, {@code 8-12}: seconds) or one duration ({@code 10s}). */
    static final class IntervalConverter implements ITypeConverter<Interval> {
        @Override
        public Interval convert(String text) {
            String[] parts = text.trim().split("-", -1);
            if (parts.length > 2) {
                throw new TypeConversionException("'" + text + "' is not an interval; use MIN-MAX (8s-12s) or one duration");
            }
            Duration min = positive(parts[0]);
            Duration max = parts.length == 2 ? positive(parts[1]) : min;
            if (max.compareTo(min) < 0) {
                throw new TypeConversionException("'" + text + "': the maximum is below the minimum");
            }
            return new Interval(min, max);
        }
    }

    static Duration positive(String text) {
        String t = text.trim();
        Duration duration;
        Matcher m = DURATION.matcher(t.toLowerCase(Locale.ROOT));
        if (m.matches()) {
            double amount = Double.parseDouble(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            double millis = switch (unit) {
                case "ms" -> amount;
                case "s" -> amount * 1e3;
                case "m" -> amount * 60e3;
                default -> amount * 3600e3;
            };
            if (millis > Duration.ofDays(30).toMillis()) {
                throw new TypeConversionException("'" + text + "' is too long; at most 30 days");
            }
            duration = Duration.ofNanos(Math.round(millis * 1e6));
        } else {
            try {
                duration = Duration.parse(t);
            } catch (DateTimeParseException e) {
                throw new TypeConversionException("'" + text + "' is not a duration; use a number with a unit: "
                        + "250ms, 2s, 10m, 1h");
            }
        }
        if (duration.isZero() || duration.isNegative()) {
            throw new TypeConversionException("'" + text + "' is not a positive duration");
        }
        return duration;
    }

    static String text(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
