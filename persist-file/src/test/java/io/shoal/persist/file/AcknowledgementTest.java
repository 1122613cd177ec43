package io.shoal.persist.file;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.spi.ChangeRecord;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** When appends are acknowledged: with {@code always} only after the fsync of their record; all by {@code close}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AcknowledgementTest {
    @TempDir
    Path dir;

    /** Holds the writer thread's data fsyncs (not the header's) while {@code hold} is set. */
    private static FileLogChannels holdingForces(AtomicBoolean hold, CountDownLatch release) {
        return (path, options) -> new HookedFileChannel(FileChannel.open(path, options), new HookedFileChannel.Hooks() {
            @Override
            public void beforeForce() throws IOException {
                if (hold.get()) {
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                }
            }
        });
    }

    @Test
    void alwaysAcknowledgesOnlyAfterTheFsyncOfTheRecord() throws Exception {
        AtomicBoolean hold = new AtomicBoolean();
        CountDownLatch release = new CountDownLatch(1);
        FileLogConfig config = Spec.config(dir, FileLogConfig.FsyncPolicy.ALWAYS);
        FileLogBackend backend = new FileLogBackend(config, holdingForces(hold, release), Clock.systemUTC());
        Spec.recover(backend);
        backend.start(null);
        try {
            backend.append(Spec.put(1, 1, "a", "b")).get(10, TimeUnit.SECONDS); // creates the segment
            Path segment = FileLogReader.segments(dir).get(0);
            long before = Files.size(segment);
            hold.set(true);
            CompletableFuture<Void> held = backend.append(Spec.put(1, 2, "a", "c"));
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.size(segment) > before); // written ...
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !held.isDone()); // ... not synced
            release.countDown();
            held.get(10, TimeUnit.SECONDS);
        } finally {
            release.countDown();
            backend.close();
        }
    }

    @Test
    void closeReturnsOnlyOnceEveryFutureIsComplete() throws Exception {
        FileLogConfig config = Spec.config(dir, FileLogConfig.FsyncPolicy.ALWAYS);
        FileLogBackend backend = new FileLogBackend(config);
        Spec.recover(backend);
        backend.start(null);
        List<CompletableFuture<Void>> appends = new ArrayList<>();
        for (ChangeRecord r : Spec.records(2000)) {
            appends.add(backend.append(r));
        }
        backend.close();
        appends.forEach(f -> assertTrue(f.isDone() && !f.isCompletedExceptionally()));
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> backend.append(Spec.put(1, 1, "late", "x")).get(1, TimeUnit.SECONDS));
        assertInstanceOf(PersistenceException.class, e.getCause());
        assertEquals(2000, Spec.recoverOnce(config).size());
    }
}
