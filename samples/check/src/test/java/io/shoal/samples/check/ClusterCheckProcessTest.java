package io.shoal.samples.check;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real cluster under {@code check}, as {@code bin/shoal check --nodes 3} runs it (its own JVM, node
 * processes, every fault: SIGKILL and restart, clean restart, SIGSTOP shorter and longer than
 * {@code cluster.failureTimeoutMs}, the extra node added and removed), with {@code backups.count = 1}
 * ({@code backups.sync = true}) and {@code persistence = file}: while the checker takes one node away at
 * a time and waits for the cluster to heal before the next fault, nothing acknowledged may be lost and
 * no read may be wrong. Four minutes of faults (at least 15: one every 4 to 6 s once the cluster has
 * healed from the last), about five in all. The acceptance test of the cluster.
 */
@Timeout(600)
class ClusterCheckProcessTest {
    private static final long RUN_DEADLINE_SECONDS = 540;
    private static final Path WORK_DIR = Path.of("target", "cluster-check").toAbsolutePath();

    @TempDir
    Path dir;
    private CheckTool tool;

    @BeforeEach
    void tool() {
        // Under target/, not the temporary directory: a failed run keeps its work dir (every node's log) there.
        tool = new CheckTool(dir, WORK_DIR);
    }

    @AfterEach
    void endTool() throws InterruptedException {
        tool.end();
    }

    @Test
    void threeNodesWithOneBackupLoseNothingAndReadNothingWrongThroughEveryFault() throws Exception {
        Path history = dir.resolve("history.jsonl");
        CheckTool.Result run = tool.run(RUN_DEADLINE_SECONDS, "--nodes", "3", "--minutes", "4", "--backups", "1",
                "--persistence", "file", "--fault-interval", "4s-6s", "--seed", "20261122",
                "--json-history", history.toString());
        assertFalse(run.err().contains("UNHEALED"), "the cluster healed after every fault:\n" + run.err());
        assertFalse(run.err().contains("BUCKET LOST"), "no bucket lost every copy:\n" + run.err());
        assertEquals(0, run.lost(), "lost: " + run.out() + "\n" + run.err());
        assertEquals(0, run.wrong(), "wrong: " + run.out() + "\n" + run.err());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.faults() >= 15, "faults: " + run.out() + "\n" + run.err());
        assertTrue(run.ops() > 10_000, "ops: " + run.out());
        assertTrue(run.err().contains(": 0 wrong, 0 lost; final read-back: 1000 keys read"), run.err());
        List<String> lines = Files.readAllLines(history);
        List<String> faults = lines.stream().filter(l -> l.startsWith("{\"type\":\"fault\"")).toList();
        assertEquals(run.faults(), faults.size(), "every fault in the history");
        for (String kind : new String[] {"SIGKILL", "SIGTERM", "SIGSTOP", "add an extra node", "remove the extra node"}) {
            assertTrue(faults.stream().anyMatch(l -> l.contains(kind)), kind + " among the faults: " + faults);
        }
        assertTrue(faults.stream().allMatch(l -> l.matches(".*\"healed\":[0-9.]+}")),
                "the cluster healed after each fault: " + faults);
        try (Stream<Path> left = Files.list(WORK_DIR)) {
            assertTrue(left.noneMatch(p -> run.err().contains(p.toString())), "the work dir of a clean run is deleted");
        }
    }
}
