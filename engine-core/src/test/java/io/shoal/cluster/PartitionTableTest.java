package io.shoal.cluster;

import io.shoal.cluster.PartitionTable.Replica;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static io.shoal.cluster.ReplicaState.DISCARDED;
import static io.shoal.cluster.ReplicaState.FEEDING;
import static io.shoal.cluster.ReplicaState.OUT_OF_DATE;
import static io.shoal.cluster.ReplicaState.UP_TO_DATE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PartitionTableTest {

    @Test
    void emptyTableHasNoOwners() {
        PartitionTable t = PartitionTable.empty(16, 2);
        assertEquals(0, t.version());
        assertEquals(16, t.bucketCount());
        assertEquals(2, t.backupCount());
        assertTrue(t.nodes().isEmpty());
        for (int b = 0; b < 16; b++) {
            assertTrue(t.replicas(b).isEmpty());
            assertNull(t.primary(b));
            assertFalse(t.isLost(b));
        }
        assertTrue(t.lostBuckets().isEmpty());
        assertEquals(PartitionTable.empty(16, 2), t);
        assertNotEquals(PartitionTable.empty(16, 1), t);
        assertNotEquals(PartitionTable.empty(8, 2), t);
    }

    @Test
    void emptyRejectsBadCounts() {
        assertMessage(IllegalArgumentException.class, "0", () -> PartitionTable.empty(0, 1));
        assertMessage(IllegalArgumentException.class, "-3", () -> PartitionTable.empty(-3, 1));
        assertMessage(IllegalArgumentException.class, "-1", () -> PartitionTable.empty(4, -1));
    }

    @Test
    void withBucketsChangesOnlyTheGivenBuckets() {
        PartitionTable t0 = PartitionTable.empty(4, 1);
        PartitionTable t1 = t0.withBuckets(3, Map.of(
                0, List.of(up("a"), up("b")),
                2, List.of(up("b"), new Replica("c", FEEDING))));
        assertEquals(3, t1.version());
        assertEquals(List.of(up("a"), up("b")), t1.replicas(0));
        assertEquals("a", t1.primary(0));
        assertEquals("b", t1.primary(2));
        assertNull(t1.primary(1));
        assertEquals(Set.of("a", "b", "c"), t1.nodes());
        assertEquals(List.of("a", "b", "c"), new ArrayList<>(t1.nodes()), "sorted");
        assertEquals(List.of(0, 2), t1.bucketsOf("b", false));
        assertEquals(List.of(2), t1.bucketsOf("b", true));
        assertEquals(List.of(2), t1.bucketsOf("c", false));
        assertEquals(List.of(), t1.bucketsOf("c", true));
        assertEquals(List.of(), t1.bucketsOf("zz", false));
        assertEquals(FEEDING, t1.stateOf(2, "c"));
        assertNull(t1.stateOf(1, "c"));
        assertTrue(t0.replicas(0).isEmpty(), "the old table is unchanged");
        assertEquals(0, t0.version());

        PartitionTable t2 = t1.withBuckets(4, Map.of(2, List.of(up("c"))));
        assertSame(t1.replicas(0), t2.replicas(0), "unchanged buckets are shared");
        assertEquals(List.of(up("c")), t2.replicas(2));
        assertEquals(Set.of("a", "b", "c"), t2.nodes());
    }

    @Test
    void tablesCannotBeChangedFromOutside() {
        List<Replica> list = new ArrayList<>(List.of(up("a")));
        Map<Integer, List<Replica>> changes = new HashMap<>(Map.of(0, list));
        PartitionTable t = PartitionTable.empty(2, 0).withBuckets(1, changes);
        list.add(up("b"));
        changes.put(1, List.of(up("c")));
        assertEquals(List.of(up("a")), t.replicas(0));
        assertTrue(t.replicas(1).isEmpty());
        assertThrows(UnsupportedOperationException.class, () -> t.replicas(0).add(up("x")));
        assertThrows(UnsupportedOperationException.class, () -> t.nodes().add("x"));
    }

    @Test
    void withBucketsValidates() {
        PartitionTable t = PartitionTable.empty(4, 1).withBuckets(5, Map.of(0, List.of(up("a"))));
        assertMessage(IllegalArgumentException.class, "5", () -> t.withBuckets(5, Map.of()));
        assertMessage(IllegalArgumentException.class, "4", () -> t.withBuckets(4, Map.of()));
        assertMessage(IllegalArgumentException.class, "bucket 4", () -> t.withBuckets(6, Map.of(4, List.of(up("a")))));
        assertMessage(IllegalArgumentException.class, "bucket -1", () -> t.withBuckets(6, Map.of(-1, List.of(up("a")))));
        assertMessage(IllegalArgumentException.class, "node b",
                () -> t.withBuckets(6, Map.of(1, List.of(up("b"), new Replica("b", FEEDING)))));
        assertThrows(NullPointerException.class, () -> t.withBuckets(6, Collections.singletonMap(1, null)));
        assertMessage(IllegalArgumentException.class, "bucket 9", () -> t.replicas(9));
        assertMessage(IllegalArgumentException.class, "bucket -2", () -> t.isLost(-2));
        assertEquals(6, t.withBuckets(6, Map.of()).version(), "an empty change still moves the version");
    }

    @Test
    void replicaAndStateValidate() {
        assertThrows(NullPointerException.class, () -> new Replica(null, UP_TO_DATE));
        assertThrows(NullPointerException.class, () -> new Replica("a", null));
        assertThrows(IllegalArgumentException.class, () -> new Replica("", UP_TO_DATE));
        ReplicaState[] states = ReplicaState.values();
        for (int code = 0; code < states.length; code++) {
            assertEquals(code, states[code].code(), "codes follow declaration order");
            assertSame(states[code], ReplicaState.ofCode(code));
        }
        assertEquals(List.of(UP_TO_DATE, OUT_OF_DATE, FEEDING, DISCARDED), List.of(states));
        assertMessage(IllegalArgumentException.class, "4", () -> ReplicaState.ofCode(4));
        assertMessage(IllegalArgumentException.class, "-1", () -> ReplicaState.ofCode(-1));
    }

    @Test
    void lostFlagFollowsOwnership() {
        PartitionTable t1 = PartitionTable.empty(4, 0).withBuckets(1, Map.of(0, List.of(up("a"))));
        PartitionTable t2 = t1.withBuckets(2, Map.of(0, List.of(), 1, List.of()));
        assertTrue(t2.isLost(0), "had an owner, has none");
        assertFalse(t2.isLost(1), "never had an owner");
        assertEquals(List.of(0), t2.lostBuckets());
        PartitionTable t3 = t2.withBuckets(3, Map.of(0, List.of()));
        assertTrue(t3.isLost(0), "stays lost");
        PartitionTable t4 = t3.withBuckets(4, Map.of(0, List.of(up("b"))));
        assertFalse(t4.isLost(0), "owners again");
        PartitionTable sameListsNotLost = PartitionTable.empty(4, 0).withBuckets(2, Map.of());
        assertEquals(t2.replicas(0), sameListsNotLost.replicas(0));
        assertNotEquals(t2, sameListsNotLost, "the lost flag is part of equality");
    }

    @Test
    void diffListsOnlyChangedBuckets() {
        PartitionTable t1 = PartitionTable.empty(8, 1).withBuckets(1, Map.of(
                0, List.of(up("a"), up("b")), 1, List.of(up("b")), 2, List.of(up("a"))));
        PartitionTable t2 = t1.withBuckets(7, Map.of(
                0, List.of(up("b"), up("a")),
                1, List.of(up("b")),           // same as before: not in the diff
                2, List.of(),                  // lost
                5, List.of(up("c"))));
        TableDiff diff = t1.diff(t2);
        assertEquals(1, diff.fromVersion());
        assertEquals(7, diff.toVersion());
        assertEquals(new TreeSet<>(List.of(0, 2, 5)), diff.buckets().keySet());
        assertEquals(Set.of(2), diff.lost());
        assertEquals(t2, t1.apply(diff));

        PartitionTable fromScratch = PartitionTable.empty(8, 1).apply(t2.fullDiff());
        assertEquals(t2, fromScratch);
        assertEquals(0, t2.fullDiff().fromVersion());
        assertTrue(fromScratch.isLost(2));
    }

    @Test
    void diffRejectsOtherShapesAndOlderTables() {
        PartitionTable t1 = PartitionTable.empty(8, 1).withBuckets(3, Map.of());
        assertMessage(IllegalArgumentException.class, "3", () -> t1.diff(PartitionTable.empty(8, 1).withBuckets(3, Map.of())));
        assertMessage(IllegalArgumentException.class, "16", () -> t1.diff(PartitionTable.empty(16, 1).withBuckets(4, Map.of())));
        assertMessage(IllegalArgumentException.class, "2 backups", () -> t1.diff(PartitionTable.empty(8, 2).withBuckets(4, Map.of())));
        assertThrows(IllegalStateException.class, () -> PartitionTable.empty(8, 1).fullDiff());
    }

    @Test
    void applyWithWrongFromVersionFailsNamingBothVersions() {
        PartitionTable t1 = PartitionTable.empty(4, 0).withBuckets(1, Map.of(0, List.of(up("a"))));
        PartitionTable t2 = t1.withBuckets(2, Map.of(1, List.of(up("a"))));
        PartitionTable t3 = t2.withBuckets(3, Map.of(2, List.of(up("a"))));
        TableDiff d23 = t2.diff(t3);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t1.apply(d23));
        assertTrue(e.getMessage().contains("2") && e.getMessage().contains("1"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> t3.apply(d23), "applying twice is refused");
        assertEquals(t3, t1.apply(t1.diff(t2)).apply(d23));
    }

    @Test
    void applyValidatesTheBuckets() {
        PartitionTable t = PartitionTable.empty(4, 0);
        assertMessage(IllegalArgumentException.class, "bucket 4",
                () -> t.apply(new TableDiff(0, 1, new TreeMap<>(Map.of(4, List.of(up("a")))))));
        assertMessage(IllegalArgumentException.class, "node a",
                () -> t.apply(new TableDiff(0, 1, new TreeMap<>(Map.of(1, List.of(up("a"), up("a")))))));
    }

    @Test
    void tableDiffValidatesAndCopies() {
        assertMessage(IllegalArgumentException.class, "-1", () -> new TableDiff(-1, 1, new TreeMap<>()));
        assertMessage(IllegalArgumentException.class, "3", () -> new TableDiff(3, 3, new TreeMap<>()));
        assertMessage(IllegalArgumentException.class, "-2",
                () -> new TableDiff(0, 1, new TreeMap<>(Map.of(-2, List.of()))));
        assertMessage(IllegalArgumentException.class, "lost bucket 1",
                () -> new TableDiff(0, 1, new TreeMap<>(Map.of(1, List.of(up("a")))), new TreeSet<>(Set.of(1))));
        assertMessage(IllegalArgumentException.class, "lost bucket 2",
                () -> new TableDiff(0, 1, new TreeMap<>(), new TreeSet<>(Set.of(2))));

        SortedMap<Integer, List<Replica>> buckets = new TreeMap<>(Map.of(0, List.of(up("a")), 1, List.of()));
        TableDiff diff = new TableDiff(0, 1, buckets);
        assertEquals(Set.of(1), diff.lost(), "without explicit flags an empty list means lost");
        buckets.put(2, List.of(up("b")));
        assertEquals(2, diff.buckets().size(), "copied");
        assertThrows(UnsupportedOperationException.class, () -> diff.buckets().put(3, List.of()));
        assertThrows(UnsupportedOperationException.class, () -> diff.lost().add(5));
        PartitionTable applied = PartitionTable.empty(4, 0).apply(diff);
        assertTrue(applied.isLost(1));
        assertFalse(new TableDiff(0, 1, new TreeMap<>()).buckets().size() > 0);
        assertTrue(new TableDiff(0, 1, new TreeMap<>()).isEmpty());
    }

    @Test
    void randomDiffsRoundTrip() {
        Random rnd = new Random(20240501);
        String[] nodes = {"a", "b", "c", "d", "e", "f"};
        ReplicaState[] states = ReplicaState.values();
        for (int iteration = 0; iteration < 300; iteration++) {
            int bucketCount = 1 << rnd.nextInt(7);
            PartitionTable base = PartitionTable.empty(bucketCount, rnd.nextInt(3));
            PartitionTable previous = base;
            PartitionTable current = base;
            long version = 0;
            for (int change = 0; change < 4; change++) {
                Map<Integer, List<Replica>> changes = new HashMap<>();
                int count = rnd.nextInt(bucketCount + 1);
                for (int i = 0; i < count; i++) {
                    List<String> shuffled = new ArrayList<>(List.of(nodes));
                    Collections.shuffle(shuffled, rnd);
                    List<Replica> list = new ArrayList<>();
                    int size = rnd.nextInt(4);
                    for (int j = 0; j < size; j++) {
                        list.add(new Replica(shuffled.get(j), states[rnd.nextInt(states.length)]));
                    }
                    changes.put(rnd.nextInt(bucketCount), list);
                }
                version += 1 + rnd.nextInt(3);
                previous = current;
                current = current.withBuckets(version, changes);
                TableDiff diff = previous.diff(current);
                assertEquals(current, previous.apply(diff), "iteration " + iteration);
                assertEquals(current.hashCode(), previous.apply(diff).hashCode());
                for (int b : diff.buckets().keySet()) {
                    assertTrue(!previous.replicas(b).equals(current.replicas(b)) || previous.isLost(b) != current.isLost(b),
                            "bucket " + b + " is in the diff but did not change");
                }
                for (int b = 0; b < bucketCount; b++) {
                    if (!diff.buckets().containsKey(b)) {
                        assertEquals(previous.replicas(b), current.replicas(b));
                        assertEquals(previous.isLost(b), current.isLost(b));
                    }
                }
            }
            assertEquals(current, base.apply(current.fullDiff()), "full diff, iteration " + iteration);
            assertEquals(current, base.apply(base.diff(current)));
        }
    }

    @Test
    void memberInfoValidates() {
        assertEquals("", new MemberInfo("a").zone());
        assertFalse(new MemberInfo("a").hasZone());
        assertTrue(new MemberInfo("a", "z1").hasZone());
        assertThrows(NullPointerException.class, () -> new MemberInfo(null, ""));
        assertThrows(NullPointerException.class, () -> new MemberInfo("a", null));
        assertThrows(IllegalArgumentException.class, () -> new MemberInfo("", "z"));
    }

    private static Replica up(String node) {
        return Replica.upToDate(node);
    }

    private static void assertMessage(Class<? extends Throwable> type, String fragment, Executable call) {
        Throwable t = assertThrows(type, call);
        assertTrue(t.getMessage() != null && t.getMessage().contains(fragment),
                "message should name " + fragment + ": " + t.getMessage());
    }
}
