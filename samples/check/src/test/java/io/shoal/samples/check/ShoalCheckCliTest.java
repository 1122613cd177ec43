package io.shoal.samples.check;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line: help, usage errors (exit 2) and a node that cannot start (exit 3), run in this JVM. */
@Timeout(120)
class ShoalCheckCliTest {

    record Run(int exitCode, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = ShoalCheck.commandLine(false);
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int code = commandLine.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void helpListsTheOptionsAndExitCodes() {
        Run help = run("--help");
        assertEquals(0, help.exitCode(), help.toString());
        for (String option : new String[] {"--nodes", "--minutes", "--workers", "--keys", "--backups", "--faults",
                "--fault-interval", "--seed", "--persistence", "--keep", "--json-history", "SUMMARY", "Exit codes"}) {
            assertTrue(help.out().contains(option), option + " in " + help.out());
        }
    }

    @Test
    void usageErrorsExitWithTwoAndSayWhy() {
        String[][] cases = {
                {"--nodes", "0"}, {"--nodes", "17"}, {"--minutes", "0"}, {"--workers", "0"},
                {"--keys", "3", "--workers", "4"}, {"--backups", "-1"}, {"--faults", "explode"},
                {"--faults", "none,kill"}, {"--fault-interval", "12s-8s"}, {"--persistence", "disk"},
                {"--set", "no equals sign"}, {"--request-timeout", "0s"}, {"--bogus"}, {"surplus"},
        };
        for (String[] args : cases) {
            Run run = run(args);
            assertEquals(2, run.exitCode(), String.join(" ", args) + ": " + run);
            assertEquals("", run.out(), "nothing on stdout for a usage error: " + run);
            assertTrue(run.err().contains(args[0]) || run.err().contains(args[args.length - 1]),
                    "the message names the option: " + run);
        }
    }

    @Test
    void aNodeThatCannotStartEndsTheRunWithThreeNamingItsLog(@TempDir Path dir) throws Exception {
        Run run = run("--nodes", "1", "--minutes", "0.1", "--set", "memory.maxByte = 1", "--work-dir", dir.toString());
        assertEquals(3, run.exitCode(), run.toString());
        assertTrue(run.out().matches("SUMMARY ops=0 faults=0 lost=0 wrong=0 seconds=\\d+\\R"), run.out());
        assertTrue(run.err().contains("cannot run: n1 exited with code 1 before serving"), run.err());
        assertTrue(run.err().contains("maxByte"), "the node's own reason is quoted: " + run.err());
        Path workDir;
        try (var dirs = Files.list(dir)) {
            workDir = dirs.findFirst().orElseThrow();
        }
        Path log = workDir.resolve("n1/node.log");
        assertTrue(run.err().contains("its log: " + log), run.err());
        assertTrue(Files.readString(log).contains("maxByte"), "the log is kept");
        assertTrue(run.err().contains("work dir kept: " + workDir), run.err());
    }
}
