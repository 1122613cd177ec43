package io.shoal.persist.file;

import io.shoal.spi.PersistenceBackend;
import io.shoal.testing.MapSettings;
import io.shoal.testing.PersistenceBackendContractTest;

import java.nio.file.Path;

import org.junit.jupiter.api.Nested;

/**
 * The persistence contract, once per fsync policy, with backends created by the provider; with
 * {@code interval} also with a snapshot every 20 ms, so snapshots run while the tests append.
 * Every backend writes a snapshot when it is closed.
 */
class FilePersistenceContractTest {

    static PersistenceBackend open(Path dir, String fsync, long snapshotIntervalMs) {
        return new FilePersistenceProvider().create(MapSettings.of(
                "persist-file.dir", dir.resolve("log").toString(),
                "persist-file.fsync", fsync,
                "persist-file.fsyncIntervalMs", 20,
                "persist-file.segmentSizeBytes", "16k",
                "persist-file.rollAtMidnight", true,
                "persist-file.zone", "UTC",
                "persist-file.recovery.onCorruption", "fail",
                "persist-file.snapshotIntervalMs", snapshotIntervalMs));
    }

    @Nested
    class Always extends PersistenceBackendContractTest {
        @Override
        protected PersistenceBackend open(Path dir) {
            return FilePersistenceContractTest.open(dir, "always", 0);
        }
    }

    @Nested
    class Interval extends PersistenceBackendContractTest {
        @Override
        protected PersistenceBackend open(Path dir) {
            return FilePersistenceContractTest.open(dir, "interval", 20);
        }
    }

    @Nested
    class Never extends PersistenceBackendContractTest {
        @Override
        protected PersistenceBackend open(Path dir) {
            return FilePersistenceContractTest.open(dir, "never", 0);
        }
    }
}
