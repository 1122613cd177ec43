package io.shoal.cluster;

import io.shoal.cluster.PartitionTable.Replica;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static io.shoal.cluster.PartitionPlannerTest.assertBalanced;
import static io.shoal.cluster.PartitionPlannerTest.receiving;
import static io.shoal.cluster.PartitionPlannerTest.sending;
import static io.shoal.cluster.PartitionPlannerTest.upToDate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Random walks over up to 8 nodes: joins, graceful leaves, kills (with failover), finished feeds and
 * planner steps in random order, with the safety invariants checked after every table and
 * convergence to a balanced table checked at the end of each walk. Seeded, so a failure names the
 * seed that reproduces it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PartitionPlannerPropertyTest {
    private static final int WALKS = 300;
    private static final int EVENTS_PER_WALK = 40;
    private static final int[] BUCKET_COUNTS = {1, 4, 16, 64};
    private static final String[] NODES = {"n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7"};
    private static final String[] ZONES = {"za", "zb", "zc"};

    @Test
    void randomWalksKeepInvariantsAndConverge() {
        for (int seed = 0; seed < WALKS; seed++) {
            new Walk(seed).run();
        }
    }

    /** One walk; {@link #check} messages carry the seed and the event. */
    private static final class Walk {
        final long seed;
        final Random rnd;
        final int bucketCount;
        final int backups;
        final int maxFeeds;
        final PartitionPlanner planner;
        final Map<String, String> zoneOf = new HashMap<>();
        final Set<String> members = new TreeSet<>();
        final Set<String> leaving = new TreeSet<>();   // alive, not members
        final Set<String> dead = new TreeSet<>();
        PartitionTable table;
        long version;
        String event = "start";

        Walk(long seed) {
            this.seed = seed;
            this.rnd = new Random(seed);
            this.bucketCount = BUCKET_COUNTS[rnd.nextInt(BUCKET_COUNTS.length)];
            this.backups = rnd.nextInt(3);
            this.maxFeeds = 1 + rnd.nextInt(4);
            this.planner = new PartitionPlanner(backups);
            int zoneMode = rnd.nextInt(3);   // 0 none, 1 all zoned, 2 mixed
            for (String node : NODES) {
                boolean zoned = zoneMode == 1 || (zoneMode == 2 && rnd.nextBoolean());
                zoneOf.put(node, zoned ? ZONES[rnd.nextInt(ZONES.length)] : "");
            }
            this.table = PartitionTable.empty(bucketCount, backups);
        }

        void run() {
            int initial = 1 + rnd.nextInt(3);
            for (int i = 0; i < initial; i++) {
                members.add(NODES[i]);
            }
            step();
            for (int e = 0; e < EVENTS_PER_WALK; e++) {
                int kind = rnd.nextInt(10);
                if (kind == 0) {
                    join();
                } else if (kind == 1) {
                    leave();
                } else if (kind == 2) {
                    kill();
                } else if (kind == 3 && rnd.nextInt(3) == 0) {
                    missUpdates();
                } else if (kind < 6) {
                    finishSomeFeed();
                } else {
                    step();
                }
            }
            converge();
        }

        List<MemberInfo> memberInfos() {
            List<MemberInfo> list = new ArrayList<>();
            for (String m : members) {
                list.add(new MemberInfo(m, zoneOf.get(m)));
            }
            Collections.shuffle(list, rnd);   // order must not matter
            return list;
        }

        void join() {
            List<String> candidates = new ArrayList<>();
            for (String node : NODES) {
                if (!members.contains(node)) {
                    candidates.add(node);
                }
            }
            if (candidates.isEmpty()) {
                return;
            }
            String node = candidates.get(rnd.nextInt(candidates.size()));
            event = "join " + node;
            members.add(node);
            leaving.remove(node);
            dead.remove(node);
        }

        void leave() {
            if (members.size() < 2) {
                return;
            }
            String node = new ArrayList<>(members).get(rnd.nextInt(members.size()));
            event = "leave " + node;
            members.remove(node);
            leaving.add(node);
        }

        void kill() {
            List<String> alive = new ArrayList<>(members);
            alive.addAll(leaving);
            if (alive.size() < 2) {
                return;
            }
            String node = alive.get(rnd.nextInt(alive.size()));
            if (members.contains(node) && members.size() < 2) {
                return;
            }
            event = "kill " + node;
            members.remove(node);
            leaving.remove(node);
            dead.add(node);
            Set<String> live = new HashSet<>(members);
            live.addAll(leaving);
            PartitionTable next = planner.failover(table, live, ++version);
            checkFailover(table, next, live);
            accept(next);
        }

        /** The runtime marks a backup that missed changes; it catches up and ends with feedDone. */
        void missUpdates() {
            List<Integer> candidates = new ArrayList<>();
            for (int b = 0; b < bucketCount; b++) {
                List<Replica> list = table.replicas(b);
                if (list.size() > 1 && list.get(list.size() - 1).isUpToDate()) {
                    candidates.add(b);
                }
            }
            if (candidates.isEmpty()) {
                return;
            }
            int b = candidates.get(rnd.nextInt(candidates.size()));
            List<Replica> list = new ArrayList<>(table.replicas(b));
            Replica last = list.remove(list.size() - 1);
            list.add(last.withState(ReplicaState.OUT_OF_DATE));
            event = "out of date " + b + " " + last.nodeId();
            accept(table.withBuckets(++version, Map.of(b, list)));
        }

        /** Feeding and out-of-date replicas: what the runtime ends with feedDone. */
        void unfinished(List<int[]> buckets, List<String> nodes) {
            for (int b = 0; b < bucketCount; b++) {
                for (Replica r : table.replicas(b)) {
                    if (r.state() == ReplicaState.FEEDING || r.state() == ReplicaState.OUT_OF_DATE) {
                        buckets.add(new int[] {b});
                        nodes.add(r.nodeId());
                    }
                }
            }
        }

        void finishSomeFeed() {
            List<int[]> feeding = new ArrayList<>();
            List<String> nodes = new ArrayList<>();
            unfinished(feeding, nodes);
            if (feeding.isEmpty()) {
                return;
            }
            int i = rnd.nextInt(feeding.size());
            finish(feeding.get(i)[0], nodes.get(i));
        }

        void finish(int bucket, String node) {
            event = "feedDone " + bucket + " " + node;
            PartitionTable next = planner.feedDone(table, bucket, node, memberInfos(), ++version);
            checkStep(table, next, false);
            accept(next);
        }

        boolean step() {
            event = "nextStep";
            PartitionTable next = planner.nextStep(table, memberInfos(), maxFeeds, ++version);
            checkStep(table, next, true);
            boolean changed = next != table;
            accept(next);
            return changed;
        }

        void accept(PartitionTable next) {
            if (next != table) {
                check(next.version() > table.version(), "version must increase");
                check(table.apply(table.diff(next)).equals(next), "diff/apply round trip");
                table = next;
            }
            version = Math.max(version, table.version());
        }

        void converge() {
            event = "converge";
            int r = Math.min(backups + 1, members.size());
            // every round finishes at least one feed or changes the table; the bound is generous
            int bound = 3 * bucketCount * (r + 1) + 10;
            for (int round = 0; ; round++) {
                check(round <= bound, "did not converge within " + bound + " rounds");
                boolean changed = step();
                List<int[]> feeding = new ArrayList<>();
                List<String> nodes = new ArrayList<>();
                unfinished(feeding, nodes);
                if (!changed && feeding.isEmpty()) {
                    break;
                }
                List<Integer> orderOfFinish = new ArrayList<>();
                for (int i = 0; i < feeding.size(); i++) {
                    orderOfFinish.add(i);
                }
                Collections.shuffle(orderOfFinish, rnd);
                for (int i : orderOfFinish) {
                    ReplicaState state = table.stateOf(feeding.get(i)[0], nodes.get(i));
                    // an out-of-date copy may have been dropped as surplus by an earlier feedDone
                    if (state == ReplicaState.FEEDING || state == ReplicaState.OUT_OF_DATE) {
                        finish(feeding.get(i)[0], nodes.get(i));
                    }
                }
            }
            event = "balanced";
            List<MemberInfo> infos = memberInfos();
            try {
                assertBalanced(table, infos, backups);
            } catch (AssertionError e) {
                fail(context(e.getMessage()), e);
            }
            check(planner.isBalanced(table, infos), "isBalanced");
            assertSame(table, planner.nextStep(table, infos, maxFeeds, version + 1), context("balanced table must be a fixpoint"));
            for (String node : table.nodes()) {
                check(members.contains(node), "non-member " + node + " still holds replicas");
            }
        }

        /** Invariants of nextStep (isStep) and feedDone. */
        void checkStep(PartitionTable before, PartitionTable after, boolean isStep) {
            int r = Math.min(backups + 1, members.size());
            for (int b = 0; b < bucketCount; b++) {
                List<Replica> was = before.replicas(b);
                List<Replica> now = after.replicas(b);
                int utdBefore = upToDate(was);
                int utdAfter = upToDate(now);
                check(utdAfter >= Math.min(utdBefore, r), "bucket " + b + " went from " + utdBefore + " to " + utdAfter
                        + " up-to-date copies: " + was + " -> " + now);
                check(!after.isLost(b) || before.isLost(b), "bucket " + b + " became lost outside failover");
                if (isStep && !after.isLost(b)) {
                    check(!now.isEmpty(), "bucket " + b + " left without replicas");
                }
                boolean fresh = was.isEmpty() && !before.isLost(b);
                for (Replica rep : now) {
                    if (before.stateOf(b, rep.nodeId()) == null) {
                        check(isStep, "feedDone added " + rep + " to bucket " + b);
                        check(rep.state() == (fresh ? ReplicaState.UP_TO_DATE : ReplicaState.FEEDING),
                                "new replica " + rep + " in bucket " + b + " (fresh=" + fresh + ")");
                        check(!dead.contains(rep.nodeId()), "replica added on dead node " + rep);
                    }
                }
                checkPrimary(after, b);
            }
            if (isStep) {
                Map<String, Integer> recvBefore = receiving(before);
                Map<String, Integer> sendBefore = sending(before);
                receiving(after).forEach((node, c) -> check(c <= Math.max(maxFeeds, recvBefore.getOrDefault(node, 0)),
                        node + " receives " + c + " feeds, limit " + maxFeeds));
                sending(after).forEach((node, c) -> check(c <= Math.max(maxFeeds, sendBefore.getOrDefault(node, 0)),
                        node + " sends " + c + " feeds, limit " + maxFeeds));
            }
        }

        void checkFailover(PartitionTable before, PartitionTable after, Set<String> live) {
            for (int b = 0; b < bucketCount; b++) {
                List<Replica> was = before.replicas(b);
                List<Replica> now = after.replicas(b);
                boolean anyLive = false;
                boolean liveUpToDate = false;
                for (Replica rep : was) {
                    anyLive |= live.contains(rep.nodeId());
                    liveUpToDate |= live.contains(rep.nodeId()) && rep.isUpToDate();
                }
                for (Replica rep : now) {
                    check(live.contains(rep.nodeId()), "dead replica kept " + rep);
                    check(was.contains(rep), "failover added or changed " + rep + " in bucket " + b);
                }
                check(now.size() == (int) was.stream().filter(x -> live.contains(x.nodeId())).count(),
                        "failover dropped a live replica of bucket " + b);
                boolean shouldBeLost = before.isLost(b) || (!was.isEmpty() && !anyLive);
                check(after.isLost(b) == shouldBeLost, "bucket " + b + " lost=" + after.isLost(b) + " expected "
                        + shouldBeLost);
                if (liveUpToDate) {
                    check(now.get(0).isUpToDate(), "bucket " + b + " has a live up-to-date copy but primary " + now.get(0));
                }
                checkPrimary(after, b);
            }
        }

        void checkPrimary(PartitionTable t, int b) {
            List<Replica> list = t.replicas(b);
            if (upToDate(list) > 0) {
                check(list.get(0).isUpToDate(), "bucket " + b + " has an up-to-date copy but primary " + list.get(0));
            }
        }

        void check(boolean condition, String message) {
            if (!condition) {
                fail(context(message));
            }
        }

        String context(String message) {
            return "seed " + seed + " (buckets " + bucketCount + ", backups " + backups + ", maxFeeds " + maxFeeds
                    + ", zones " + zoneOf + ") after " + event + ", members " + members + ", leaving " + leaving
                    + ", dead " + dead + ": " + message + "\n" + table.describe();
        }
    }

    @Test
    void sameWalkTwiceGivesEqualTables() {
        Walk a = new Walk(7);
        a.run();
        Walk b = new Walk(7);
        b.run();
        assertEquals(a.table, b.table);
        assertTrue(a.table.version() > 0);
    }
}
