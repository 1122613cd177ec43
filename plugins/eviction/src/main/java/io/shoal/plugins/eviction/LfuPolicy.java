package io.shoal.plugins.eviction;

import io.shoal.spi.EntryMetadata;
import io.shoal.spi.EvictionPolicy;

import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code eviction = lfu}: approximated least-frequently-used, as Redis' {@code allkeys-lfu}.
 *
 * <p>Design: the engine stores a counter (0..255) and the last access second with each entry
 * ({@link AccessTracking#FREQUENCY}); this policy decides what the counter means, as Redis does.
 * New entries start at {@value #INITIAL_COUNTER}, so that they are not the first to go. On a read,
 * the counter first decays (one step per {@code decayMinutes} whole minutes since the last access,
 * Redis' {@code LFUDecrAndReturn}; {@code 0}: no decay), then grows by one with probability
 * {@code 1 / ((counter - 5) * logFactor + 1)} (Redis' {@code LFULogIncr}), so it is logarithmic in the
 * number of reads. For scoring, the stored counter is decayed by the idle time since its last
 * access. The score puts the lowest decayed counter first and, among equal counters, the entry idle
 * longest:
 * {@code (255 - decayed) << 40 | idleSeconds}, with the idle time capped at 2^40 - 1 seconds (about
 * 35,000 years), so the two parts never mix. Immutable, thread-safe.
 */
final class LfuPolicy implements EvictionPolicy {
    static final int MAX_COUNTER = 255;
    static final int INITIAL_COUNTER = 5;
    private static final int IDLE_BITS = 40;
    private static final long MAX_IDLE_SECONDS = (1L << IDLE_BITS) - 1;

    private final long decayMinutes;
    private final int logFactor;

    LfuPolicy(int decayMinutes, int logFactor) {
        if (decayMinutes < 0) {
            throw new IllegalArgumentException("decayMinutes " + decayMinutes + " is negative");
        }
        if (logFactor < 0) {
            throw new IllegalArgumentException("logFactor " + logFactor + " is negative");
        }
        this.decayMinutes = decayMinutes;
        this.logFactor = logFactor;
    }

    int decayMinutes() {
        return (int) decayMinutes;
    }

    @Override
    public AccessTracking accessTracking() {
        return AccessTracking.FREQUENCY;
    }

    @Override
    public int initialFrequency() {
        return INITIAL_COUNTER;
    }

    @Override
    public int frequencyAfterAccess(int frequency, long lastAccessSeconds, long nowMs) {
        long idleSeconds = Math.max(0, Scores.secondsSince(lastAccessSeconds, nowMs));
        int counter = decayedCounter(frequency, idleSeconds);
        if (counter < MAX_COUNTER) {
            double baseline = Math.max(0, counter - INITIAL_COUNTER);
            if (ThreadLocalRandom.current().nextDouble() < 1.0 / (baseline * logFactor + 1)) {
                counter++;
            }
        }
        return counter;
    }

    @Override
    public long score(EntryMetadata entry, long nowMs) {
        long idleSeconds = Math.min(Math.max(0, Scores.secondsSince(entry.lastAccessSeconds(), nowMs)), MAX_IDLE_SECONDS);
        int counter = decayedCounter(entry.frequency(), idleSeconds);
        return ((long) (MAX_COUNTER - counter) << IDLE_BITS) | idleSeconds;
    }

    /** The counter after decay: one less per {@code decayMinutes} of idleness, never below zero. */
    int decayedCounter(int counter, long idleSeconds) {
        int clamped = Math.min(Math.max(counter, 0), MAX_COUNTER);
        if (decayMinutes == 0 || clamped == 0) {
            return clamped;
        }
        long periods = idleSeconds / 60 / decayMinutes;
        return periods >= clamped ? 0 : clamped - (int) periods;
    }

    @Override
    public String toString() {
        return "lfu(decayMinutes=" + decayMinutes + ", logFactor=" + logFactor + ")";
    }
}
