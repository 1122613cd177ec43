package io.shoal.samples.cli;

import io.shoal.Shoal;
import io.shoal.ShoalEntry;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The picocli commands run in this JVM against nodes with file persistence in temporary directories. */
class ShoalCliTest {

    /** One run: exit code, stdout, stderr. */
    record Run(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var commandLine = ShoalCli.commandLine(false);
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = commandLine.execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }

    /** A config file for a node keeping its data in {@code dir/data}, written to {@code dir/node.conf}. */
    static Path config(Path dir, String persistence) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve("node.conf"), String.join("\n",
                "node.dataDir = \"" + dir.resolve("data").toString().replace("\\", "/") + "\"",
                "persistence = " + persistence,
                "buckets.count = 16",
                "memory.maxBytes = 64m",
                "persist-file.snapshotIntervalMs = 0",
                ""));
    }

    @Test
    void exportThenImportIntoAnotherNodesDataDirectory(@TempDir Path dir) throws IOException {
        Path source = config(dir.resolve("a"), "file");
        Path target = config(dir.resolve("b"), "file");
        long sessionExpiresAtMs;
        try (ShoalNode node = Shoal.start(source)) {
            ShoalMap<String, String> users = node.map("users", String.class, String.class);
            ShoalMap<String, String> sessions = node.map("sessions", String.class, String.class);
            for (int i = 0; i < 2_000; i++) {
                users.put("u" + i, "user " + i);
            }
            sessions.put("s", "token", Duration.ofHours(2));
            sessionExpiresAtMs = sessions.getEntry("s").expiresAtMs();
        }
        Path file = dir.resolve("all.export");

        Run export = run("export", "--config", source.toString(), "--out", file.toString());
        assertEquals(0, export.exitCode(), export.toString());
        assertTrue(export.out().startsWith("exported 2,001 entries of 2 maps to " + file + " ("), export.toString());
        assertTrue(export.out().endsWith("; 0 expired left out\n"), export.toString());
        assertEquals("", export.err(), "a short transfer prints no progress line when stderr is not a terminal");

        Run imported = run("import", "--config", target.toString(), "--in", file.toString());
        assertEquals(0, imported.exitCode(), imported.toString());
        assertTrue(imported.out().startsWith("imported 2,001 entries of 2 maps from " + file), imported.toString());
        assertTrue(imported.out().endsWith("; 0 expired skipped, 0 existing kept\n"), imported.toString());

        try (ShoalNode node = Shoal.start(target)) {
            ShoalMap<String, String> users = node.map("users", String.class, String.class);
            assertEquals(2_000, users.size());
            assertEquals("user 1999", users.get("u1999"));
            users.put("u0", "changed after the import");
            ShoalEntry<String, String> session = node.map("sessions", String.class, String.class).getEntry("s");
            assertEquals(sessionExpiresAtMs, session.expiresAtMs());
        }

        Run kept = run("import", "--config", target.toString(), "--in", file.toString(), "--keep-existing");
        assertEquals(0, kept.exitCode(), kept.toString());
        assertTrue(kept.out().startsWith("imported 0 entries"), kept.toString());
        assertTrue(kept.out().endsWith("; 0 expired skipped, 2,001 existing kept\n"), kept.toString());
        try (ShoalNode node = Shoal.start(target)) {
            assertEquals("changed after the import", node.map("users", String.class, String.class).get("u0"));
        }

        Run chosen = run("export", "--config", source.toString(), "--out", dir.resolve("users.export").toString(),
                "--map", "users");
        assertEquals(0, chosen.exitCode(), chosen.toString());
        assertTrue(chosen.out().startsWith("exported 2,000 entries of 1 maps"), chosen.toString());
    }

    @Test
    void failuresExitWithOneLine(@TempDir Path dir) throws IOException {
        Path source = config(dir.resolve("a"), "file");
        Path missing = dir.resolve("missing.export");

        Run unknownMap = run("export", "--config", source.toString(), "--out", dir.resolve("x").toString(),
                "--map", "nope");
        assertEquals(1, unknownMap.exitCode(), unknownMap.toString());
        assertTrue(unknownMap.err().startsWith("shoal export: no map \"nope\" on this node"), unknownMap.toString());
        assertEquals(1, unknownMap.err().lines().count(), unknownMap.toString());
        assertFalse(Files.exists(dir.resolve("x")));

        Run noFile = run("import", "--config", source.toString(), "--in", missing.toString());
        assertEquals(1, noFile.exitCode(), noFile.toString());
        assertEquals(1, noFile.err().lines().count(), noFile.toString());
        assertTrue(noFile.err().contains(missing.toString()), noFile.toString());
        assertEquals("", noFile.out());

        Run verbose = run("import", "--config", source.toString(), "--in", missing.toString(), "--verbose");
        assertEquals(1, verbose.exitCode(), verbose.toString());
        assertTrue(verbose.err().contains("io.shoal.TransferException"), verbose.toString());
        assertTrue(verbose.err().contains("\tat "), "the stack trace: " + verbose);

        Path memoryOnly = config(dir.resolve("c"), "none");
        Run noPersistence = run("import", "--config", memoryOnly.toString(), "--in", missing.toString());
        assertEquals(1, noPersistence.exitCode(), noPersistence.toString());
        assertTrue(noPersistence.err().contains("persistence = none"), noPersistence.toString());

        Run badConfig = run("export", "--config", dir.resolve("nope.conf").toString(), "--out", "x");
        assertEquals(1, badConfig.exitCode(), badConfig.toString());
        assertTrue(badConfig.err().contains("nope.conf"), badConfig.toString());
    }

    @Test
    void usageErrorsExitWithTwoAndHelpWithZero() {
        Run noOut = run("export", "--config", "node.conf");
        assertEquals(2, noOut.exitCode(), noOut.toString());
        assertTrue(noOut.err().contains("Missing required option: '--out=FILE'"), noOut.toString());

        Run unknownOption = run("import", "--config", "node.conf", "--in", "x", "--force");
        assertEquals(2, unknownOption.exitCode(), unknownOption.toString());
        assertTrue(unknownOption.err().contains("Unknown option: '--force'"), unknownOption.toString());

        Run noCommand = run();
        assertEquals(2, noCommand.exitCode(), noCommand.toString());
        assertTrue(noCommand.err().contains("Missing command"), noCommand.toString());

        Run unknownCommand = run("frobnicate");
        assertEquals(2, unknownCommand.exitCode(), unknownCommand.toString());

        Run help = run("import", "--help");
        assertEquals(0, help.exitCode(), help.toString());
        assertTrue(help.out().contains("--keep-existing"), help.toString());
    }
}
