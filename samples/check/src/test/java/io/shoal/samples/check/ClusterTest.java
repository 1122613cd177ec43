package io.shoal.samples.check;

import io.shoal.ShoalException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The controller's faults on real node processes: start (address from the ready line, PING), SIGSTOP
 * and SIGCONT, SIGKILL and a restart on a new port when its own is taken, the extra node, and {@link Cluster#close()}
 * ending every process.
 */
@Timeout(120)
class ClusterTest {
    @TempDir
    Path dir;
    private final StringWriter err = new StringWriter();
    private Cluster cluster;

    @AfterEach
    void closeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void faultsOnRealNodeProcesses() throws Exception {
        Cluster.Launch launch = ShoalCheck.launch();
        cluster = new Cluster(dir, 1, launch, new Cluster.NodeSettings(1, "file", "s3cret", List.of()),
                Duration.ofSeconds(60), Duration.ofSeconds(30), new RunClock(), new PrintWriter(err, true));
        cluster.startAll();
        NodeProcess n1 = cluster.coreNodes().get(0);
        assertEquals(NodeProcess.State.UP, n1.state);
        String address = n1.address;
        assertTrue(address.matches("127\\.0\\.0\\.1:\\d+"), address);
        assertEquals(List.of(address), cluster.addresses());
        String config = Files.readString(n1.configFile);
        for (String line : new String[] {"node.id = \"n1\"", "server.port = 0", "cluster.seeds = []", "backups.count = 1",
                "backups.sync = true", "transport = tcp", "persistence = file", "persist-file.fsync = always",
                "server.auth.secret = \"s3cret\""}) {
            assertTrue(config.contains(line + "\n"), line + " in " + config);
        }
        long epoch = cluster.addressEpoch();

        cluster.pause(n1);
        assertEquals(NodeProcess.State.PAUSED, n1.state);
        assertThrows(ShoalException.class, () -> cluster.ping(address), "a stopped process answers nothing");
        cluster.resume(n1);
        assertEquals(NodeProcess.State.UP, n1.state);
        cluster.ping(address);

        Process first = n1.process;
        cluster.kill(n1);
        assertFalse(first.isAlive());
        assertEquals(NodeProcess.State.DOWN, n1.state);
        // A restart reuses the node's port (CheckProcessTest sees that); when it is taken, it gets a new one.
        try (ServerSocket taken = new ServerSocket(n1.port(), 50, InetAddress.getLoopbackAddress())) {
            assertTrue(taken.isBound());
            cluster.start(n1);
        }
        assertNotEquals(address, n1.address, "its port was taken: a new one");
        assertNotEquals(epoch, cluster.addressEpoch(), "the workers learn the new address");
        assertTrue(err.toString().contains("n1 cannot listen on its port " + address.split(":")[1] + " again"),
                err.toString());
        String n1Address = n1.address;
        long movedEpoch = cluster.addressEpoch();

        cluster.addExtra();
        NodeProcess n2 = cluster.extraNode();
        assertEquals(NodeProcess.State.UP, n2.state);
        assertNotEquals(movedEpoch, cluster.addressEpoch());
        assertEquals(List.of(n1Address, n2.address), cluster.addresses());
        assertTrue(Files.readString(n2.configFile).contains("cluster.seeds = [\"" + n1Address + "\"]\n"),
                "seeded with the node up");
        cluster.removeExtra();
        assertFalse(n2.isAlive());
        assertEquals(List.of(n1Address), cluster.addresses());
        String log = Files.readString(n1.logFile);
        assertEquals(3, log.split("=== shoal check ", -1).length - 1, "a marker line per start: " + log);

        cluster.pause(n1);
        Process paused = n1.process;
        cluster.close();
        assertFalse(paused.isAlive(), "close ends a paused node too");
        assertThrows(NodeStartException.class, () -> cluster.start(n1), "nothing starts after close");
    }
}
