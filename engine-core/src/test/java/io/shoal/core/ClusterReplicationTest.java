package io.shoal.core;

import io.shoal.BucketLostException;
import io.shoal.Codecs;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import io.shoal.client.NodeProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Copies on several nodes: rebalancing when nodes join, failover when one dies, loss reported. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusterReplicationTest {
    private static final int BUCKETS = 16;
    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    private static Map<String, Object> settings(String nodeId, int backups, String... seeds) {
        return ServerNodes.clusterSettings(nodeId, backups, seeds);
    }

    private ShoalNode node(String nodeId, int backups, String... seeds) {
        return node(settings(nodeId, backups, seeds));
    }

    private ShoalNode node(Map<String, Object> settings) {
        ShoalNode node = Shoal.start(ServerNodes.config(settings).build());
        started.add(node);
        return node;
    }

    private NodeProcess process(String nodeId, int backups, String... seeds) throws Exception {
        NodeProcess process = NodeProcess.start(0, settings(nodeId, backups, seeds));
        started.add(process);
        return process;
    }

    private static Ownership ownership(ShoalNode node) {
        return ((ShoalNodeImpl) node).ownership();
    }

    /** Waits until every node serves its even share of primaries and no copy is still being fed. */
    private static void awaitBalanced(int backups, ShoalNode... nodes) {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            int primaries = 0;
            long version = ownership(nodes[0]).tableVersion;
            for (ShoalNode node : nodes) {
                Ownership o = ownership(node);
                assertEquals(version, o.tableVersion, "every node holds the same table");
                int mine = 0;
                int copies = 0;
                for (int b = 0; b < BUCKETS; b++) {
                    if (o.isPrimary(b)) {
                        mine++;
                        for (Ownership.Target t : o.targets(b)) {
                            assertEquals(io.shoal.cluster.ReplicaState.UP_TO_DATE, t.state(), "bucket " + b + " copy on " + t.nodeId());
                            copies++;
                        }
                        assertEquals(Math.min(backups, nodes.length - 1), o.targets(b).size(), "copies of bucket " + b);
                    }
                }
                assertTrue(Math.abs(mine - BUCKETS / nodes.length) <= 1, node.nodeId() + " serves " + mine + " buckets");
                primaries += mine;
            }
            assertEquals(BUCKETS, primaries);
        });
    }

    private static void assertAll(Map<String, String> expected, ShoalNode... through) {
        for (ShoalNode node : through) {
            ShoalMap<String, String> map = node.map("m", Codecs.string(), Codecs.string());
            for (Map.Entry<String, String> e : expected.entrySet()) {
                assertEquals(e.getValue(), map.get(e.getKey()), e.getKey() + " read through " + node.nodeId());
            }
        }
    }

    @Test
    void aJoiningNodeTakesItsShareWithTheData() {
        ShoalNode a = node("a", 1);
        ShoalMap<String, String> map = a.map("m", Codecs.string(), Codecs.string());
        Map<String, String> written = new HashMap<>();
        for (int i = 0; i < 2_000; i++) {
            map.put("k" + i, "v" + i);
            written.put("k" + i, "v" + i);
        }
        ShoalNode b = node("b", 1, ServerNodes.address(a));
        awaitBalanced(1, a, b);
        assertAll(written, a, b);
        ShoalNode c = node("c", 1, ServerNodes.address(b));
        awaitBalanced(1, a, b, c);
        assertAll(written, a, b, c);
        assertTrue(((ShoalNodeImpl) c).engine().entries() > 0, "c holds data of its own");
    }

    @Test
    void writesWhileBucketsMoveAreNotLost() throws Exception {
        ShoalNode a = node("a", 1);
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger failures = new AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<RuntimeException> firstFailure = new java.util.concurrent.atomic.AtomicReference<>();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            int id = w;
            Thread writer = new Thread(() -> {
                ShoalMap<String, String> map = a.map("m", Codecs.string(), Codecs.string());
                for (int i = 0; !stop.get() && i < 1_000_000; i++) {
                    String key = "w" + id + "-" + (i % 500);
                    String value = "v" + i;
                    try {
                        map.put(key, value);
                        acknowledged.put(key, value);
                    } catch (RuntimeException e) {
                        failures.incrementAndGet();
                        firstFailure.compareAndSet(null, e);
                    }
                }
            });
            writer.start();
            writers.add(writer);
        }
        ShoalNode b = node("b", 1, ServerNodes.address(a));
        ShoalNode c = node("c", 1, ServerNodes.address(a));
        awaitBalanced(1, a, b, c);
        stop.set(true);
        for (Thread writer : writers) {
            writer.join(30_000);
        }
        assertEquals(0, failures.get(), "writes failed during the moves, first: " + firstFailure.get());
        assertTrue(acknowledged.size() == 1_500, "every key written: " + acknowledged.size());
        assertAll(acknowledged, a, b, c);
    }

    @Test
    void whenAPrimaryIsKilledItsBackupsServeEveryAcknowledgedWrite() throws Exception {
        NodeProcess victim = process("a", 1);
        ShoalNode b = node("b", 1, victim.address());
        ShoalNode c = node("c", 1, victim.address());
        await().atMost(Duration.ofSeconds(60)).until(() -> ownership(b).tableVersion == ownership(c).tableVersion
                && b.clusterView().orElseThrow().members().size() == 3 && isBalancedView(b, c));
        ShoalMap<String, String> map = b.map("m", Codecs.string(), Codecs.string());
        Map<String, String> written = new HashMap<>();
        for (int i = 0; i < 1_000; i++) {
            map.put("k" + i, "v" + i);
            written.put("k" + i, "v" + i);
        }
        victim.kill();
        await().atMost(Duration.ofSeconds(20)).until(() -> b.clusterView().orElseThrow().members().size() == 2
                && c.clusterView().orElseThrow().members().size() == 2);
        assertAll(written, b, c);
        awaitBalanced(1, b, c);
        assertAll(written, b, c);
    }

    /** Every bucket has its primary and backup, none feeding, as b sees it. */
    private static boolean isBalancedView(ShoalNode b, ShoalNode c) {
        for (ShoalNode node : new ShoalNode[] {b, c}) {
            Ownership o = ownership(node);
            for (int bucket = 0; bucket < BUCKETS; bucket++) {
                if (o.isPrimary(bucket) && o.targets(bucket).stream()
                        .anyMatch(t -> t.state() != io.shoal.cluster.ReplicaState.UP_TO_DATE)) {
                    return false;
                }
            }
        }
        int served = 0;
        for (int bucket = 0; bucket < BUCKETS; bucket++) {
            served += ownership(b).isPrimary(bucket) ? 1 : 0;
        }
        return served >= BUCKETS / 3 - 1;
    }

    @Test
    void aBucketWithNoCopyLeftIsReportedLostNotEmpty() throws Exception {
        NodeProcess victim = process("a", 0);
        ShoalNode b = node("b", 0, victim.address());
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            Ownership o = ownership(b);
            int served = 0;
            for (int bucket = 0; bucket < BUCKETS; bucket++) {
                served += o.isPrimary(bucket) ? 1 : 0;
            }
            return served == BUCKETS / 2;
        });
        ShoalMap<String, String> map = b.map("m", Codecs.string(), Codecs.string());
        for (int i = 0; i < 200; i++) {
            map.put("k" + i, "v" + i);
        }
        victim.kill();
        await().atMost(Duration.ofSeconds(20)).until(() -> b.clusterView().orElseThrow().members().size() == 1);
        int lost = 0;
        for (int i = 0; i < 200; i++) {
            try {
                assertEquals("v" + i, map.get("k" + i));
            } catch (BucketLostException e) {
                lost++;
                assertTrue(e.getMessage().contains("lost"), e.getMessage());
            }
        }
        assertTrue(lost > 50 && lost < 150, "about half the keys were in the dead node's buckets: " + lost);
        assertThrows(BucketLostException.class, () -> {
            for (int i = 0; i < 200; i++) {
                map.put("k" + i, "again");
            }
        });
    }

    @Test
    void aNodeThatStopsHandsItsCopiesOverFirst() throws Exception {
        ShoalNode a = node("a", 1);
        ShoalNode b = node("b", 1, ServerNodes.address(a));
        ShoalNode c = node("c", 1, ServerNodes.address(a));
        awaitBalanced(1, a, b, c);
        ShoalMap<String, String> map = b.map("m", Codecs.string(), Codecs.string());
        Map<String, String> written = new HashMap<>();
        for (int i = 0; i < 2_000; i++) {
            map.put("k" + i, "v" + i);
            written.put("k" + i, "v" + i);
        }
        a.close(); // the coordinator, and primary of a third of the buckets
        assertEquals(List.of("b", "c"), b.clusterView().orElseThrow().nodeIds(), "a left only after handing over");
        awaitBalanced(1, b, c);
        assertAll(written, b, c);
        c.close();
        assertEquals(List.of("b"), b.clusterView().orElseThrow().nodeIds());
        assertAll(written, b);
    }

    @Test
    void twoNodesStoppingTogetherLoseNothingWithTwoBackups() throws Exception {
        ShoalNode a = node("a", 2);
        ShoalNode b = node("b", 2, ServerNodes.address(a));
        ShoalNode c = node("c", 2, ServerNodes.address(a));
        ShoalNode d = node("d", 2, ServerNodes.address(a));
        awaitBalanced(2, a, b, c, d);
        ShoalMap<String, String> map = d.map("m", Codecs.string(), Codecs.string());
        Map<String, String> written = new HashMap<>();
        for (int i = 0; i < 2_000; i++) {
            map.put("k" + i, "v" + i);
            written.put("k" + i, "v" + i);
        }
        Thread first = new Thread(a::close);
        Thread second = new Thread(b::close);
        first.start();
        second.start();
        first.join(60_000);
        second.join(60_000);
        awaitBalanced(2, c, d);
        assertAll(written, c, d);
    }

    /**
     * After the first kill, the new primaries feed the last node's copies again; the second kill
     * comes while those feeds run: the copy being fed must still hold every acknowledged write.
     */
    @Test
    void twoNodesKilledOneAfterTheOtherLoseNoAcknowledgedWriteWithTwoBackups() throws Exception {
        NodeProcess first = process("a", 2);
        NodeProcess second = process("b", 2, first.address());
        ShoalNode last = node("c", 2, first.address());
        await().atMost(Duration.ofSeconds(60)).until(() -> last.clusterView().orElseThrow().members().size() == 3
                && allCopiesUpToDate(ownership(last)));
        ShoalMap<String, String> map = last.map("m", Codecs.string(), Codecs.string());
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        for (int i = 0; i < 20_000; i++) {
            map.put("k" + i, "v" + i);
            acknowledged.put("k" + i, "v" + i);
        }
        LocalEngine survivor = ((ShoalNodeImpl) last).engine();
        await().atMost(Duration.ofSeconds(30)).until(() -> java.util.stream.IntStream.range(0, BUCKETS)
                .mapToLong(b -> survivor.bucket(b).entriesApprox()).sum() == 20_000);
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            for (int i = 0; !stop.get() && i < 1_000_000; i++) {
                try {
                    map.put("w" + i, "v" + i);
                    acknowledged.put("w" + i, "v" + i);
                } catch (RuntimeException e) {
                    // outcome unknown while nodes die: not counted
                }
            }
        });
        writer.start();
        first.kill();
        await().atMost(Duration.ofSeconds(20)).until(() -> last.clusterView().orElseThrow().members().size() == 2);
        second.kill();
        await().atMost(Duration.ofSeconds(20)).until(() -> last.clusterView().orElseThrow().members().size() == 1);
        stop.set(true);
        writer.join(30_000);
        Ownership o = ownership(last);
        for (int b = 0; b < BUCKETS; b++) {
            assertTrue(o.isPrimary(b) && !o.isLost(b), "bucket " + b + " is served by the last node");
        }
        assertTrue(acknowledged.size() > 20_000, "writes were acknowledged between the kills");
        assertAll(acknowledged, last);
    }

    private static boolean allCopiesUpToDate(Ownership o) {
        for (int b = 0; b < BUCKETS; b++) {
            if (o.isPrimary(b) && o.targets(b).stream()
                    .anyMatch(t -> t.state() != io.shoal.cluster.ReplicaState.UP_TO_DATE)) {
                return false;
            }
        }
        return true;
    }

    @Test
    void aCopyThatLostEntriesBehindItsPrimarysBackIsFedAgainByAntiEntropy() {
        Map<String, Object> settingsA = settings("a", 1);
        settingsA.put("cluster.antiEntropyIntervalMs", 200);
        ShoalNode a = node(settingsA);
        Map<String, Object> settingsB = settings("b", 1, ServerNodes.address(a));
        settingsB.put("cluster.antiEntropyIntervalMs", 200);
        ShoalNode b = node(settingsB);
        ShoalMap<String, String> map = a.map("m", Codecs.string(), Codecs.string());
        for (int i = 0; i < 500; i++) {
            map.put("k" + i, "v" + i);
        }
        awaitBalanced(1, a, b);
        Ownership owned = ownership(a);
        int bucket = java.util.stream.IntStream.range(0, BUCKETS).filter(owned::isPrimary).findFirst().orElseThrow();
        LocalEngine primary = ((ShoalNodeImpl) a).engine();
        LocalEngine backup = ((ShoalNodeImpl) b).engine();
        long held = primary.bucket(bucket).entriesApprox();
        assertTrue(held > 0, "bucket " + bucket + " holds entries");
        await().atMost(Duration.ofSeconds(10)).until(() -> backup.bucket(bucket).entriesApprox() == held);

        backup.dropBucket(bucket); // the copy loses its entries without a change the primary would send

        assertEquals(0, backup.bucket(bucket).entriesApprox());
        await().atMost(Duration.ofSeconds(20)).until(() -> backup.bucket(bucket).entriesApprox() == held);
        assertTrue(((ShoalNodeImpl) a).clusterCopiesRepaired() >= 1, "the primary counted the repair");
    }

    @Test
    void aPausedClusterRefusesWritesServesReadsAndMovesNothingUntilResumed() {
        ShoalNode a = node("a", 1);
        ShoalNode b = node("b", 1, ServerNodes.address(a));
        awaitBalanced(1, a, b);
        ShoalMap<String, String> viaA = a.map("m", Codecs.string(), Codecs.string());
        ShoalMap<String, String> viaB = b.map("m", Codecs.string(), Codecs.string());
        for (int i = 0; i < 100; i++) {
            viaA.put("k" + i, "v" + i);
        }
        b.pauseCluster(); // through a member: the coordinator decides
        await().atMost(Duration.ofSeconds(10)).until(() -> a.clusterView().orElseThrow().paused()
                && b.clusterView().orElseThrow().paused());
        for (ShoalMap<String, String> map : List.of(viaA, viaB)) {
            assertThrows(io.shoal.ClusterPausedException.class, () -> map.put("k1", "changed"));
            assertThrows(io.shoal.ClusterPausedException.class, () -> map.remove("k2"));
            assertEquals("v1", map.get("k1"), "reads are served");
        }
        ShoalNode c = node("c", 1, ServerNodes.address(a));
        await().atMost(Duration.ofSeconds(10)).until(() -> c.clusterView().orElseThrow().paused());
        long table = ownership(a).tableVersion;
        for (int b2 = 0; b2 < BUCKETS; b2++) {
            assertTrue(!ownership(c).holds(b2), "no bucket moves to a node that joined a paused cluster");
        }
        assertEquals(table, ownership(c).tableVersion);
        a.resumeCluster();
        awaitBalanced(1, a, b, c);
        viaB.put("k1", "changed");
        assertEquals("changed", c.map("m", Codecs.string(), Codecs.string()).get("k1"));
        Map<String, String> expected = new HashMap<>();
        for (int i = 2; i < 100; i++) {
            expected.put("k" + i, "v" + i);
        }
        assertAll(expected, a, b, c);
    }
}
