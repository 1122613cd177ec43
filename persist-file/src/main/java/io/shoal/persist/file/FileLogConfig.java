package io.shoal.persist.file;

import java.nio.file.Path;
import java.time.ZoneId;
import java.util.Objects;

/**
 * The validated settings of one file log (read by {@link FilePersistenceProvider}); immutable.
 */
record FileLogConfig(Path dir, FsyncPolicy fsync, long fsyncIntervalMs, long segmentSizeBytes,
                     boolean rollAtMidnight, ZoneId zone, OnCorruption onCorruption) {

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
    }

    /** Defaults of reference.conf in {@code dir}, for tests. */
    static FileLogConfig defaults(Path dir) {
        return new FileLogConfig(dir, FsyncPolicy.ALWAYS, 100, 64L << 20, true, ZoneId.of("UTC"), OnCorruption.FAIL);
    }

    FileLogConfig withFsync(FsyncPolicy policy) {
        return new FileLogConfig(dir, policy, fsyncIntervalMs, segmentSizeBytes, rollAtMidnight, zone, onCorruption);
    }

    FileLogConfig withSegmentSizeBytes(long bytes) {
        return new FileLogConfig(dir, fsync, fsyncIntervalMs, bytes, rollAtMidnight, zone, onCorruption);
    }

    FileLogConfig withOnCorruption(OnCorruption policy) {
        return new FileLogConfig(dir, fsync, fsyncIntervalMs, segmentSizeBytes, rollAtMidnight, zone, policy);
    }
}
