package io.shoal.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.shoal.ChangeType;
import io.shoal.spi.PersistenceBackend;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InMemoryPersistenceTest extends PersistenceBackendContractTest {

    @Override
    protected PersistenceBackend open(Path dir) {
        return new InMemoryPersistence(dir);
    }

    @AfterEach
    void forgetStore() {
        InMemoryPersistence.discard(dir);
    }

    @Test
    void directoriesAreKeptApartAndEquivalentPathsShareAStore(@TempDir Path otherDir) {
        PersistenceBackend backend = start();
        recover(backend);
        appendAll(backend, new History().mixed(1, 1, 2));
        stop(backend);
        try {
            assertEquals(List.of(), recover(new InMemoryPersistence(otherDir)));
            assertEquals(6, recover(new InMemoryPersistence(dir.resolve("sub").resolve(".."))).size());
            assertEquals(ChangeType.CREATED, InMemoryPersistence.stored(dir).get(0).type());
        } finally {
            InMemoryPersistence.discard(otherDir);
        }
    }
}
