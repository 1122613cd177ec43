package io.shoal.cluster;

import io.shoal.cluster.PartitionTable.Replica;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.shoal.cluster.ReplicaState.FEEDING;
import static io.shoal.cluster.ReplicaState.OUT_OF_DATE;
import static io.shoal.cluster.ReplicaState.UP_TO_DATE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PartitionPlannerTest {

    // ---- initial assignment ----

    static Stream<Arguments> clusterShapes() {
        List<Arguments> shapes = new ArrayList<>();
        for (int nodes = 1; nodes <= 7; nodes++) {
            for (int buckets : new int[] {1, 16, 256}) {
                for (int backups = 0; backups <= 2; backups++) {
                    shapes.add(Arguments.of(nodes, buckets, backups));
                }
            }
        }
        return shapes.stream();
    }

    @ParameterizedTest(name = "{0} nodes, {1} buckets, {2} backups")
    @MethodSource("clusterShapes")
    void initialAssignmentIsBalancedAndImmediate(int nodes, int buckets, int backups) {
        PartitionPlanner planner = new PartitionPlanner(backups);
        List<MemberInfo> members = nodes(nodes);
        PartitionTable table = planner.nextStep(PartitionTable.empty(buckets, backups), members, 1, 1);

        assertEquals(1, table.version());
        for (int b = 0; b < buckets; b++) {
            assertEquals(Math.min(backups + 1, nodes), table.replicas(b).size(), "bucket " + b);
            for (Replica r : table.replicas(b)) {
                assertEquals(UP_TO_DATE, r.state(), "bucket " + b + " is assigned directly, not fed");
            }
        }
        assertBalanced(table, members, backups);
        assertTrue(planner.isBalanced(table, members));
        assertSame(table, planner.nextStep(table, members, 1, 2), "nothing left to do");
    }

    @ParameterizedTest(name = "{0} backups")
    @ValueSource(ints = {1, 2})
    void zonesGetOneCopyEachWhenThereAreEnough(int backups) {
        PartitionPlanner planner = new PartitionPlanner(backups);
        List<MemberInfo> members = List.of(
                new MemberInfo("a1", "za"), new MemberInfo("a2", "za"),
                new MemberInfo("b1", "zb"), new MemberInfo("b2", "zb"),
                new MemberInfo("c1", "zc"), new MemberInfo("c2", "zc"));
        PartitionTable table = planner.nextStep(PartitionTable.empty(256, backups), members, 1, 1);
        for (int b = 0; b < 256; b++) {
            Set<String> zones = new HashSet<>();
            for (Replica r : table.replicas(b)) {
                zones.add(zoneOf(members, r.nodeId()));
            }
            assertEquals(backups + 1, zones.size(), "bucket " + b + " copies in distinct zones: " + table.replicas(b));
        }
        assertBalanced(table, members, backups);
        // equal zones: the zone rule costs no evenness at all
        assertCountsWithinOne(copiesPerNode(table, members));
    }

    @Test
    void zonesOfUnequalSizeStillSpreadEveryBucket() {
        PartitionPlanner planner = new PartitionPlanner(2);
        List<MemberInfo> members = List.of(
                new MemberInfo("a1", "za"),
                new MemberInfo("b1", "zb"), new MemberInfo("b2", "zb"),
                new MemberInfo("c1", "zc"), new MemberInfo("c2", "zc"), new MemberInfo("c3", "zc"));
        PartitionTable table = planner.nextStep(PartitionTable.empty(64, 2), members, 1, 1);
        for (int b = 0; b < 64; b++) {
            Set<String> zones = new HashSet<>();
            table.replicas(b).forEach(r -> zones.add(zoneOf(members, r.nodeId())));
            assertEquals(3, zones.size(), "bucket " + b);
        }
        // the lone node of zone a must hold every bucket; the others share their zone's load evenly
        assertEquals(64, table.bucketsOf("a1", false).size());
        assertEquals(32, table.bucketsOf("b1", false).size());
        assertEquals(32, table.bucketsOf("b2", false).size());
        assertBalanced(table, members, 2);
    }

    @Test
    void fewerZonesThanCopiesUsesEveryZone() {
        PartitionPlanner planner = new PartitionPlanner(2);
        List<MemberInfo> members = List.of(
                new MemberInfo("a1", "za"), new MemberInfo("a2", "za"), new MemberInfo("a3", "za"),
                new MemberInfo("b1", "zb"), new MemberInfo("b2", "zb"), new MemberInfo("b3", "zb"));
        PartitionTable table = planner.nextStep(PartitionTable.empty(128, 2), members, 1, 1);
        for (int b = 0; b < 128; b++) {
            Map<String, Integer> perZone = new HashMap<>();
            table.replicas(b).forEach(r -> perZone.merge(zoneOf(members, r.nodeId()), 1, Integer::sum));
            assertEquals(2, perZone.size(), "bucket " + b + " spans both zones: " + table.replicas(b));
        }
        assertBalanced(table, members, 2);
        assertCountsWithinOne(copiesPerNode(table, members));
    }

    @Test
    void nodesWithoutZoneAreTheirOwnZone() {
        PartitionPlanner planner = new PartitionPlanner(1);
        List<MemberInfo> members = List.of(
                new MemberInfo("a1", "za"), new MemberInfo("a2", "za"), new MemberInfo("x"), new MemberInfo("y"));
        PartitionTable table = planner.nextStep(PartitionTable.empty(64, 1), members, 1, 1);
        for (int b = 0; b < 64; b++) {
            List<Replica> list = table.replicas(b);
            assertFalse(list.get(0).nodeId().startsWith("a") && list.get(1).nodeId().startsWith("a"),
                    "bucket " + b + " has both copies in zone a: " + list);
        }
        assertBalanced(table, members, 1);
    }

    // ---- joins ----

    @ParameterizedTest(name = "{0} backups")
    @ValueSource(ints = {0, 1, 2})
    void joinOfThirdNodeMovesOnlyItsShare(int backups) {
        PartitionPlanner planner = new PartitionPlanner(backups);
        List<MemberInfo> two = nodes(2);
        PartitionTable start = planner.nextStep(PartitionTable.empty(256, backups), two, 4, 1);
        List<MemberInfo> three = nodes(3);
        int maxFeeds = 4;

        List<PartitionTable> seen = new ArrayList<>();
        Run run = converge(planner, start, three, maxFeeds, seen::add);

        PartitionTable end = run.table;
        int copiesOnNew = end.bucketsOf("n2", false).size();
        int copies = 256 * Math.min(backups + 1, 3);
        assertEquals(copies / 3.0, copiesOnNew, 1.0, "the new node gets a third of all copies");
        assertEquals(copiesOnNew, run.feedsStarted, "every feed moved a copy the new node keeps; nothing else moved");
        for (int b = 0; b < 256; b++) {
            Set<String> before = nodeSet(start.replicas(b));
            Set<String> after = nodeSet(end.replicas(b));
            after.remove("n2");
            assertTrue(before.containsAll(after), "bucket " + b + " moved between old nodes: " + before + " -> " + after);
        }
        for (PartitionTable t : seen) {
            for (int b = 0; b < 256; b++) {
                assertTrue(upToDate(t.replicas(b)) >= upToDate(start.replicas(b)),
                        "bucket " + b + " lost an up-to-date copy in version " + t.version() + ": " + t.replicas(b));
            }
        }
        assertTrue(run.rounds <= copiesOnNew / maxFeeds + 3, "rounds " + run.rounds + " for " + copiesOnNew + " feeds");
        assertBalanced(end, three, backups);
        assertTrue(planner.isBalanced(end, three));
    }

    @Test
    void manyJoinsOneAtATimeStayBalancedAndMoveLittle() {
        PartitionPlanner planner = new PartitionPlanner(1);
        PartitionTable table = planner.nextStep(PartitionTable.empty(256, 1), nodes(1), 2, 1);
        for (int n = 2; n <= 8; n++) {
            List<MemberInfo> members = nodes(n);
            Run run = converge(planner, table, members, 8, t -> { });
            int copiesOnNew = run.table.bucketsOf("n" + (n - 1), false).size();
            // the newcomer's copies, plus at most a few shuffled to keep every count within one
            assertTrue(run.feedsStarted <= copiesOnNew + n, n + " nodes: " + run.feedsStarted + " feeds for "
                    + copiesOnNew + " copies on the new node");
            assertBalanced(run.table, members, 1);
            table = run.table;
        }
    }

    // ---- kills and leaves ----

    @Test
    void killOneOfThreeWithOneBackupLosesNothing() {
        PartitionPlanner planner = new PartitionPlanner(1);
        PartitionTable table = planner.nextStep(PartitionTable.empty(256, 1), nodes(3), 1, 1);
        PartitionTable after = planner.failover(table, List.of("n0", "n1"), 2);

        assertEquals(2, after.version());
        assertFalse(after.nodes().contains("n2"));
        for (int b = 0; b < 256; b++) {
            assertFalse(after.isLost(b));
            assertEquals(UP_TO_DATE, after.replicas(b).get(0).state());
            Set<String> expected = nodeSet(table.replicas(b));
            expected.remove("n2");
            assertEquals(expected, nodeSet(after.replicas(b)));
        }
        Run run = converge(planner, after, nodes(2), 8, t -> { });
        assertBalanced(run.table, nodes(2), 1);
        assertEquals(256, run.table.bucketsOf("n0", false).size());
    }

    @Test
    void killTwoWithOneBackupLosesExactlyTheBucketsWithEveryCopyOnThem() {
        PartitionPlanner planner = new PartitionPlanner(1);
        PartitionTable table = planner.nextStep(PartitionTable.empty(256, 1), nodes(4), 1, 1);
        Set<String> killed = Set.of("n2", "n3");
        PartitionTable after = planner.failover(table, List.of("n0", "n1"), 2);

        int lost = 0;
        for (int b = 0; b < 256; b++) {
            boolean allKilled = killed.containsAll(nodeSet(table.replicas(b)));
            assertEquals(allKilled, after.isLost(b), "bucket " + b + " " + table.replicas(b));
            assertEquals(allKilled, after.replicas(b).isEmpty());
            lost += allKilled ? 1 : 0;
        }
        assertTrue(lost > 0, "the layout spreads pairs, so some bucket had both copies on n2 and n3");
        assertEquals(after.lostBuckets().size(), lost);

        List<MemberInfo> survivors = nodes(2);
        Run run = converge(planner, after, survivors, 8, t -> { });
        for (int b = 0; b < 256; b++) {
            assertEquals(after.isLost(b), run.table.isLost(b), "lost buckets stay lost until reassigned");
        }
        assertTrue(planner.isBalanced(run.table, survivors));
        assertBalanced(run.table, survivors, 1);

        PartitionTable reassigned = planner.reassignLost(run.table, survivors, run.table.version() + 1);
        assertTrue(reassigned.lostBuckets().isEmpty());
        for (int b : run.table.lostBuckets()) {
            assertEquals(2, reassigned.replicas(b).size());
            assertEquals(2, upToDate(reassigned.replicas(b)));
        }
        assertSame(reassigned, planner.reassignLost(reassigned, survivors, reassigned.version() + 1));
        assertBalanced(converge(planner, reassigned, survivors, 8, t -> { }).table, survivors, 1);
    }

    @Test
    void killTwoWithTwoBackupsLosesNothing() {
        PartitionPlanner planner = new PartitionPlanner(2);
        PartitionTable table = planner.nextStep(PartitionTable.empty(256, 2), nodes(4), 1, 1);
        PartitionTable after = planner.failover(table, List.of("n0", "n3"), 2);
        for (int b = 0; b < 256; b++) {
            assertFalse(after.isLost(b));
            assertTrue(upToDate(after.replicas(b)) >= 1, "bucket " + b);
        }
        Run run = converge(planner, after, List.of(new MemberInfo("n0"), new MemberInfo("n3")), 4, t -> { });
        assertBalanced(run.table, List.of(new MemberInfo("n0"), new MemberInfo("n3")), 2);
    }

    @Test
    void secondKillBeforeRecoveryLosesOnlyBucketsWhoseLastCopyDied() {
        PartitionPlanner planner = new PartitionPlanner(1);
        PartitionTable table = planner.nextStep(PartitionTable.empty(128, 1), nodes(4), 1, 1);
        PartitionTable first = planner.failover(table, List.of("n0", "n1", "n2"), 2);
        // one step of recovery: a few feeds run but none finished
        PartitionTable stepped = planner.nextStep(first, nodes(3), 2, 3);
        PartitionTable second = planner.failover(stepped, List.of("n0", "n1"), 4);
        int lost = 0;
        for (int b = 0; b < 128; b++) {
            boolean noSurvivor = true;
            for (Replica r : stepped.replicas(b)) {
                noSurvivor &= r.nodeId().equals("n2");
            }
            assertEquals(noSurvivor, second.isLost(b), "bucket " + b + " " + stepped.replicas(b));
            lost += noSurvivor ? 1 : 0;
        }
        assertTrue(lost > 0);
    }

    @Test
    void rejoinAfterKillTakesBackOnlyItsShare() {
        PartitionPlanner planner = new PartitionPlanner(1);
        PartitionTable table = planner.nextStep(PartitionTable.empty(256, 1), nodes(3), 1, 1);
        PartitionTable failed = planner.failover(table, List.of("n0", "n1"), 2);
        PartitionTable recovered = converge(planner, failed, nodes(2), 8, t -> { }).table;
        assertFalse(recovered.nodes().contains("n2"));

        Run run = converge(planner, recovered, nodes(3), 8, t -> { });
        int back = run.table.bucketsOf("n2", false).size();
        assertEquals(512 / 3.0, back, 1.0);
        assertEquals(back, run.feedsStarted);
        assertBalanced(run.table, nodes(3), 1);
        assertTrue(planner.isBalanced(run.table, nodes(3)));
    }

    @Test
    void gracefulLeaveKeepsEveryCopyUntilItsReplacementIsUpToDate() {
        PartitionPlanner planner = new PartitionPlanner(1);
        PartitionTable table = planner.nextStep(PartitionTable.empty(64, 1), nodes(3), 1, 1);
        List<MemberInfo> staying = nodes(2);
        List<PartitionTable> seen = new ArrayList<>();
        Run run = converge(planner, table, staying, 2, seen::add);
        for (PartitionTable t : seen) {
            for (int b = 0; b < 64; b++) {
                assertTrue(upToDate(t.replicas(b)) >= 2, "bucket " + b + " in version " + t.version() + ": "
                        + t.replicas(b));
            }
        }
        assertFalse(run.table.nodes().contains("n2"), "the leaving node ends with nothing");
        assertEquals(table.bucketsOf("n2", false).size(), run.feedsStarted);
        assertBalanced(run.table, staying, 1);
    }

    @Test
    void moreCopiesAppearWhenMembersCatchUpWithTheBackupCount() {
        PartitionPlanner planner = new PartitionPlanner(2);
        PartitionTable table = planner.nextStep(PartitionTable.empty(16, 2), nodes(2), 1, 1);
        for (int b = 0; b < 16; b++) {
            assertEquals(2, table.replicas(b).size());
        }
        PartitionTable step = planner.nextStep(table, nodes(3), 16, 2);
        for (int b = 0; b < 16; b++) {
            List<Replica> list = step.replicas(b);
            assertEquals(List.of(UP_TO_DATE, UP_TO_DATE, FEEDING), states(list), "bucket " + b);
            assertEquals("n2", list.get(2).nodeId());
        }
        assertBalanced(converge(planner, step, nodes(3), 16, t -> { }).table, nodes(3), 2);
    }

    // ---- failover details ----

    @Test
    void failoverPromotesTheFirstLiveUpToDateReplica() {
        PartitionPlanner planner = new PartitionPlanner(2);
        PartitionTable table = PartitionTable.empty(8, 2).withBuckets(5, Map.of(
                0, List.of(up("a"), feeding("b"), up("c")),
                1, List.of(up("a"), feeding("b")),
                2, List.of(up("a"), new Replica("b", OUT_OF_DATE), feeding("c")),
                3, List.of(up("b"), up("a")),
                4, List.of(up("a")),
                5, List.of(up("b"), up("c"))));
        PartitionTable after = planner.failover(table, List.of("b", "c"), 6);

        assertEquals(List.of(up("c"), feeding("b")), after.replicas(0), "a feeding copy is never promoted over an up-to-date one");
        assertEquals(List.of(feeding("b")), after.replicas(1), "only a feeding copy left: promoted, still marked");
        assertEquals(List.of(new Replica("b", OUT_OF_DATE), feeding("c")), after.replicas(2));
        assertEquals(List.of(up("b")), after.replicas(3), "a live primary stays");
        assertTrue(after.replicas(4).isEmpty());
        assertTrue(after.isLost(4));
        assertFalse(after.isLost(6), "never assigned is not lost");
        assertSame(table.replicas(5), after.replicas(5));
        assertSame(after, planner.failover(after, List.of("b", "c"), 7), "nothing died: same table");
        assertEquals(after, planner.failover(table, List.of("c", "b"), 6), "deterministic");
    }

    @Test
    void primaryThatMayHaveLostDataIsNotCopiedUntilAccepted() {
        PartitionPlanner planner = new PartitionPlanner(1);
        List<MemberInfo> members = List.of(new MemberInfo("b"), new MemberInfo("c"));
        PartitionTable table = PartitionTable.empty(1, 1).withBuckets(3, Map.of(0, List.of(feeding("b"))));
        PartitionTable next = planner.nextStep(table, members, 4, 4);
        assertSame(table, next, "no complete copy to feed from");
        assertFalse(planner.isBalanced(table, members));

        PartitionTable accepted = planner.feedDone(table, 0, "b", members, 4);
        assertEquals(List.of(up("b")), accepted.replicas(0));
        PartitionTable fed = planner.nextStep(accepted, members, 4, 5);
        assertEquals(List.of(up("b"), feeding("c")), fed.replicas(0));
    }

    @Test
    void outOfDateCopiesWaitForTheRuntime() {
        PartitionPlanner planner = new PartitionPlanner(1);
        List<MemberInfo> members = nodes(3);
        PartitionTable balanced = planner.nextStep(PartitionTable.empty(16, 1), members, 1, 1);
        List<Replica> list = new ArrayList<>(balanced.replicas(3));
        list.set(1, list.get(1).withState(OUT_OF_DATE));
        PartitionTable missed = balanced.withBuckets(2, Map.of(3, list));

        assertFalse(planner.isBalanced(missed, members), "an out-of-date copy is not balanced");
        assertSame(missed, planner.nextStep(missed, members, 4, 3), "no feed to a node that already holds the bucket");
        PartitionTable caughtUp = planner.feedDone(missed, 3, list.get(1).nodeId(), members, 3);
        assertEquals(balanced.replicas(3), caughtUp.replicas(3));
        assertTrue(planner.isBalanced(caughtUp, members));
    }

    // ---- feeds ----

    @Test
    void feedDoneMovesABucketAndItsPrimary() {
        PartitionPlanner planner = new PartitionPlanner(0);
        List<MemberInfo> members = nodes(2);
        // n1 holds everything: half of it must move to n0
        Map<Integer, List<Replica>> all = new TreeMap<>();
        for (int b = 0; b < 8; b++) {
            all.put(b, List.of(up("n1")));
        }
        PartitionTable table = PartitionTable.empty(8, 0).withBuckets(1, all);
        PartitionTable step = planner.nextStep(table, members, 1, 2);
        List<int[]> feeding = new ArrayList<>();
        List<String> receivers = new ArrayList<>();
        feedingReplicas(step, feeding, receivers);
        assertEquals(1, feeding.size(), "one feed per node at a time");
        int b = feeding.get(0)[0];
        assertEquals(List.of(up("n1"), feeding("n0")), step.replicas(b));
        assertEquals(List.of("n0"), planner.target(step, members).get(b));

        PartitionTable done = planner.feedDone(step, b, "n0", members, 3);
        assertEquals(List.of(up("n0")), done.replicas(b), "surplus copy dropped, new owner is primary");
        assertEquals(3, done.version());
    }

    @Test
    void feedDoneNeverDropsBelowTheCopyCount() {
        PartitionPlanner planner = new PartitionPlanner(1);
        List<MemberInfo> members = nodes(3);
        PartitionTable table = PartitionTable.empty(1, 1).withBuckets(1, Map.of(0, List.of(up("n0"), feeding("n1"))));
        PartitionTable done = planner.feedDone(table, 0, "n1", members, 2);
        assertEquals(2, upToDate(done.replicas(0)));
        assertEquals(2, done.replicas(0).size());

        PartitionTable outOfDate = PartitionTable.empty(1, 1)
                .withBuckets(1, Map.of(0, List.of(up("n0"), new Replica("n1", OUT_OF_DATE))));
        assertEquals(List.of(up("n0"), up("n1")), planner.feedDone(outOfDate, 0, "n1", members, 2).replicas(0));
    }

    @Test
    void feedDoneKeepsTheSenderWhileOtherFeedsRun() {
        PartitionPlanner planner = new PartitionPlanner(1);
        List<MemberInfo> members = List.of(new MemberInfo("x"), new MemberInfo("y"));
        // both copies move away from the leaving node z (primary) and w
        PartitionTable table = PartitionTable.empty(1, 1)
                .withBuckets(1, Map.of(0, List.of(up("z"), up("w"), feeding("x"), feeding("y"))));
        PartitionTable first = planner.feedDone(table, 0, "x", members, 2);
        assertEquals("z", first.primary(0), "z still feeds y");
        assertFalse(nodeSet(first.replicas(0)).contains("w"), "w was surplus");
        PartitionTable second = planner.feedDone(first, 0, "y", members, 3);
        assertEquals(Set.of("x", "y"), nodeSet(second.replicas(0)));
        assertEquals(2, upToDate(second.replicas(0)));

        // one copy wanted: the leaving primary z would be the first to go, but q still feeds from it
        PartitionPlanner single = new PartitionPlanner(0);
        PartitionTable moving = PartitionTable.empty(1, 0)
                .withBuckets(1, Map.of(0, List.of(up("z"), up("x"), feeding("y"), feeding("q"))));
        PartitionTable done = single.feedDone(moving, 0, "y", members, 2);
        assertEquals(up("z"), done.replicas(0).get(0));
        assertEquals(FEEDING, done.stateOf(0, "q"));
        assertEquals(3, done.replicas(0).size(), "one of x and y was surplus: " + done.replicas(0));
    }

    @Test
    void feedDoneRejectsWhatIsNotAFeed() {
        PartitionPlanner planner = new PartitionPlanner(1);
        List<MemberInfo> members = nodes(2);
        PartitionTable table = PartitionTable.empty(4, 1)
                .withBuckets(1, Map.of(0, List.of(up("n0"), feeding("n1")), 1, List.of(up("n0"))))
                .withBuckets(2, Map.of(1, List.of()));
        IllegalArgumentException notThere = assertThrows(IllegalArgumentException.class,
                () -> planner.feedDone(table, 0, "n5", members, 3));
        assertTrue(notThere.getMessage().contains("n5"), notThere.getMessage());
        IllegalArgumentException already = assertThrows(IllegalArgumentException.class,
                () -> planner.feedDone(table, 0, "n0", members, 3));
        assertTrue(already.getMessage().contains("UP_TO_DATE"), already.getMessage());
        IllegalArgumentException lost = assertThrows(IllegalArgumentException.class,
                () -> planner.feedDone(table, 1, "n0", members, 3));
        assertTrue(lost.getMessage().contains("lost"), lost.getMessage());
        assertThrows(IllegalArgumentException.class, () -> planner.feedDone(table, 4, "n0", members, 3));
        IllegalArgumentException version = assertThrows(IllegalArgumentException.class,
                () -> planner.feedDone(table, 0, "n1", members, 2));
        assertTrue(version.getMessage().contains("2"), version.getMessage());
    }

    @ParameterizedTest(name = "max {0}")
    @ValueSource(ints = {1, 2, 5})
    void maxConcurrentFeedsPerNodeIsRespected(int max) {
        PartitionPlanner planner = new PartitionPlanner(1);
        PartitionTable table = planner.nextStep(PartitionTable.empty(64, 1), nodes(2), 1, 1);
        boolean[] reachedLimit = {false};
        Run run = converge(planner, table, nodes(5), max, t -> {
            for (Map<String, Integer> counts : List.of(receiving(t), sending(t))) {
                counts.forEach((node, c) -> {
                    assertTrue(c <= max, node + " has " + c + " feeds in version " + t.version());
                    reachedLimit[0] |= c == max;
                });
            }
        });
        assertTrue(reachedLimit[0], "the limit was binding at least once");
        assertTrue(run.rounds >= run.feedsStarted / (3 * max), "three receivers, " + max + " feeds each per round");
        assertBalanced(run.table, nodes(5), 1);
    }

    @Test
    void underReplicatedBucketsAreFedBeforeBalancingMoves() {
        PartitionPlanner planner = new PartitionPlanner(1);
        PartitionTable table = planner.nextStep(PartitionTable.empty(64, 1), nodes(4), 1, 1);
        PartitionTable failed = planner.failover(table, List.of("n0", "n1", "n2"), 2);
        // n3 is gone and n4, n5 join at once: both repairs and balancing moves are due
        List<MemberInfo> members = List.of(new MemberInfo("n0"), new MemberInfo("n1"), new MemberInfo("n2"),
                new MemberInfo("n4"), new MemberInfo("n5"));
        PartitionTable step = planner.nextStep(failed, members, 2, 3);
        int started = 0;
        for (int b = 0; b < 64; b++) {
            if (step.replicas(b).size() > failed.replicas(b).size()) {
                started++;
                assertEquals(1, upToDate(failed.replicas(b)), "bucket " + b + " was not under-replicated but fed first");
            }
        }
        assertTrue(started >= 3, "feeds started: " + started);
    }

    @Test
    void unassignedBucketsAreAssignedDirectlyAndLostOnesLeftAlone() {
        PartitionPlanner planner = new PartitionPlanner(1);
        PartitionTable table = PartitionTable.empty(8, 1)
                .withBuckets(1, Map.of(0, List.of(up("n0"), up("n1")), 1, List.of(up("n1"))))
                .withBuckets(2, Map.of(1, List.of()));
        PartitionTable step = planner.nextStep(table, nodes(2), 1, 3);
        for (int b = 2; b < 8; b++) {
            assertEquals(List.of(UP_TO_DATE, UP_TO_DATE), states(step.replicas(b)), "bucket " + b);
        }
        assertTrue(step.isLost(1));
        assertTrue(step.replicas(1).isEmpty());
    }

    @Test
    void discardedReplicasAreRemoved() {
        PartitionPlanner planner = new PartitionPlanner(0);
        PartitionTable table = PartitionTable.empty(1, 0).withBuckets(1, Map.of(0,
                List.of(up("n0"), new Replica("n1", ReplicaState.DISCARDED))));
        PartitionTable step = planner.nextStep(table, nodes(1), 1, 2);
        assertEquals(List.of(up("n0")), step.replicas(0));
    }

    @Test
    void stepsAreDeterministicAndIgnoreMemberOrder() {
        PartitionPlanner planner = new PartitionPlanner(1);
        List<MemberInfo> members = new ArrayList<>(List.of(
                new MemberInfo("n0", "z1"), new MemberInfo("n1", "z2"), new MemberInfo("n2", "z1"),
                new MemberInfo("n3", "z2"), new MemberInfo("n4", "z3")));
        PartitionTable base = planner.nextStep(PartitionTable.empty(128, 1), members.subList(0, 3), 1, 1);
        PartitionTable expected = planner.nextStep(base, members, 3, 2);
        assertNotSame(base, expected);
        Random rnd = new Random(42);
        for (int i = 0; i < 10; i++) {
            Collections.shuffle(members, rnd);
            assertEquals(expected, planner.nextStep(base, members, 3, 2));
            assertEquals(expected, new PartitionPlanner(1).nextStep(base, List.copyOf(members), 3, 2));
        }
        List<int[]> feeding = new ArrayList<>();
        List<String> receivers = new ArrayList<>();
        feedingReplicas(expected, feeding, receivers);
        int b = feeding.get(0)[0];
        assertEquals(planner.feedDone(expected, b, receivers.get(0), members, 3),
                planner.feedDone(expected, b, receivers.get(0), List.copyOf(members), 3));
    }

    @Test
    void invalidArgumentsAreRejectedNamingTheValue() {
        PartitionPlanner planner = new PartitionPlanner(1);
        PartitionTable table = planner.nextStep(PartitionTable.empty(4, 1), nodes(2), 1, 5);
        assertMessage(IllegalArgumentException.class, "-1", () -> new PartitionPlanner(-1));
        assertMessage(IllegalArgumentException.class, "5", () -> planner.nextStep(table, nodes(2), 1, 5));
        assertMessage(IllegalArgumentException.class, "4", () -> planner.failover(table, List.of("n0"), 4));
        assertMessage(IllegalArgumentException.class, "0", () -> planner.nextStep(table, nodes(2), 0, 6));
        assertMessage(IllegalArgumentException.class, "empty", () -> planner.nextStep(table, List.of(), 1, 6));
        assertMessage(IllegalArgumentException.class, "n1",
                () -> planner.nextStep(table, List.of(new MemberInfo("n1"), new MemberInfo("n1", "z")), 1, 6));
        assertMessage(IllegalArgumentException.class, "backupCount 2",
                () -> planner.nextStep(PartitionTable.empty(4, 2), nodes(2), 1, 1));
        assertMessage(IllegalArgumentException.class, "backupCount 2",
                () -> planner.isBalanced(PartitionTable.empty(4, 2), nodes(2)));
        assertThrows(NullPointerException.class, () -> new MemberInfo("n0", null));
        assertThrows(IllegalArgumentException.class, () -> new MemberInfo(""));
    }

    // ---- helpers shared with the property test ----

    record Run(PartitionTable table, int rounds, int feedsStarted) { }

    /**
     * Alternates nextStep with finishing every running feed (in bucket order) until nextStep has
     * nothing left to do, handing every new table to {@code each}.
     */
    static Run converge(PartitionPlanner planner, PartitionTable table, List<MemberInfo> members, int maxFeeds,
                        java.util.function.Consumer<PartitionTable> each) {
        int rounds = 0;
        int started = 0;
        long version = table.version();
        while (true) {
            assertTrue(rounds < 10_000, "no convergence");
            PartitionTable next = planner.nextStep(table, members, maxFeeds, ++version);
            if (next != table) {
                for (int b = 0; b < next.bucketCount(); b++) {
                    for (Replica r : next.replicas(b)) {
                        if (r.state() == FEEDING && table.stateOf(b, r.nodeId()) == null) {
                            started++;
                        }
                    }
                }
                each.accept(next);
            }
            List<int[]> feeding = new ArrayList<>();
            List<String> receivers = new ArrayList<>();
            feedingReplicas(next, feeding, receivers);
            if (next == table && feeding.isEmpty()) {
                return new Run(table, rounds, started);
            }
            table = next;
            rounds++;
            for (int i = 0; i < feeding.size(); i++) {
                int b = feeding.get(i)[0];
                String targetPrimary = planner.target(table, members).get(b).get(0);
                table = planner.feedDone(table, b, receivers.get(i), members, ++version);
                List<Replica> list = table.replicas(b);
                if (!hasFeeding(list) && table.stateOf(b, targetPrimary) == UP_TO_DATE) {
                    assertEquals(targetPrimary, list.get(0).nodeId(), "feedDone puts the target primary first: " + list);
                }
                each.accept(table);
            }
        }
    }

    /**
     * Asserts the balanced layout independently of the planner: every bucket that is not lost has
     * min(backups + 1, members) up-to-date copies on members, no zone holds more copies of a bucket
     * than needed, primaries are within one of even, and copies are within one of even inside each
     * zone (overall, when no zones are declared).
     */
    static void assertBalanced(PartitionTable table, List<MemberInfo> members, int backups) {
        int n = members.size();
        int r = Math.min(backups + 1, n);
        Map<String, String> domain = new HashMap<>();
        Map<String, Integer> domainSize = new HashMap<>();
        for (MemberInfo m : members) {
            String d = m.hasZone() ? "zone:" + m.zone() : "node:" + m.nodeId();
            domain.put(m.nodeId(), d);
            domainSize.merge(d, 1, Integer::sum);
        }
        int perZone = 1;
        while (true) {
            int capacity = 0;
            for (int s : domainSize.values()) {
                capacity += Math.min(s, perZone);
            }
            if (capacity >= r) {
                break;
            }
            perZone++;
        }
        Map<String, Integer> primaries = new TreeMap<>();
        members.forEach(m -> primaries.put(m.nodeId(), 0));
        int active = 0;
        for (int b = 0; b < table.bucketCount(); b++) {
            if (table.isLost(b)) {
                continue;
            }
            active++;
            List<Replica> list = table.replicas(b);
            assertEquals(r, list.size(), "bucket " + b + ": " + list);
            Map<String, Integer> zones = new HashMap<>();
            for (Replica rep : list) {
                assertEquals(UP_TO_DATE, rep.state(), "bucket " + b + ": " + list);
                assertTrue(domain.containsKey(rep.nodeId()), "bucket " + b + " on non-member " + rep);
                int c = zones.merge(domain.get(rep.nodeId()), 1, Integer::sum);
                assertTrue(c <= perZone, "bucket " + b + " has " + c + " copies in " + domain.get(rep.nodeId()));
            }
            primaries.merge(list.get(0).nodeId(), 1, Integer::sum);
        }
        int finalActive = active;
        primaries.forEach((node, c) -> assertTrue(c >= finalActive / n && c <= (finalActive + n - 1) / n,
                node + " is primary of " + c + " of " + finalActive + " buckets: " + primaries));
        Map<String, Integer> copies = copiesPerNode(table, members);
        Map<String, List<Integer>> byDomain = new HashMap<>();
        copies.forEach((node, c) -> byDomain.computeIfAbsent(domain.get(node), d -> new ArrayList<>()).add(c));
        boolean zoned = byDomain.values().stream().anyMatch(l -> l.size() > 1);
        if (zoned) {
            byDomain.forEach((d, counts) -> assertCountsWithinOne(counts, d));
        } else {
            assertCountsWithinOne(copies);
            long total = (long) finalActive * r;
            copies.forEach((node, c) -> assertTrue(c >= total / n && c <= (total + n - 1) / n,
                    node + " holds " + c + " of " + total + " copies"));
        }
    }

    static Map<String, Integer> copiesPerNode(PartitionTable table, List<MemberInfo> members) {
        Map<String, Integer> copies = new TreeMap<>();
        members.forEach(m -> copies.put(m.nodeId(), table.bucketsOf(m.nodeId(), false).size()));
        return copies;
    }

    static void assertCountsWithinOne(Map<String, Integer> counts) {
        assertCountsWithinOne(new ArrayList<>(counts.values()), counts.toString());
    }

    static void assertCountsWithinOne(List<Integer> counts, String what) {
        int min = Collections.min(counts);
        int max = Collections.max(counts);
        assertTrue(max - min <= 1, "counts differ by more than one in " + what + ": " + counts);
    }

    static boolean hasFeeding(List<Replica> list) {
        return list.stream().anyMatch(r -> r.state() == FEEDING);
    }

    static int upToDate(List<Replica> list) {
        int n = 0;
        for (Replica r : list) {
            n += r.isUpToDate() ? 1 : 0;
        }
        return n;
    }

    /** Collects every feeding replica as (bucket) and receiver, in bucket order. */
    static void feedingReplicas(PartitionTable table, List<int[]> buckets, List<String> receivers) {
        for (int b = 0; b < table.bucketCount(); b++) {
            for (Replica r : table.replicas(b)) {
                if (r.state() == FEEDING) {
                    buckets.add(new int[] {b});
                    receivers.add(r.nodeId());
                }
            }
        }
    }

    /** Feeding replicas per receiving node. */
    static Map<String, Integer> receiving(PartitionTable table) {
        Map<String, Integer> counts = new HashMap<>();
        for (int b = 0; b < table.bucketCount(); b++) {
            for (Replica r : table.replicas(b)) {
                if (r.state() == FEEDING) {
                    counts.merge(r.nodeId(), 1, Integer::sum);
                }
            }
        }
        return counts;
    }

    /** Feeding replicas per sending primary. */
    static Map<String, Integer> sending(PartitionTable table) {
        Map<String, Integer> counts = new HashMap<>();
        for (int b = 0; b < table.bucketCount(); b++) {
            List<Replica> list = table.replicas(b);
            for (Replica r : list) {
                if (r.state() == FEEDING) {
                    counts.merge(list.get(0).nodeId(), 1, Integer::sum);
                }
            }
        }
        return counts;
    }

    static List<MemberInfo> nodes(int count) {
        List<MemberInfo> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            list.add(new MemberInfo("n" + i));
        }
        return list;
    }

    static Replica up(String node) {
        return Replica.upToDate(node);
    }

    static Replica feeding(String node) {
        return Replica.feeding(node);
    }

    private static List<ReplicaState> states(List<Replica> list) {
        List<ReplicaState> states = new ArrayList<>();
        list.forEach(r -> states.add(r.state()));
        return states;
    }

    private static Set<String> nodeSet(List<Replica> list) {
        Set<String> set = new HashSet<>();
        list.forEach(r -> set.add(r.nodeId()));
        return set;
    }

    private static String zoneOf(List<MemberInfo> members, String node) {
        return members.stream().filter(m -> m.nodeId().equals(node)).findFirst().orElseThrow().zone();
    }

    private static void assertMessage(Class<? extends Throwable> type, String fragment,
                                      org.junit.jupiter.api.function.Executable call) {
        Throwable t = assertThrows(type, call);
        assertTrue(t.getMessage() != null && t.getMessage().contains(fragment),
                "message should name " + fragment + ": " + t.getMessage());
    }
}
