package io.shoal.samples.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ProgressDisplayTest {
    private final AtomicLong nanos = new AtomicLong(1_000);
    private final StringWriter err = new StringWriter();

    private ProgressDisplay display(boolean terminal) {
        return new ProgressDisplay("import", new PrintWriter(err), terminal, nanos::get);
    }

    @Test
    void onATerminalOneLineIsRewrittenInPlaceAndErasedAtTheEnd() {
        ProgressDisplay display = display(true);
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(2));
        display.onProgress(200_000, 12_500_000, 0.4567);
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(2));
        display.onProgress(400_000, 25_000_000, 1);
        display.finish();
        String first = "import  45%  200,000 entries  12.5 MB  100,000 entries/s";
        String second = "import 100%  400,000 entries  25.0 MB  100,000 entries/s";
        assertEquals("\r" + first + "\r" + second + "\r" + " ".repeat(second.length()) + "\r", err.toString());
    }

    @Test
    void elsewhereALineIsPrintedEveryFiveSecondsAtMost() {
        ProgressDisplay display = display(false);
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
        display.onProgress(10, 1_000, 0.01);
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(4));
        display.onProgress(50, 5_000, 0.05);
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
        display.onProgress(60, 6_000, 0.06);
        display.finish();
        assertEquals("import   5%  50 entries  0.0 MB  10 entries/s" + System.lineSeparator(), err.toString());
    }
}
