package io.shoal.core;

import io.shoal.spi.ChangeRecord;
import io.shoal.spi.PersistenceBackend;
import io.shoal.spi.PersistenceProvider;
import io.shoal.spi.Settings;

import java.util.concurrent.CompletableFuture;

/** {@code persistence = none}: data lives in memory only. The engine skips it entirely. */
final class NoPersistence implements PersistenceBackend {
    static final NoPersistence INSTANCE = new NoPersistence();

    @Override
    public void recover(RecoverySink sink) {
    }

    @Override
    public CompletableFuture<Void> append(ChangeRecord record) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
    }

    /** Registered for {@link java.util.ServiceLoader}. */
    public static final class Provider implements PersistenceProvider {
        @Override
        public String name() {
            return "none";
        }

        @Override
        public String description() {
            return "keep data in memory only";
        }

        @Override
        public PersistenceBackend create(Settings settings) {
            return INSTANCE;
        }
    }
}
