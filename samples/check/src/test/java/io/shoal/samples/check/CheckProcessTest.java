package io.shoal.samples.check;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code check} end to end, as {@code bin/shoal check} runs it (its own JVM), against one node
 * process: with durable persistence it must find nothing through kills and restarts; without
 * persistence a kill loses everything, which it must report.
 */
@Timeout(150)
class CheckProcessTest {
    private static final long RUN_DEADLINE_SECONDS = 120;

    @TempDir
    Path dir;
    private CheckTool tool;

    @BeforeEach
    void tool() {
        tool = new CheckTool(dir);
    }

    /** Ends the tool and the nodes it started, should the test end before the tool did. */
    @AfterEach
    void endTool() throws InterruptedException {
        tool.end();
    }

    @Test
    void durableSingleNodeLosesNothingThroughKillsAndRestarts() throws Exception {
        Path history = dir.resolve("history.jsonl");
        CheckTool.Result run = tool.run(RUN_DEADLINE_SECONDS, "--nodes", "1", "--minutes", "0.3", "--faults",
                "kill,restart", "--fault-interval", "3s-4s", "--persistence", "file", "--seed", "11", "--json-history",
                history.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.ops() > 1000, "ops: " + run.out());
        assertTrue(run.faults() >= 2, "faults: " + run.out());
        assertEquals(0, run.lost(), "lost");
        assertEquals(0, run.wrong(), "wrong");
        assertTrue(run.err().contains("final read-back of 1000 keys"), run.err());
        Matcher addresses = Pattern.compile("n1 UP (\\S+)").matcher(run.err());
        Set<String> seen = new HashSet<>();
        while (addresses.find()) {
            seen.add(addresses.group(1));
        }
        assertEquals(1, seen.size(), "n1 restarts on its port: " + seen);
        assertTrue(run.err().contains(": 0 wrong, 0 lost; final read-back: 1000 keys read"), run.err());
        assertTrue(run.err().contains("fault 1: cluster healthy "), "a node alone heals at once: " + run.err());
        try (Stream<Path> left = Files.list(dir.resolve("work"))) {
            assertEquals(0, left.count(), "the work dir of a clean run is deleted");
        }
        List<String> lines = Files.readAllLines(history);
        assertTrue(lines.stream().filter(l -> l.matches("\\{\"type\":\"fault\",.*,\"healed\":[0-9.]+}")).count() >= 2,
                "faults in the history, each healed");
        assertEquals(1000, lines.stream().filter(l -> l.startsWith("{\"type\":\"final-read\"")
                && l.endsWith("\"outcome\":\"OK\"}")).count());
        assertTrue(lines.stream().anyMatch(l -> l.matches(
                "\\{\"type\":\"write\",\"key\":\"k\\d+\",\"value\":\"w\\d+-k\\d+-\\d+\",\"start\":[0-9.]+,\"end\":[0-9.]+,"
                        + "\"outcome\":\"OK\"}")), "a write line");
    }

    @Test
    void nodeWithoutPersistenceLosesItsDataToAKillAndTheCheckSaysSo() throws Exception {
        CheckTool.Result run = tool.run(RUN_DEADLINE_SECONDS, "--nodes", "1", "--minutes", "0.15", "--faults", "kill",
                "--fault-interval", "3s-4s", "--persistence", "none", "--keys", "50000", "--seed", "12");
        assertEquals(1, run.exitCode(), run.err());
        assertTrue(run.faults() >= 1, "faults: " + run.out());
        assertTrue(run.lost() > 0, "lost: " + run.out());
        assertTrue(run.err().contains("LOST LOST_MISSING "), run.err());
        Matcher kept = Pattern.compile("work dir kept: (\\S+); node logs: (\\S+)").matcher(run.err());
        assertTrue(kept.find(), "a failed run keeps its work dir: " + run.err());
        assertTrue(Files.isRegularFile(Path.of(kept.group(2))), "the node's log");
    }
}
