package io.shoal.samples.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** picocli converters for the command line's option types. */
final class Converters {
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");

    private Converters() {
    }

    /**
     * A positive duration: a number with a unit, {@code 250ms}, {@code 2s}, {@code 1.5s}, {@code 10m},
     * {@code 1h}, {@code 1d}, or ISO-8601 ({@code PT2S}).
     */
    static final class PositiveDuration implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String text) {
            Duration duration = parse(text.trim());
            if (duration.isZero() || duration.isNegative()) {
                throw new TypeConversionException("'" + text + "' is not a positive duration");
            }
            return duration;
        }

        private static Duration parse(String text) {
            Matcher m = DURATION.matcher(text.toLowerCase(Locale.ROOT));
            if (m.matches()) {
                double amount = Double.parseDouble(m.group(1));
                double millis = switch (m.group(2)) {
                    case "ms" -> amount;
                    case "s" -> amount * 1e3;
                    case "m" -> amount * 60e3;
                    case "h" -> amount * 3600e3;
                    default -> amount * 86_400e3;
                };
                if (millis > Long.MAX_VALUE / 1_000_000.0) {
                    throw new TypeConversionException("'" + text + "' is too long a duration");
                }
                return Duration.ofNanos(Math.round(millis * 1e6));
            }
            try {
                return Duration.parse(text);
            } catch (DateTimeParseException e) {
                throw new TypeConversionException("'" + text + "' is not a duration; use a number with a unit: "
                        + "250ms, 2s, 10m, 1h, 1d");
            }
        }
    }
}
