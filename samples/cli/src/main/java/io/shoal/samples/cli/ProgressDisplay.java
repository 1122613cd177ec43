package io.shoal.samples.cli;

import io.shoal.TransferProgress;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A transfer's progress on stderr: percentage, entries, megabytes and entries per second. On a
 * terminal one line is rewritten in place (carriage return) at every report and erased at the end;
 * otherwise (a log file, a pipe) a new line is printed at most every {@link #LINE_INTERVAL_NANOS},
 * so a short transfer prints none.
 */
final class ProgressDisplay extends TransferProgress {
    static final long LINE_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final String verb;
    private final PrintWriter err;
    private final boolean terminal;
    private final LongSupplier nanoClock;
    private final long startedNanos;
    private long lastLineNanos;
    private int shownLength;

    ProgressDisplay(String verb, PrintWriter err, boolean terminal, LongSupplier nanoClock) {
        this.verb = verb;
        this.err = err;
        this.terminal = terminal;
        this.nanoClock = nanoClock;
        this.startedNanos = nanoClock.getAsLong();
        this.lastLineNanos = startedNanos;
    }

    @Override
    public void onProgress(long entriesDone, long bytesDone, double fractionDone) {
        long now = nanoClock.getAsLong();
        double seconds = (now - startedNanos) / 1e9;
        String line = String.format(Locale.ROOT, "%s %3d%%  %,d entries  %s  %,d entries/s", verb,
                (int) Math.floor(fractionDone * 100), entriesDone, megabytes(bytesDone),
                seconds > 0 ? Math.round(entriesDone / seconds) : 0);
        if (terminal) {
            err.print("\r" + line + " ".repeat(Math.max(0, shownLength - line.length())));
            shownLength = line.length();
            err.flush();
        } else if (now - lastLineNanos >= LINE_INTERVAL_NANOS) {
            err.println(line);
            err.flush();
            lastLineNanos = now;
        }
    }

    /** Erases the terminal line, so that what follows starts on a clean line. */
    void finish() {
        if (terminal && shownLength > 0) {
            err.print("\r" + " ".repeat(shownLength) + "\r");
            err.flush();
            shownLength = 0;
        }
    }

    static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    static String seconds(Duration elapsed) {
        return String.format(Locale.ROOT, "%.1f s", elapsed.toNanos() / 1e9);
    }
}
