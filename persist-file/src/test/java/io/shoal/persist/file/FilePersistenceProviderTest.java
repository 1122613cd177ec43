package io.shoal.persist.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.ConfigException;
import io.shoal.spi.PersistenceProvider;
import io.shoal.testing.MapSettings;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FilePersistenceProviderTest {
    @TempDir
    Path dir;

    private MapSettings defaults() {
        return MapSettings.of("persist-file.dir", dir.resolve("log").toString(), "persist-file.fsync", "always",
                "persist-file.fsyncIntervalMs", 100, "persist-file.segmentSizeBytes", "64m",
                "persist-file.rollAtMidnight", true, "persist-file.zone", "UTC",
                "persist-file.recovery.onCorruption", "fail", "persist-file.snapshotIntervalMs", 600000);
    }

    @Test
    void serviceLoaderFindsTheProviderNamedFile() {
        PersistenceProvider found = ServiceLoader.load(PersistenceProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("file")).findFirst().orElseThrow();
        assertInstanceOf(FilePersistenceProvider.class, found);
        assertTrue(found.description().startsWith("file: "));
    }

    @Test
    void createReadsSettingsAndOpensNothing() {
        FileLogConfig config = FilePersistenceProvider.config(defaults().with("persist-file.fsync", "interval")
                .with("persist-file.zone", "Europe/Paris").with("persist-file.recovery.onCorruption", "truncate"));
        assertEquals(FileLogConfig.FsyncPolicy.INTERVAL, config.fsync());
        assertEquals(64L << 20, config.segmentSizeBytes());
        assertEquals(ZoneId.of("Europe/Paris"), config.zone());
        assertEquals(FileLogConfig.OnCorruption.TRUNCATE, config.onCorruption());
        assertEquals(600_000, config.snapshotIntervalMs());
        assertEquals(0, FilePersistenceProvider.config(defaults().with("persist-file.snapshotIntervalMs", 0)).snapshotIntervalMs());
        assertEquals(ZoneId.systemDefault(), FilePersistenceProvider.config(defaults().with("persist-file.zone", "system")).zone());
        new FilePersistenceProvider().create(defaults()).close();
        assertFalse(Files.exists(dir.resolve("log")), "create and close without recover touch no file");
    }

    @ParameterizedTest
    @CsvSource({
        "persist-file.fsync, sometimes, 'always, interval, never'",
        "persist-file.recovery.onCorruption, ignore, 'fail, truncate'",
        "persist-file.zone, Mars/Olympus, system",
        "persist-file.segmentSizeBytes, 100, 1k",
        "persist-file.fsyncIntervalMs, 0, 3600000",
        "persist-file.snapshotIntervalMs, -1, 86400000",
        "persist-file.snapshotIntervalMs, 86400001, 0 (a snapshot at shutdown only)",
        "persist-file.dir, ' ', directory",
    })
    void badValuesAreRefusedNamingKeyValueAndWhatIsAllowed(String key, String value, String allowed) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> new FilePersistenceProvider().create(defaults().with(key, value)));
        assertEquals(key, e.key());
        assertTrue(e.getMessage().contains(value.trim()) && e.getMessage().contains(allowed), e.getMessage());
    }

    @Test
    void referenceConfHasADefaultForEveryKey() throws IOException {
        String text;
        try (InputStream in = FilePersistenceProvider.class.getResourceAsStream("/reference.conf")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (String line : new String[] {"persist-file {", "dir = ", "fsync = always", "fsyncIntervalMs = 100",
            "segmentSizeBytes = 64m", "rollAtMidnight = true", "zone = \"UTC\"", "recovery {", "onCorruption = fail",
            "snapshotIntervalMs = 600000"}) {
            assertTrue(text.contains(line), "reference.conf lacks " + line);
        }
    }
}
