package io.shoal.persist.file;

import java.nio.file.Path;
import java.time.ZoneId;
import java.util.Objects;

/**
 * The validated settings of one file log (read by {@link FilePersistenceProvider}); immutable.
 */
record FileLogConfig(Path dir, FsyncPolicy fsync, long fsyncIntervalMs, long segmentSizeBytes,
                     boolean rollAtMidnight, ZoneId zone, OnCorruption onCorruption, long snapshotIntervalMs) {

    /** Default of {@code persist-file.snapshotIntervalMs}: ten minutes. */
    static final long DEFAULT_SNAPSHOT_INTERVAL_MS = 600_000;

    enum FsyncPolicy { ALWAYS, INTERVAL, NEVER }

    enum OnCorruption { FAIL, TRUNCATE }

    FileLogConfig {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(fsync, "fsync");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(onCorruption, "onCorruption");
        if (fsyncIntervalMs < 1 || segmentSizeBytes < 1) {
            throw new IllegalArgumentException("fsyncIntervalMs and segmentSizeBytes must be positive");
        }
        if (snapshotIntervalMs < 0) {
            throw new IllegalArgumentException("snapshotIntervalMs must not be negative");
        }
    }

    /** With the default snapshot interval. */
    FileLogConfig(Path dir, FsyncPolicy fsync, long fsyncIntervalMs, long segmentSizeBytes, boolean rollAtMidnight,
                  ZoneId zone, OnCorruption onCorruption) {
        this(dir, fsync, fsyncIntervalMs, segmentSizeBytes, rollAtMidnight, zone, onCorruption,
                DEFAULT_SNAPSHOT_INTERVAL_MS);
    }

    /** Defaults of reference.conf in {@code dir}, for tests. */
    static FileLogConfig defaults(Path dir) {
        return new FileLogConfig(dir, FsyncPolicy.ALWAYS, 100, 64L << 20, true, ZoneId.of("UTC"), OnCorruption.FAIL,
                DEFAULT_SNAPSHOT_INTERVAL_MS);
    }

    FileLogConfig withFsync(FsyncPolicy policy) {
        return new FileLogConfig(dir, policy, fsyncIntervalMs, segmentSizeBytes, rollAtMidnight, zone, onCorruption, snapshotIntervalMs);
    }

    FileLogConfig withSegmentSizeBytes(long bytes) {
        return new FileLogConfig(dir, fsync, fsyncIntervalMs, bytes, rollAtMidnight, zone, onCorruption, snapshotIntervalMs);
    }

    FileLogConfig withOnCorruption(OnCorruption policy) {
        return new FileLogConfig(dir, fsync, fsyncIntervalMs, segmentSizeBytes, rollAtMidnight, zone, policy, snapshotIntervalMs);
    }

    FileLogConfig withSnapshotIntervalMs(long ms) {
        return new FileLogConfig(dir, fsync, fsyncIntervalMs, segmentSizeBytes, rollAtMidnight, zone, onCorruption, ms);
    }
}
