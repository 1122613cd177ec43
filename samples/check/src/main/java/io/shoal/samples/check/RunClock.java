package io.shoal.samples.check;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The run's time: {@link System#nanoTime()} for everything recorded (comparable across threads),
 * shown as wall-clock time of day (to match the nodes' log timestamps) or seconds since the start.
 */
final class RunClock {
    private static final DateTimeFormatter TIME_OF_DAY = DateTimeFormatter.ofPattern("HH:mm:ss.SSS", Locale.ROOT)
            .withZone(ZoneId.systemDefault());

    private final long originNanos;
    private final Instant originWall;

    RunClock() {
        this(System.nanoTime(), Instant.now());
    }

    RunClock(long originNanos, Instant originWall) {
        this.originNanos = originNanos;
        this.originWall = originWall;
    }

    long nanoTime() {
        return System.nanoTime();
    }

    long originNanos() {
        return originNanos;
    }

    /** {@code HH:mm:ss.SSS} of the instant {@code nanos} (a {@code nanoTime} reading). */
    String wallTime(long nanos) {
        return TIME_OF_DAY.format(originWall.plusNanos(nanos - originNanos));
    }

    /** Seconds from the origin to {@code nanos}. */
    double seconds(long nanos) {
        return (nanos - originNanos) / 1e9;
    }
}
