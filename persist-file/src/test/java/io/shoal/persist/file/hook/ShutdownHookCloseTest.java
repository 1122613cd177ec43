package io.shoal.persist.file.hook;

import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node closed from the application's JVM shutdown hook still writes its shutdown snapshot:
 * Chronicle Map's own shutdown hook must not close the stores under it.
 */
class ShutdownHookCloseTest {

    static ShoalConfig config(Path dir) {
        return ShoalConfig.builder().bucketCount(16).set("memory.maxBytes", "64m")
                .set("persistence", "file")
                .set("persist-file.dir", dir.toString())
                .set("persist-file.snapshotIntervalMs", "0")
                .build();
    }

    @Test
    void aNodeClosedFromAShutdownHookWritesItsShutdownSnapshot(@TempDir Path dir) throws Exception {
        Path jvmOptions = Path.of("").toAbsolutePath().getParent().resolve("bin").resolve("jvm.options");
        Path stderr = dir.resolve("child-stderr.log");
        Path data = dir.resolve("data");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + jvmOptions, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                ShutdownHookChild.class.getName(), data.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(stderr.toFile())
                .start();
        try {
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child did not exit within 60 s");
        } finally {
            child.destroyForcibly();
        }
        assertEquals(0, child.exitValue(), () -> "child failed: " + read(stderr));
        try (Stream<Path> files = Files.list(data)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().matches("snapshot-[0-9a-f]{16}\\.snap")),
                    () -> "no shutdown snapshot in " + data + "; child stderr: " + read(stderr));
        }
        try (ShoalNode node = Shoal.start(config(data))) {
            ShoalMap<String, String> map = node.map("m", String.class, String.class);
            assertEquals(ShutdownHookChild.ENTRIES, map.size());
            assertEquals("v7", map.get("k7"));
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
