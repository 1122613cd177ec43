package io.shoal.core;

import io.shoal.StorageUnavailableException;
import io.shoal.spi.ChangeRecord;
import io.shoal.spi.PersistenceBackend;
import io.shoal.spi.PersistenceProvider;
import io.shoal.spi.Settings;
import io.shoal.testing.InMemoryPersistence;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * {@code persistence = test-memory}: the test-jar's {@link InMemoryPersistence} keyed by
 * {@code test.persistence.dir}, replaying everything twice (to check that replay is idempotent) and
 * keeping the {@link PersistenceBackend.StateSource} it is given, for snapshot tests. While
 * {@link #unavailableBecause} is set, {@code checkWritable} refuses changes as a full disk would.
 */
public final class TestPersistenceProvider implements PersistenceProvider {
    static volatile PersistenceBackend.StateSource lastState;
    static volatile String unavailableBecause;

    @Override
    public String name() {
        return "test-memory";
    }

    @Override
    public PersistenceBackend create(Settings settings) {
        InMemoryPersistence store = new InMemoryPersistence(Path.of(settings.getString("test.persistence.dir")));
        return new PersistenceBackend() {
            @Override
            public void recover(RecoverySink sink) {
                store.recover(sink);
                store.recover(sink);
            }

            @Override
            public void start(StateSource state) {
                lastState = state;
            }

            @Override
            public void checkWritable() {
                String why = unavailableBecause;
                if (why != null) {
                    throw new StorageUnavailableException("write refused: " + why, false, null);
                }
            }

            @Override
            public CompletableFuture<Void> append(ChangeRecord record) {
                return store.append(record);
            }

            @Override
            public void close() {
                store.close();
            }
        };
    }
}
