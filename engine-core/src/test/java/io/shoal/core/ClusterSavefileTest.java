package io.shoal.core;

import io.shoal.Codecs;
import io.shoal.ConfigException;
import io.shoal.Shoal;
import io.shoal.ShoalEntry;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import io.shoal.TransferException;
import io.shoal.spi.ByteSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code cluster.savefile}: the last member to stop writes it, the others do not; a node that has
 * it injects it into the cluster when it starts (founding one or joining one), keeping values the
 * cluster already has, and renames it so that it is not injected twice; a damaged one fails the
 * start and is left as it is.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusterSavefileTest {
    private static final int BUCKETS = 16;
    private static final Duration TTL = Duration.ofMinutes(30);

    @TempDir
    Path dir;
    private final List<ShoalNode> started = new ArrayList<>();

    @AfterEach
    void closeAll() {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    private static Map<String, Object> settings(String nodeId, Path savefile, String... seeds) {
        Map<String, Object> settings = ServerNodes.clusterSettings(nodeId, 1, seeds);
        if (savefile != null) {
            settings.put("cluster.savefile", savefile.toString());
        }
        return settings;
    }

    private ShoalNode node(String nodeId, Path savefile, String... seeds) {
        ShoalNode node = Shoal.start(ServerNodes.config(settings(nodeId, savefile, seeds)).build());
        started.add(node);
        return node;
    }

    private static ShoalMap<String, String> map(ShoalNode node, String name) {
        return node.map(name, Codecs.string(), Codecs.string());
    }

    /** Waits until the nodes share one table in which every bucket has its primary and up-to-date backup. */
    private static void awaitSettled(ShoalNode... nodes) {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            long version = ((ShoalNodeImpl) nodes[0]).ownership().tableVersion;
            int primaries = 0;
            for (ShoalNode node : nodes) {
                assertEquals(nodes.length, node.clusterView().orElseThrow().members().size(),
                        node.nodeId() + "'s view");
                Ownership o = ((ShoalNodeImpl) node).ownership();
                assertEquals(version, o.tableVersion, "every node holds the same table");
                for (int b = 0; b < BUCKETS; b++) {
                    if (o.isPrimary(b)) {
                        primaries++;
                        assertEquals(Math.min(1, nodes.length - 1), o.targets(b).size(), "copies of bucket " + b);
                        for (Ownership.Target t : o.targets(b)) {
                            assertEquals(io.shoal.cluster.ReplicaState.UP_TO_DATE, t.state(), "bucket " + b);
                        }
                    }
                }
            }
            assertEquals(BUCKETS, primaries);
        });
    }

    /** Writes {@code count} entries to map "m" and every third one to "t" with an expiry; returns "t"'s entries. */
    private static Map<String, ShoalEntry<String, String>> write(ShoalNode node, String prefix, int count) {
        ShoalMap<String, String> m = map(node, "m");
        ShoalMap<String, String> t = map(node, "t");
        Map<String, ShoalEntry<String, String>> expiring = new HashMap<>();
        for (int i = 0; i < count; i++) {
            m.put("k" + i, prefix + i);
            if (i % 3 == 0) {
                t.put("e" + i, prefix + i, TTL);
                expiring.put("e" + i, t.getEntry("e" + i));
            }
        }
        return expiring;
    }

    private static void assertHolds(ShoalNode node, String prefix, int count,
                                     Map<String, ShoalEntry<String, String>> expiring, long expiryToleranceMs) {
        ShoalMap<String, String> m = map(node, "m");
        ShoalMap<String, String> t = map(node, "t");
        for (int i = 0; i < count; i++) {
            assertEquals(prefix + i, m.get("k" + i), "k" + i + " read through " + node.nodeId());
        }
        for (Map.Entry<String, ShoalEntry<String, String>> e : expiring.entrySet()) {
            ShoalEntry<String, String> read = t.getEntry(e.getKey());
            assertNotNull(read, e.getKey() + " read through " + node.nodeId());
            assertEquals(e.getValue().value(), read.value());
            assertTrue(read.expiresAtMs() > 0, e.getKey() + " kept an expiry");
            assertTrue(Math.abs(e.getValue().expiresAtMs() - read.expiresAtMs()) <= expiryToleranceMs,
                    e.getKey() + " expires at " + read.expiresAtMs() + ", not " + e.getValue().expiresAtMs());
        }
    }

    private static long entriesIn(Path savefile) throws IOException {
        try (ExportFileReader reader = ExportFileReader.open(savefile, 1 << 20, 1 << 20)) {
            long entries = 0;
            ByteSink key = new ByteSink();
            ByteSink value = new ByteSink();
            while (reader.next(key.reset(), value.reset())) {
                entries++;
            }
            return entries;
        }
    }

    private List<Path> leftovers() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    @Test
    void theLastMemberSavesTheClusterAndTheNextStartLoadsItOnce() throws IOException {
        Path saveA = dir.resolve("a.save");
        Path saveB = dir.resolve("b.save");
        ShoalNode a = node("a", saveA);
        ShoalNode b = node("b", saveB, ServerNodes.address(a));
        awaitSettled(a, b);
        Map<String, ShoalEntry<String, String>> expiring = write(a, "v", 2_000);
        assertHolds(b, "v", 2_000, expiring, 0);

        b.close();
        assertFalse(Files.exists(saveB), "b was not the last member: it writes no savefile");
        assertFalse(Files.exists(saveA), "a is still running");
        a.close();
        assertTrue(Files.exists(saveA), "a stopped as the last member");
        assertFalse(Files.exists(saveB));
        assertEquals(2_000 + expiring.size(), entriesIn(saveA));
        assertEquals(List.of(), leftovers());
        byte[] saved = Files.readAllBytes(saveA);
        Path loaded = dir.resolve("a.save.loaded");
        Files.writeString(loaded, "an older savefile, loaded before");

        ShoalNode a2 = node("a", saveA);
        assertHolds(a2, "v", 2_000, expiring, 0);
        assertFalse(Files.exists(saveA), "renamed once injected");
        assertArrayEquals(saved, Files.readAllBytes(loaded));

        ShoalNode b2 = node("b", saveB, ServerNodes.address(a2));
        awaitSettled(a2, b2);
        assertHolds(b2, "v", 2_000, expiring, 0);

        // Changes after the load survive a restart of the node that loaded it: nothing is injected again.
        map(b2, "m").put("k1", "changed");
        assertTrue(map(b2, "m").remove("k2"));
        a2.close();
        assertFalse(Files.exists(saveA), "a was not the last member this time");
        ShoalNode a3 = node("a", saveA, ServerNodes.address(b2));
        awaitSettled(a3, b2);
        for (ShoalNode node : List.of(a3, b2)) {
            assertEquals("changed", map(node, "m").get("k1"));
            assertNull(map(node, "m").get("k2"), "a removed key stays removed");
            assertEquals("v3", map(node, "m").get("k3"));
        }
        assertArrayEquals(saved, Files.readAllBytes(loaded));
        assertFalse(Files.exists(saveA));
    }

    @Test
    void onlyTheLastOfThreeMembersWritesTheSavefile() throws IOException {
        Path save = dir.resolve("cluster.save"); // one path for all: only the last writes it
        ShoalNode a = node("a", save);
        ShoalNode b = node("b", save, ServerNodes.address(a));
        ShoalNode c = node("c", save, ServerNodes.address(a));
        awaitSettled(a, b, c);
        write(b, "v", 300);
        a.close(); // the coordinator leaves first
        assertFalse(Files.exists(save));
        c.close();
        assertFalse(Files.exists(save));
        await().atMost(Duration.ofSeconds(30)).until(() -> b.clusterView().orElseThrow().members().size() == 1);
        b.close();
        assertTrue(Files.exists(save), "b stopped as the last member");
        assertEquals(300 + 100, entriesIn(save));
        assertEquals(List.of(), leftovers());
    }

    @Test
    void aNodeJoiningARunningClusterInjectsItsSavefileKeepingTheClustersValues() throws IOException {
        Path saveA = dir.resolve("a.save");
        ShoalNode a = node("a", saveA);
        Map<String, ShoalEntry<String, String>> expiring = write(a, "old", 600);
        a.close();
        assertTrue(Files.exists(saveA));

        ShoalNode c = node("c", null);
        ShoalMap<String, String> m = map(c, "m");
        for (int i = 0; i < 100; i++) {
            m.put("k" + i, "new" + i);
        }
        map(c, "t").put("e0", "new0");
        ShoalNode a2 = node("a", saveA, ServerNodes.address(c));
        assertTrue(Files.exists(dir.resolve("a.save.loaded")));
        assertFalse(Files.exists(saveA));
        awaitSettled(c, a2);
        for (ShoalNode node : List.of(a2, c)) {
            ShoalMap<String, String> through = map(node, "m");
            for (int i = 0; i < 600; i++) {
                assertEquals((i < 100 ? "new" : "old") + i, through.get("k" + i),
                        "k" + i + " through " + node.nodeId());
            }
            ShoalEntry<String, String> kept = map(node, "t").getEntry("e0");
            assertEquals("new0", kept.value(), "the cluster's value stays");
            assertEquals(0, kept.expiresAtMs());
        }
        expiring.remove("e0");
        // Sent to another member as a time to live: the expiry shifts by the time the request took.
        assertHolds(a2, "old", 0, expiring, 2_000);
        assertHolds(c, "old", 0, expiring, 2_000);
    }

    @Test
    void withPersistenceTheInjectedEntriesAreStoredLikeAnyWrite() throws IOException {
        Path save = dir.resolve("a.save");
        Map<String, Object> first = settings("a", save);
        first.put("persistence", "test-memory");
        first.put("test.persistence.dir", dir.resolve("first").toString());
        ShoalNode a = Shoal.start(ServerNodes.config(first).build());
        started.add(a);
        Map<String, ShoalEntry<String, String>> expiring = write(a, "v", 500);
        a.close();
        assertTrue(Files.exists(save), "written with persistence on too");

        // A node whose own persisted copies are gone (another data directory) gets the data back from
        // the savefile, and its persistence stores every injected entry.
        Map<String, Object> second = settings("a", save);
        second.put("persistence", "test-memory");
        second.put("test.persistence.dir", dir.resolve("second").toString());
        ShoalNode a2 = Shoal.start(ServerNodes.config(second).build());
        started.add(a2);
        assertHolds(a2, "v", 500, expiring, 0);
        map(a2, "m").put("k0", "after");
        a2.close();
        Files.delete(save); // written again by a2, the last member: without it only persistence remains
        second.put("cluster.savefile", "");
        ShoalNode recovered = Shoal.start(ServerNodes.config(second).build());
        started.add(recovered);
        assertEquals("after", map(recovered, "m").get("k0"));
        assertHolds(recovered, "v", 0, expiring, 0);
        assertEquals("v499", map(recovered, "m").get("k499"));

        // The node's own recovered values win over the savefile's (the key has a value).
        recovered.close();
        Files.move(dir.resolve("a.save.loaded"), save);
        second.put("cluster.savefile", save.toString());
        ShoalNode both = Shoal.start(ServerNodes.config(second).build());
        started.add(both);
        assertEquals("after", map(both, "m").get("k0"));
    }

    @Test
    void aDamagedSavefileFailsTheStartAndIsLeftAsItIs() throws IOException {
        Path save = dir.resolve("a.save");
        ShoalNode a = node("a", save);
        write(a, "v", 200);
        a.close();
        byte[] intact = Files.readAllBytes(save);

        byte[] flipped = intact.clone();
        flipped[intact.length / 2] ^= 0x5a;
        Files.write(save, flipped);
        TransferException damaged = assertThrows(TransferException.class, () -> node("a", save));
        assertTrue(damaged.getMessage().contains(save.toString()), damaged.getMessage());
        assertTrue(damaged.getMessage().contains("damaged at offset " + damaged.offsetBytes()), damaged.getMessage());
        assertTrue(damaged.offsetBytes() > 0 && damaged.offsetBytes() < intact.length, damaged.getMessage());
        assertEquals(0, damaged.entriesImported());
        assertArrayEquals(flipped, Files.readAllBytes(save), "left as it is");
        assertFalse(Files.exists(dir.resolve("a.save.loaded")));

        Files.write(save, intact);
        try (FileChannel channel = FileChannel.open(save, StandardOpenOption.WRITE)) {
            channel.truncate(intact.length - 7); // the end record cut short
        }
        byte[] truncated = Files.readAllBytes(save);
        TransferException cut = assertThrows(TransferException.class, () -> node("a", save));
        assertTrue(cut.getMessage().contains(save.toString()) && cut.getMessage().contains("truncated"),
                cut.getMessage());
        assertTrue(cut.offsetBytes() > 0 && cut.offsetBytes() < intact.length, cut.getMessage());
        assertArrayEquals(truncated, Files.readAllBytes(save), "left as it is");
        assertFalse(Files.exists(dir.resolve("a.save.loaded")));

        Files.write(save, intact); // restored: the start succeeds
        ShoalNode restored = node("a", save);
        assertEquals("v7", map(restored, "m").get("k7"));
        assertTrue(Files.exists(dir.resolve("a.save.loaded")));
    }

    @Test
    void aBadSavefileSettingIsRefusedNamingIt() throws IOException {
        ConfigException directory = assertThrows(ConfigException.class, () -> node("a", dir));
        assertEquals("cluster.savefile", directory.key());
        assertTrue(directory.getMessage().contains(dir.toString()) && directory.getMessage().contains("directory"),
                directory.getMessage());
        Path file = Files.writeString(dir.resolve("plain"), "x");
        ConfigException underFile = assertThrows(ConfigException.class, () -> node("a", file.resolve("a.save")));
        assertEquals("cluster.savefile", underFile.key());
        ConfigException loaded = assertThrows(ConfigException.class, () -> node("a", dir.resolve("a.save.loaded")));
        assertTrue(loaded.getMessage().contains(".loaded"), loaded.getMessage());
    }
}
