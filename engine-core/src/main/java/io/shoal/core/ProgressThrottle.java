package io.shoal.core;

import io.shoal.TransferProgress;

import java.util.concurrent.TimeUnit;

/**
 * Passes progress on to a {@link TransferProgress} at the pace its Javadoc promises: when at least
 * 1 % more is done or a second has passed since the previous call, and once at the end.
 */
final class ProgressThrottle {
    private static final double STEP = 0.01;
    private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final TransferProgress listener;
    private double reportedFraction;
    private long reportedAtNanos = System.nanoTime();

    ProgressThrottle(TransferProgress listener) {
        this.listener = listener;
    }

    void update(long entriesDone, long bytesDone, double fractionDone) {
        long now = System.nanoTime();
        if (fractionDone - reportedFraction >= STEP || now - reportedAtNanos >= INTERVAL_NANOS) {
            reportedFraction = fractionDone;
            reportedAtNanos = now;
            listener.onProgress(entriesDone, bytesDone, fractionDone);
        }
    }

    void done(long entriesDone, long bytesDone) {
        listener.onProgress(entriesDone, bytesDone, 1);
    }
}
