package io.shoal.persist.file;

import io.shoal.ConfigException;
import io.shoal.spi.PersistenceBackend;
import io.shoal.spi.PersistenceProvider;
import io.shoal.spi.Settings;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.Locale;

/**
 * Provides {@code persistence = file}: an append-only log with group commit, a configurable fsync
 * policy, snapshots and crash recovery, in the directory {@code persist-file.dir}. The keys and their
 * defaults are in this module's {@code reference.conf}; the file format is {@code docs/formats.md}.
 * {@link #create} only reads and validates settings; files are opened by the backend's
 * {@code recover}, its thread is started by {@code start}.
 */
public final class FilePersistenceProvider implements PersistenceProvider {
    /** Prefix of this module's keys. */
    public static final String PREFIX = "persist-file.";
    public static final String DIR_KEY = PREFIX + "dir";
    public static final String FSYNC_KEY = PREFIX + "fsync";
    public static final String FSYNC_INTERVAL_MS_KEY = PREFIX + "fsyncIntervalMs";
    public static final String SEGMENT_SIZE_BYTES_KEY = PREFIX + "segmentSizeBytes";
    public static final String ROLL_AT_MIDNIGHT_KEY = PREFIX + "rollAtMidnight";
    public static final String ZONE_KEY = PREFIX + "zone";
    public static final String ON_CORRUPTION_KEY = PREFIX + "recovery.onCorruption";
    public static final String SNAPSHOT_INTERVAL_MS_KEY = PREFIX + "snapshotIntervalMs";

    /** Largest {@code snapshotIntervalMs}: one day. */
    static final long MAX_SNAPSHOT_INTERVAL_MS = 86_400_000;

    static final long MIN_SEGMENT_SIZE_BYTES = 1L << 10;
    static final long MAX_SEGMENT_SIZE_BYTES = 1L << 40;

    @Override
    public String name() {
        return "file";
    }

    @Override
    public String description() {
        return "file: append-only log segments with group commit and fsync = always | interval | never, plus snapshots";
    }

    @Override
    public PersistenceBackend create(Settings settings) {
        return new FileLogBackend(config(settings));
    }

    /** Reads and validates this module's settings. */
    static FileLogConfig config(Settings settings) {
        String dirText = settings.getString(DIR_KEY);
        if (dirText.isBlank()) {
            throw new ConfigException(DIR_KEY, "\"" + dirText + "\" is blank; allowed: a directory path");
        }
        Path dir;
        try {
            dir = Path.of(dirText);
        } catch (InvalidPathException e) {
            throw new ConfigException(DIR_KEY, "\"" + dirText + "\" is not a valid path: " + e.getMessage(), e);
        }
        FileLogConfig.FsyncPolicy fsync = oneOf(settings, FSYNC_KEY, FileLogConfig.FsyncPolicy.class);
        long intervalMs = settings.getLong(FSYNC_INTERVAL_MS_KEY, 1, 3_600_000);
        long segmentBytes = settings.getBytes(SEGMENT_SIZE_BYTES_KEY, MIN_SEGMENT_SIZE_BYTES, MAX_SEGMENT_SIZE_BYTES);
        boolean rollAtMidnight = settings.getBoolean(ROLL_AT_MIDNIGHT_KEY);
        String zoneText = settings.getString(ZONE_KEY);
        ZoneId zone;
        if (zoneText.equals("system")) {
            zone = ZoneId.systemDefault();
        } else {
            try {
                zone = ZoneId.of(zoneText);
            } catch (DateTimeException e) {
                throw new ConfigException(ZONE_KEY, "\"" + zoneText + "\" is not a time zone; allowed: \"UTC\","
                        + " \"system\" or a zone id such as \"Europe/Paris\"", e);
            }
        }
        FileLogConfig.OnCorruption onCorruption = oneOf(settings, ON_CORRUPTION_KEY, FileLogConfig.OnCorruption.class);
        long snapshotIntervalMs = settings.getLong(SNAPSHOT_INTERVAL_MS_KEY);
        if (snapshotIntervalMs < 0 || snapshotIntervalMs > MAX_SNAPSHOT_INTERVAL_MS) {
            throw new ConfigException(SNAPSHOT_INTERVAL_MS_KEY, snapshotIntervalMs + " is out of range; allowed: 0 (a"
                    + " snapshot at shutdown only) or 1 to " + MAX_SNAPSHOT_INTERVAL_MS + " ms");
        }
        return new FileLogConfig(dir, fsync, intervalMs, segmentBytes, rollAtMidnight, zone, onCorruption,
                snapshotIntervalMs);
    }

    private static <E extends Enum<E>> E oneOf(Settings settings, String key, Class<E> type) {
        String value = settings.getString(key);
        StringBuilder allowed = new StringBuilder();
        for (E constant : type.getEnumConstants()) {
            String name = constant.name().toLowerCase(Locale.ROOT);
            if (name.equals(value)) {
                return constant;
            }
            allowed.append(allowed.length() == 0 ? "" : ", ").append(name);
        }
        throw new ConfigException(key, "\"" + value + "\" is not allowed; allowed: " + allowed);
    }
}
