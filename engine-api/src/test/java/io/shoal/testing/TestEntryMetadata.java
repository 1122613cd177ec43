package io.shoal.testing;

import io.shoal.spi.EntryMetadata;

/**
 * A mutable {@link EntryMetadata} for eviction-policy tests. Each setter has the getter's name,
 * returns {@code this} and checks the documented range:
 * {@code new TestEntryMetadata().version(3).lastAccessSeconds(now).frequency(5)}. Not thread-safe
 * to mutate; safe to read from many threads once published.
 */
public final class TestEntryMetadata implements EntryMetadata {
    private long version;
    private long timestampMs;
    private long expiresAtMs;
    private long lastAccessSeconds;
    private int frequency;
    private int sizeBytes;

    /** All zero: version 0, written at the epoch, no expiry, frequency 0, size 0. */
    public TestEntryMetadata() {
    }

    /** A copy of {@code other}. */
    public static TestEntryMetadata copyOf(EntryMetadata other) {
        return new TestEntryMetadata()
                .version(other.version())
                .timestampMs(other.timestampMs())
                .expiresAtMs(other.expiresAtMs())
                .lastAccessSeconds(other.lastAccessSeconds())
                .frequency(other.frequency())
                .sizeBytes(other.sizeBytes());
    }

    /**
     * An entry written at {@code writtenAtMs} and last accessed then, with the counter a new entry
     * starts with (5) and the given size.
     */
    public static TestEntryMetadata written(long writtenAtMs, int sizeBytes) {
        return new TestEntryMetadata()
                .version(1)
                .timestampMs(writtenAtMs)
                .lastAccessSeconds(writtenAtMs / 1000)
                .frequency(5)
                .sizeBytes(sizeBytes);
    }

    @Override
    public long version() {
        return version;
    }

    public TestEntryMetadata version(long version) {
        this.version = version;
        return this;
    }

    @Override
    public long timestampMs() {
        return timestampMs;
    }

    public TestEntryMetadata timestampMs(long timestampMs) {
        this.timestampMs = timestampMs;
        return this;
    }

    @Override
    public long expiresAtMs() {
        return expiresAtMs;
    }

    /** {@code 0} for no expiry. */
    public TestEntryMetadata expiresAtMs(long expiresAtMs) {
        this.expiresAtMs = expiresAtMs;
        return this;
    }

    @Override
    public long lastAccessSeconds() {
        return lastAccessSeconds;
    }

    public TestEntryMetadata lastAccessSeconds(long lastAccessSeconds) {
        this.lastAccessSeconds = lastAccessSeconds;
        return this;
    }

    @Override
    public int frequency() {
        return frequency;
    }

    /** @throws IllegalArgumentException outside 0..255 */
    public TestEntryMetadata frequency(int frequency) {
        if (frequency < 0 || frequency > 255) {
            throw new IllegalArgumentException("frequency " + frequency + " is outside 0..255");
        }
        this.frequency = frequency;
        return this;
    }

    @Override
    public int sizeBytes() {
        return sizeBytes;
    }

    /** @throws IllegalArgumentException if negative */
    public TestEntryMetadata sizeBytes(int sizeBytes) {
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("sizeBytes " + sizeBytes + " is negative");
        }
        this.sizeBytes = sizeBytes;
        return this;
    }

    @Override
    public String toString() {
        return "TestEntryMetadata{version=" + version + ", timestampMs=" + timestampMs + ", expiresAtMs=" + expiresAtMs
                + ", lastAccessSeconds=" + lastAccessSeconds + ", frequency=" + frequency + ", sizeBytes=" + sizeBytes + '}';
    }
}
