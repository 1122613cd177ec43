package io.shoal.core;

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
 * keeping the {@link PersistenceBackend.StateSource} it is given, for snapshot tests.
 */
public final class TestPersistenceProvider implements PersistenceProvider {
    static volatile PersistenceBackend.StateSource lastState;

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
