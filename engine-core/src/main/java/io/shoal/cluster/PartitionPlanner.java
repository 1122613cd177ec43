package io.shoal.cluster;

import io.shoal.cluster.PartitionTable.Replica;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Decides where the copies of every bucket live: the partition tables the coordinator publishes
 * when members come and go, one safe step at a time.
 *
 * <p>Design: every method is a pure, deterministic function of its arguments (member lists are
 * sorted by node id first, so their order does not matter), and each call recomputes the
 * <em>balanced target</em> from scratch:
 * <ol>
 *   <li><b>Quotas</b> from the member list alone: every active bucket needs {@code r = min(backupCount
 *   + 1, members)} copies; a zone (a node without a zone is a zone of its own) may hold at most
 *   {@code t} copies of a bucket, the smallest {@code t} that still fits {@code r}, so copies land in
 *   distinct zones whenever there are enough zones (with fewer zones than copies the cap does not
 *   force every zone into every bucket: 4 copies over 3 zones may land 2 + 2 + 0). The total is
 *   water-filled over zones in
 *   proportion to their size within those caps, then split evenly inside each zone; the
 *   {@code +1}s of rounding go to zones and nodes in id order. These quotas do not depend on the
 *   table, so they do not drift while a migration changes it. Every member is primary of the floor
 *   or the ceiling of an even share of the buckets; which members get the ceiling is decided while
 *   assigning (a fixed choice can be impossible for a given copy layout).</li>
 *   <li><b>Preference</b>: rendezvous hashing (a 64-bit mix of node id and bucket) ranks the members
 *   for each bucket; adding or removing a member does not change the relative rank of the others.</li>
 *   <li><b>Keep</b>: current holders (any state) are accepted in order of (rank, bucket) while their
 *   node has quota, the bucket has room and its zone cap allows. A node over quota therefore gives up
 *   the buckets where it ranks lowest, which are buckets other nodes rank higher, so two overloaded
 *   nodes rarely give up the same bucket and nothing is moved that does not have to be.</li>
 *   <li><b>Fill</b>: the open slots in the same (rank, bucket) order; slots the greedy pass cannot
 *   fill are filled by augmenting paths (a breadth-first search that moves a not-yet-existing copy,
 *   and only then an existing one, to make room). Only if no path exists are zone caps dropped for
 *   that bucket, and as a last resort a quota is exceeded.</li>
 *   <li><b>Primaries</b>: the same keep/fill/augment pattern over each bucket's target owners,
 *   keeping current primaries first.</li>
 * </ol>
 * The target deliberately ignores replica states and list positions: a step appends
 * {@link ReplicaState#FEEDING} copies the target asked for, reorders primaries to the target's and
 * removes copies the target dropped. A greedy pass accepts a pair when the pairs accepted before it
 * leave room, so adding pairs the target already contains and removing pairs it rejected cannot
 * change its outcome: the target stays put while the table walks towards it, and the walk
 * converges. (Only an augmenting path that moved an existing copy can shift it; random walks show
 * that to be rare and harmless.)
 *
 * <p>Safety does not depend on the target: no step removes an {@link ReplicaState#UP_TO_DATE} copy
 * unless at least {@code r} up-to-date copies remain, and a copy that is not up to date is never
 * made primary while an up-to-date one exists.
 */
final class PartitionPlanner {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final int MAX_MEMBERS = 1 << 16;

    private final int backupCount;

    /**
     * A planner for tables with the given backup count.
     *
     * @param backupCount backups per bucket besides the primary; must equal the tables' backup count
     * @throws IllegalArgumentException if negative
     */
    PartitionPlanner(int backupCount) {
        if (backupCount < 0) {
            throw new IllegalArgumentException("backupCount must not be negative: " + backupCount);
        }
        this.backupCount = backupCount;
    }

    int backupCount() {
        return backupCount;
    }

    /**
     * The table after members were lost: an immediate failover step, no data movement.
     *
     * <p>Every replica on a node not in {@code liveNodeIds} is removed. If a bucket's primary died, the
     * first remaining up-to-date replica (in table order) becomes primary; if none of the remaining
     * replicas is up to date, the first out-of-date one, else the first feeding one, is promoted
     * <em>and keeps its state</em>: a primary that is not {@link ReplicaState#UP_TO_DATE} tells the
     * runtime the bucket may have lost changes. The planner starts no feed from such a primary (its
     * data is incomplete); the runtime decides, and accepts the copy as it is with {@link #feedDone}.
     * A bucket whose every replica died becomes empty and {@linkplain PartitionTable#isLost lost}. No
     * replica is ever added here.
     *
     * @return the new table, or {@code current} itself if no replica was on a dead node
     * @throws IllegalArgumentException if newVersion is not greater than current's, or the table's
     *                                  backup count is not the planner's
     */
    PartitionTable failover(PartitionTable current, Collection<String> liveNodeIds, long newVersion) {
        checkTable(current, newVersion);
        Set<String> live = new HashSet<>(Objects.requireNonNull(liveNodeIds, "liveNodeIds"));
        Map<Integer, List<Replica>> changes = new TreeMap<>();
        for (int b = 0; b < current.bucketCount(); b++) {
            List<Replica> list = current.replicas(b);
            List<Replica> rest = new ArrayList<>(list.size());
            for (Replica r : list) {
                if (live.contains(r.nodeId())) {
                    rest.add(r);
                }
            }
            if (rest.size() == list.size()) {
                continue;
            }
            if (!rest.isEmpty() && !live.contains(list.get(0).nodeId())) {
                moveToFront(rest, promotionCandidate(rest));
            }
            changes.put(b, rest);
        }
        return changes.isEmpty() ? current : current.withBuckets(newVersion, changes);
    }

    /**
     * One step towards balance: the next table the coordinator should publish.
     *
     * <p>{@code members} are the data nodes that should own buckets. A node that still holds replicas
     * but is not a member is treated as <em>leaving</em> (a graceful shutdown): its copies serve as
     * sources until the bucket has its full set of up-to-date target copies, then they are removed.
     * Dead nodes must be removed with {@link #failover} first.
     *
     * <p>In one step, for every bucket that is not lost:
     * <ul>
     *   <li>a bucket without replicas (never assigned) gets its target owners directly as
     *   up-to-date (there is no data to move: this is the initial assignment);</li>
     *   <li>{@link ReplicaState#DISCARDED} replicas are removed (unless nothing else remains);</li>
     *   <li>a bucket with no copy feeding: once every target owner is up to date, the replicas not in
     *   the target are removed, and if the target primary is an up-to-date replica it is moved first
     *   (a primary change without data movement);</li>
     *   <li>a primary that is not up to date is replaced by an up-to-date replica when there is one;</li>
     *   <li>target owners that hold no replica are appended as {@link ReplicaState#FEEDING}, fed by the
     *   bucket's (up-to-date) primary, at most {@code maxConcurrentFeedsPerNode} feeding replicas per
     *   receiving node and per sending primary, counting the feeds already running. Buckets with
     *   fewer than {@code r} up-to-date copies on members go first (fewest first), then the rest in
     *   bucket order.</li>
     * </ul>
     * Replicas already feeding stay until {@link #feedDone}.
     *
     * @return the new table, or {@code current} itself when the step would change nothing (balanced, or
     * waiting for running feeds)
     * @throws IllegalArgumentException if newVersion is not greater than current's, members is empty or
     *                                  lists a node twice, maxConcurrentFeedsPerNode is not positive, or
     *                                  the table's backup count is not the planner's
     */
    PartitionTable nextStep(PartitionTable current, List<MemberInfo> members, int maxConcurrentFeedsPerNode,
                            long newVersion) {
        checkTable(current, newVersion);
        if (maxConcurrentFeedsPerNode < 1) {
            throw new IllegalArgumentException("maxConcurrentFeedsPerNode must be positive: "
                    + maxConcurrentFeedsPerNode);
        }
        Layout layout = new Layout(current, members, backupCount, false);
        int bucketCount = current.bucketCount();
        List<List<Replica>> next = new ArrayList<>(bucketCount);
        Map<Integer, List<Replica>> changes = new TreeMap<>();
        for (int b = 0; b < bucketCount; b++) {
            List<Replica> cur = current.replicas(b);
            List<Replica> list;
            if (current.isLost(b)) {
                list = cur;
            } else if (cur.isEmpty()) {
                list = allUpToDate(layout.target(b));
            } else {
                list = settle(cur, layout.target(b));
            }
            next.add(list);
            if (!list.equals(cur)) {
                changes.put(b, list);
            }
        }

        Map<String, Integer> receiving = new HashMap<>();
        Map<String, Integer> sending = new HashMap<>();
        List<int[]> waiting = new ArrayList<>();   // {bucket, up-to-date copies on members}
        for (int b = 0; b < bucketCount; b++) {
            List<Replica> list = next.get(b);
            int feeding = 0;
            int memberCopies = 0;
            for (Replica r : list) {
                if (r.state() == ReplicaState.FEEDING) {
                    feeding++;
                    receiving.merge(r.nodeId(), 1, Integer::sum);
                } else if (r.isUpToDate() && layout.isMember(r.nodeId())) {
                    memberCopies++;
                }
            }
            if (feeding > 0) {
                sending.merge(list.get(0).nodeId(), feeding, Integer::sum);
            }
            if (!current.isLost(b) && !list.isEmpty() && list.get(0).isUpToDate()
                    && !containsAll(list, layout.target(b))) {
                waiting.add(new int[] {b, memberCopies});
            }
        }
        int r = layout.r;
        waiting.sort(Comparator.<int[]>comparingInt(w -> w[1] < r ? 0 : 1)
                .thenComparingInt(w -> w[1])
                .thenComparingInt(w -> w[0]));
        for (int[] w : waiting) {
            int b = w[0];
            List<Replica> list = new ArrayList<>(next.get(b));
            String sender = list.get(0).nodeId();
            boolean added = false;
            for (String node : layout.target(b)) {
                if (sending.getOrDefault(sender, 0) >= maxConcurrentFeedsPerNode) {
                    break;
                }
                if (indexOf(list, node) >= 0 || receiving.getOrDefault(node, 0) >= maxConcurrentFeedsPerNode) {
                    continue;
                }
                list.add(Replica.feeding(node));
                receiving.merge(node, 1, Integer::sum);
                sending.merge(sender, 1, Integer::sum);
                added = true;
            }
            if (added) {
                changes.put(b, list);
            }
        }
        return changes.isEmpty() ? current : current.withBuckets(newVersion, changes);
    }

    /**
     * Marks a finished feed (or a caught-up out-of-date copy, or a possibly incomplete primary the
     * runtime accepts as it is): the receiver becomes up to date.
     *
     * <p>If the bucket then has more than {@code r} up-to-date replicas, the replicas that are not in
     * the target (and not feeding) are removed, leaving at least {@code r} up-to-date ones: copies on
     * nodes that are not members first, then from the end of the list. The current primary is not
     * removed while another copy of the bucket is still feeding from it (the next {@link #nextStep}
     * does it). When no copy is feeding any more and the target primary is up to date, it is moved
     * first.
     *
     * @return the new table (always a new version)
     * @throws IllegalArgumentException if the bucket is out of range or lost, the receiver holds no
     *                                  replica of it or one that is already up to date or discarded,
     *                                  or for the reasons {@link #nextStep} gives
     */
    PartitionTable feedDone(PartitionTable current, int bucket, String receiverNodeId, List<MemberInfo> members,
                            long newVersion) {
        checkTable(current, newVersion);
        Objects.requireNonNull(receiverNodeId, "receiverNodeId");
        List<Replica> list = new ArrayList<>(current.replicas(bucket));
        if (current.isLost(bucket)) {
            throw new IllegalArgumentException("bucket " + bucket + " is lost");
        }
        int at = indexOf(list, receiverNodeId);
        if (at < 0) {
            throw new IllegalArgumentException("node " + receiverNodeId + " holds no replica of bucket " + bucket
                    + ": " + list);
        }
        ReplicaState state = list.get(at).state();
        if (state != ReplicaState.FEEDING && state != ReplicaState.OUT_OF_DATE) {
            throw new IllegalArgumentException("replica of bucket " + bucket + " on node " + receiverNodeId
                    + " is " + state + ", not FEEDING or OUT_OF_DATE");
        }
        list.set(at, list.get(at).withState(ReplicaState.UP_TO_DATE));
        Layout layout = new Layout(current, members, backupCount, false);
        List<String> target = layout.target(bucket);
        boolean stillFeeding = hasFeeding(list);
        int upToDate = countUpToDate(list);
        if (upToDate > layout.r) {
            List<Replica> candidates = new ArrayList<>();
            for (int i = list.size() - 1; i >= (stillFeeding ? 1 : 0); i--) {
                Replica r = list.get(i);
                if (r.state() != ReplicaState.FEEDING && !target.contains(r.nodeId())) {
                    candidates.add(r);
                }
            }
            // nodes that are leaving first; stable sort keeps "from the end" within each group
            candidates.sort(Comparator.comparingInt(r -> layout.isMember(r.nodeId()) ? 1 : 0));
            for (Replica r : candidates) {
                if (!r.isUpToDate()) {
                    list.remove(r);
                } else if (upToDate > layout.r) {
                    list.remove(r);
                    upToDate--;
                }
            }
        }
        if (!stillFeeding) {
            int tp = indexOf(list, target.get(0));
            if (tp > 0 && list.get(tp).isUpToDate()) {
                moveToFront(list, tp);
            }
        }
        ensureUpToDatePrimary(list, target);
        return current.withBuckets(newVersion, Map.of(bucket, list));
    }

    /**
     * Whether current is the balanced target for members: every bucket that is not lost holds
     * exactly its target owners, all up to date, the target primary first. The target keeps copies
     * and primaries within one of an even share (zone caps permitting) and on distinct nodes and
     * zones, so this implies those properties. When it holds, {@link #nextStep} returns the table
     * itself (the converse is not true: nextStep also returns it while it waits for running feeds).
     * Lost buckets are ignored (see {@link #reassignLost}).
     */
    boolean isBalanced(PartitionTable current, List<MemberInfo> members) {
        checkTable(current);
        Layout layout = new Layout(current, members, backupCount, false);
        for (int b = 0; b < current.bucketCount(); b++) {
            if (current.isLost(b)) {
                continue;
            }
            List<Replica> list = current.replicas(b);
            List<String> target = layout.target(b);
            if (list.size() != target.size()) {
                return false;
            }
            for (int i = 0; i < list.size(); i++) {
                Replica r = list.get(i);
                if (!r.isUpToDate() || !r.nodeId().equals(target.get(i))) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Gives every lost bucket its balanced target owners as fresh, empty, up-to-date copies and
     * clears the lost flags: for the runtime once it has reported the loss and given up waiting for
     * the data to come back.
     *
     * @return the new table, or current itself if no bucket is lost
     */
    PartitionTable reassignLost(PartitionTable current, List<MemberInfo> members, long newVersion) {
        checkTable(current, newVersion);
        Layout layout = new Layout(current, members, backupCount, true);
        List<Integer> lost = current.lostBuckets();
        if (lost.isEmpty()) {
            return current;
        }
        Map<Integer, List<Replica>> changes = new TreeMap<>();
        for (int b : lost) {
            changes.put(b, allUpToDate(layout.target(b)));
        }
        return current.withBuckets(newVersion, changes);
    }

    /**
     * The balanced target for members given the current table: for every bucket its target owners,
     * primary first (empty for lost buckets). For diagnostics and tests; the step methods use it.
     */
    List<List<String>> target(PartitionTable current, List<MemberInfo> members) {
        checkTable(current);
        Layout layout = new Layout(current, members, backupCount, false);
        List<List<String>> result = new ArrayList<>(current.bucketCount());
        for (int b = 0; b < current.bucketCount(); b++) {
            result.add(layout.target(b));
        }
        return result;
    }

    // ---------------------------------------------------------------------------------------------

    /** The step for one bucket that has replicas: cleanup and primary changes, no feeds. */
    private static List<Replica> settle(List<Replica> cur, List<String> target) {
        List<Replica> list = new ArrayList<>(cur);
        boolean onlyDiscarded = true;
        for (Replica r : list) {
            onlyDiscarded &= r.state() == ReplicaState.DISCARDED;
        }
        if (!onlyDiscarded) {
            list.removeIf(r -> r.state() == ReplicaState.DISCARDED);
        }
        if (!hasFeeding(list)) {
            int targetUpToDate = 0;
            for (Replica r : list) {
                if (r.isUpToDate() && target.contains(r.nodeId())) {
                    targetUpToDate++;
                }
            }
            if (targetUpToDate == target.size()) {
                list.removeIf(r -> !target.contains(r.nodeId()));
            }
            int tp = indexOf(list, target.get(0));
            if (tp > 0 && list.get(tp).isUpToDate()) {
                moveToFront(list, tp);
            }
        }
        ensureUpToDatePrimary(list, target);
        return list;
    }

    /** If the primary is not up to date but some replica is, makes the first such target owner (else the first such replica) primary. */
    private static void ensureUpToDatePrimary(List<Replica> list, List<String> target) {
        if (list.isEmpty() || list.get(0).isUpToDate()) {
            return;
        }
        int best = -1;
        for (int i = 1; i < list.size(); i++) {
            Replica r = list.get(i);
            if (r.isUpToDate()) {
                if (target.contains(r.nodeId())) {
                    best = i;
                    break;
                }
                if (best < 0) {
                    best = i;
                }
            }
        }
        if (best > 0) {
            moveToFront(list, best);
        }
    }

    /** Index of the replica failover promotes: first up-to-date, else out-of-date, else feeding, else the first. */
    private static int promotionCandidate(List<Replica> rest) {
        for (ReplicaState preferred : new ReplicaState[] {
                ReplicaState.UP_TO_DATE, ReplicaState.OUT_OF_DATE, ReplicaState.FEEDING}) {
            for (int i = 0; i < rest.size(); i++) {
                if (rest.get(i).state() == preferred) {
                    return i;
                }
            }
        }
        return 0;
    }

    private static List<Replica> allUpToDate(List<String> nodes) {
        List<Replica> list = new ArrayList<>(nodes.size());
        for (String node : nodes) {
            list.add(Replica.upToDate(node));
        }
        return list;
    }

    private static boolean containsAll(List<Replica> list, List<String> nodes) {
        for (String node : nodes) {
            if (indexOf(list, node) < 0) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(List<Replica> list, String nodeId) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i).nodeId().equals(nodeId)) {
                return i;
            }
        }
        return -1;
    }

    private static void moveToFront(List<Replica> list, int index) {
        if (index > 0) {
            list.add(0, list.remove(index));
        }
    }

    private static boolean hasFeeding(List<Replica> list) {
        for (Replica r : list) {
            if (r.state() == ReplicaState.FEEDING) {
                return true;
            }
        }
        return false;
    }

    private static int countUpToDate(List<Replica> list) {
        int n = 0;
        for (Replica r : list) {
            if (r.isUpToDate()) {
                n++;
            }
        }
        return n;
    }

    private void checkTable(PartitionTable table) {
        Objects.requireNonNull(table, "table");
        if (table.backupCount() != backupCount) {
            throw new IllegalArgumentException("table has backupCount " + table.backupCount() + " but the planner "
                    + backupCount);
        }
    }

    private void checkTable(PartitionTable table, long newVersion) {
        checkTable(table);
        if (newVersion <= table.version()) {
            throw new IllegalArgumentException("new version " + newVersion + " must be greater than the table's version "
                    + table.version());
        }
    }

    /** 64-bit finalizer of MurmurHash3: a fixed, well-mixed function, identical on every JVM. */
    static long mix64(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    /** FNV-1a over the id's UTF-16 chars, then mixed. */
    static long nodeHash(String nodeId) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < nodeId.length(); i++) {
            h = (h ^ nodeId.charAt(i)) * 0x100000001b3L;
        }
        return mix64(h);
    }

    /**
     * The balanced target of one table for one member list (see the class note), computed on
     * construction. Members are indexed in node-id order; arrays indexed {@code [bucket * n + k]}
     * hold per-bucket data for every member.
     */
    private static final class Layout {
        final int n;
        final int r;
        final int buckets;
        final String[] ids;
        final Map<String, Integer> index = new HashMap<>();
        final int[] domainOf;
        final int[] domainCap;
        final boolean[] active;
        final int activeCount;
        /** Member at rendezvous rank k for bucket b, at {@code [b * n + k]}. */
        final int[] order;
        /** Whether member m holds a (non-discarded) replica of bucket b, at {@code [b * n + m]}. */
        final boolean[] held;
        final int[] currentPrimary;
        final int[] copyQuota;
        /** Every member is primary of {@code primaryFloor} or {@code primaryFloor + 1} buckets. */
        final int primaryFloor;
        final int primaryCeil;

        /** Target owners (unordered) of bucket b at {@code [b * r + i]}, i below count[b]. */
        final int[] owners;
        final int[] count;
        final int[] load;
        final int[] primary;
        final int[] primaryLoad;
        final boolean[] primaryKept;
        /** How many more members may still go above the floor. */
        int primaryTokens;
        final List<List<String>> targets;

        Layout(PartitionTable table, List<MemberInfo> members, int backupCount, boolean includeLost) {
            MemberInfo[] sorted = checkMembers(members);
            n = sorted.length;
            ids = new String[n];
            domainOf = new int[n];
            Map<String, Integer> zones = new HashMap<>();
            List<Integer> sizes = new ArrayList<>();
            for (int m = 0; m < n; m++) {
                ids[m] = sorted[m].nodeId();
                index.put(ids[m], m);
                int d = sorted[m].hasZone() ? zones.computeIfAbsent(sorted[m].zone(), z -> sizes.size()) : sizes.size();
                if (d == sizes.size()) {
                    sizes.add(0);
                }
                sizes.set(d, sizes.get(d) + 1);
                domainOf[m] = d;
            }
            r = Math.min(backupCount + 1, n);
            int zoneCount = sizes.size();
            int perZone = 1;
            while (capacity(sizes, perZone) < r) {
                perZone++;
            }
            domainCap = new int[zoneCount];
            for (int d = 0; d < zoneCount; d++) {
                domainCap[d] = Math.min(sizes.get(d), perZone);
            }

            buckets = table.bucketCount();
            active = new boolean[buckets];
            int act = 0;
            for (int b = 0; b < buckets; b++) {
                active[b] = includeLost || !table.isLost(b);
                act += active[b] ? 1 : 0;
            }
            activeCount = act;

            held = new boolean[buckets * n];
            currentPrimary = new int[buckets];
            for (int b = 0; b < buckets; b++) {
                List<Replica> list = table.replicas(b);
                currentPrimary[b] = list.isEmpty() ? -1 : index.getOrDefault(list.get(0).nodeId(), -1);
                for (Replica rep : list) {
                    Integer m = index.get(rep.nodeId());
                    if (m != null && rep.state() != ReplicaState.DISCARDED) {
                        held[b * n + m] = true;
                    }
                }
            }

            order = new int[buckets * n];
            long[] hashes = new long[n];
            for (int m = 0; m < n; m++) {
                hashes[m] = nodeHash(ids[m]);
            }
            long[] keys = new long[n];
            for (int b = 0; b < buckets; b++) {
                long bucketHash = mix64((b + 1) * GOLDEN);
                for (int m = 0; m < n; m++) {
                    keys[m] = (mix64(hashes[m] ^ bucketHash) & ~0xFFFFL) | m;
                }
                Arrays.sort(keys);
                for (int k = 0; k < n; k++) {
                    order[b * n + k] = (int) (keys[k] & 0xFFFF);
                }
            }

            copyQuota = copyQuotas(sizes);
            primaryFloor = activeCount / n;
            primaryCeil = primaryFloor + (activeCount % n == 0 ? 0 : 1);

            owners = new int[buckets * r];
            count = new int[buckets];
            load = new int[n];
            assignCopies();
            primary = new int[buckets];
            primaryLoad = new int[n];
            primaryKept = new boolean[buckets];
            assignPrimaries();
            targets = buildTargets(table);
        }

        boolean isMember(String nodeId) {
            return index.containsKey(nodeId);
        }

        List<String> target(int bucket) {
            return targets.get(bucket);
        }

        private static MemberInfo[] checkMembers(List<MemberInfo> members) {
            Objects.requireNonNull(members, "members");
            if (members.isEmpty()) {
                throw new IllegalArgumentException("members must not be empty");
            }
            if (members.size() >= MAX_MEMBERS) {
                throw new IllegalArgumentException("too many members: " + members.size() + " (at most "
                        + (MAX_MEMBERS - 1) + ")");
            }
            MemberInfo[] sorted = members.toArray(new MemberInfo[0]);
            for (MemberInfo m : sorted) {
                Objects.requireNonNull(m, "member");
            }
            Arrays.sort(sorted, Comparator.comparing(MemberInfo::nodeId));
            for (int i = 1; i < sorted.length; i++) {
                if (sorted[i].nodeId().equals(sorted[i - 1].nodeId())) {
                    throw new IllegalArgumentException("node " + sorted[i].nodeId() + " is listed twice among members");
                }
            }
            return sorted;
        }

        private static int capacity(List<Integer> sizes, int perZone) {
            int total = 0;
            for (int s : sizes) {
                total += Math.min(s, perZone);
            }
            return total;
        }

        // ---- quotas ----

        /**
         * Copies per member: the total water-filled over zones (each between the least and the most
         * the zone caps allow, otherwise in proportion to its size), then split evenly in each zone.
         */
        private int[] copyQuotas(List<Integer> sizes) {
            int zoneCount = sizes.size();
            long total = (long) activeCount * r;
            int capSum = 0;
            for (int c : domainCap) {
                capSum += c;
            }
            long[] size = new long[zoneCount];
            long[] hi = new long[zoneCount];
            long[] lo = new long[zoneCount];
            for (int d = 0; d < zoneCount; d++) {
                size[d] = sizes.get(d);
                hi[d] = (long) activeCount * domainCap[d];
                lo[d] = (long) activeCount * Math.max(0, r - (capSum - domainCap[d]));
            }
            long[] zoneLoad = waterFill(total, size, lo, hi);
            int[] quota = new int[n];
            int[] seen = new int[zoneCount];
            for (int m = 0; m < n; m++) {
                int d = domainOf[m];
                long share = zoneLoad[d] / size[d];
                long extra = zoneLoad[d] % size[d];
                quota[m] = (int) (share + (seen[d] < extra ? 1 : 0));
                seen[d]++;
            }
            return quota;
        }

        /**
         * Splits total over zones as {@code clamp(size * level, lo, hi)} for the level that makes the
         * sum exact, in exact integer arithmetic: repeatedly pins the zones that violate a bound (the
         * side with the larger violation first, which is safe), then splits the rest in proportion,
         * giving the rounding remainder to zones with a fractional share in zone order.
         */
        private static long[] waterFill(long total, long[] size, long[] lo, long[] hi) {
            int zoneCount = size.length;
            long[] load = new long[zoneCount];
            boolean[] pinned = new boolean[zoneCount];
            while (true) {
                long rest = total;
                long sizes = 0;
                for (int d = 0; d < zoneCount; d++) {
                    if (pinned[d]) {
                        rest -= load[d];
                    } else {
                        sizes += size[d];
                    }
                }
                if (sizes == 0) {
                    return load;
                }
                long excess = 0;
                long deficit = 0;
                for (int d = 0; d < zoneCount; d++) {
                    if (!pinned[d]) {
                        long v = Math.multiplyExact(size[d], rest);
                        long high = Math.multiplyExact(hi[d], sizes);
                        long low = Math.multiplyExact(lo[d], sizes);
                        if (v > high) {
                            excess += v - high;
                        } else if (v < low) {
                            deficit += low - v;
                        }
                    }
                }
                if (excess == 0 && deficit == 0) {
                    long assigned = 0;
                    for (int d = 0; d < zoneCount; d++) {
                        if (!pinned[d]) {
                            load[d] = size[d] * rest / sizes;
                            assigned += load[d];
                        }
                    }
                    long left = rest - assigned;
                    for (int d = 0; d < zoneCount && left > 0; d++) {
                        if (!pinned[d] && size[d] * rest % sizes != 0) {
                            load[d]++;
                            left--;
                        }
                    }
                    return load;
                }
                boolean pinHigh = excess >= deficit;
                for (int d = 0; d < zoneCount; d++) {
                    if (!pinned[d]) {
                        long v = size[d] * rest;
                        if (pinHigh ? v > hi[d] * sizes : v < lo[d] * sizes) {
                            pinned[d] = true;
                            load[d] = pinHigh ? hi[d] : lo[d];
                        }
                    }
                }
            }
        }

        // ---- copies ----

        private void assignCopies() {
            for (int k = 0; k < n; k++) {
                for (int b = 0; b < buckets; b++) {
                    int m = order[b * n + k];
                    if (active[b] && held[b * n + m] && fits(b, m)) {
                        add(b, m);
                    }
                }
            }
            for (int k = 0; k < n; k++) {
                for (int b = 0; b < buckets; b++) {
                    if (active[b] && count[b] < r && fits(b, order[b * n + k])) {
                        add(b, order[b * n + k]);
                    }
                }
            }
            for (int b = 0; b < buckets; b++) {
                while (active[b] && count[b] < r) {
                    if (!augment(b, true, false) && !augment(b, true, true) && !augment(b, false, true)) {
                        forceAdd(b);
                    }
                }
            }
        }

        private boolean fits(int b, int m) {
            int d = domainOf[m];
            return count[b] < r && load[m] < copyQuota[m] && !contains(b, m) && zoneCount(b, d, -1) < domainCap[d];
        }

        private boolean contains(int b, int m) {
            for (int i = b * r, end = i + count[b]; i < end; i++) {
                if (owners[i] == m) {
                    return true;
                }
            }
            return false;
        }

        private int zoneCount(int b, int zone, int excluded) {
            int c = 0;
            for (int i = b * r, end = i + count[b]; i < end; i++) {
                if (owners[i] != excluded && domainOf[owners[i]] == zone) {
                    c++;
                }
            }
            return c;
        }

        private void add(int b, int m) {
            owners[b * r + count[b]++] = m;
            load[m]++;
        }

        private void remove(int b, int m) {
            int base = b * r;
            for (int i = base; i < base + count[b]; i++) {
                if (owners[i] == m) {
                    owners[i] = owners[base + --count[b]];
                    load[m]--;
                    return;
                }
            }
            throw new IllegalStateException("member " + m + " is not an owner of bucket " + b);
        }

        /**
         * Fills one open slot of b0 through an augmenting path: a member enters b0; if it has no quota
         * left it leaves another bucket, which another member enters, and so on until a member with
         * quota left is reached. Breadth first, so the path is as short as possible.
         *
         * @param zones       whether zone caps apply
         * @param rerouteKept whether a member may leave a bucket it holds today (else only new copies move)
         */
        private boolean augment(int b0, boolean zones, boolean rerouteKept) {
            int[] leftBy = new int[buckets];          // -2 unvisited, -1 start, else the member leaving
            Arrays.fill(leftBy, -2);
            int[] enters = new int[n];                 // bucket the member enters, -1 unvisited
            Arrays.fill(enters, -1);
            ArrayDeque<Integer> queue = new ArrayDeque<>();
            leftBy[b0] = -1;
            queue.add(b0);
            while (!queue.isEmpty()) {
                int b = queue.poll();
                int gone = leftBy[b];
                for (int k = 0; k < n; k++) {
                    int m = order[b * n + k];
                    if (enters[m] >= 0 || m == gone || contains(b, m)) {
                        continue;
                    }
                    if (zones && zoneCount(b, domainOf[m], gone) >= domainCap[domainOf[m]]) {
                        continue;
                    }
                    enters[m] = b;
                    if (load[m] < copyQuota[m]) {
                        for (int node = m; ; ) {
                            int bucket = enters[node];
                            int leaving = leftBy[bucket];
                            if (leaving >= 0) {
                                remove(bucket, leaving);
                            }
                            add(bucket, node);
                            if (leaving < 0) {
                                return true;
                            }
                            node = leaving;
                        }
                    }
                    for (int b2 = 0; b2 < buckets; b2++) {
                        if (leftBy[b2] == -2 && active[b2] && contains(b2, m) && (rerouteKept || !held[b2 * n + m])) {
                            leftBy[b2] = m;
                            queue.add(b2);
                        }
                    }
                }
            }
            return false;
        }

        /** Last resort (quotas cannot be met): the least loaded member not yet in b. */
        private void forceAdd(int b) {
            int best = -1;
            for (int k = 0; k < n; k++) {
                int m = order[b * n + k];
                if (!contains(b, m) && (best < 0 || load[m] < load[best])) {
                    best = m;
                }
            }
            add(b, best);
        }

        // ---- primaries ----

        /**
         * Primaries: every member gets the floor or the ceiling of an even share. Which members get the
         * ceiling is not fixed in advance (that could be impossible for a given copy layout): a member
         * may go above the floor while a token is left, and there are {@code activeCount % n} tokens.
         * With every bucket assigned and at most that many members above the floor, none is below it.
         */
        private void assignPrimaries() {
            Arrays.fill(primary, -1);
            primaryTokens = activeCount % n;
            int[] currentRank = new int[buckets];
            Arrays.fill(currentRank, -1);
            for (int b = 0; b < buckets; b++) {
                int p = currentPrimary[b];
                if (active[b] && p >= 0 && contains(b, p)) {
                    for (int k = 0; k < n; k++) {
                        if (order[b * n + k] == p) {
                            currentRank[b] = k;
                            break;
                        }
                    }
                }
            }
            for (int k = 0; k < n; k++) {
                for (int b = 0; b < buckets; b++) {
                    if (currentRank[b] == k && canTakePrimary(currentPrimary[b])) {
                        setPrimary(b, currentPrimary[b]);
                        primaryKept[b] = true;
                    }
                }
            }
            for (int k = 0; k < n; k++) {
                for (int b = 0; b < buckets; b++) {
                    int m = order[b * n + k];
                    if (active[b] && primary[b] < 0 && contains(b, m) && canTakePrimary(m)) {
                        setPrimary(b, m);
                    }
                }
            }
            for (int b = 0; b < buckets; b++) {
                if (active[b] && primary[b] < 0 && !augmentPrimary(b, false) && !augmentPrimary(b, true)) {
                    int best = -1;
                    for (int k = 0; k < n; k++) {
                        int m = order[b * n + k];
                        if (contains(b, m) && (best < 0 || primaryLoad[m] < primaryLoad[best])) {
                            best = m;
                        }
                    }
                    setPrimary(b, best);
                }
            }
        }

        private boolean canTakePrimary(int m) {
            return primaryLoad[m] < primaryFloor || (primaryLoad[m] < primaryCeil && primaryTokens > 0);
        }

        private void setPrimary(int b, int m) {
            int old = primary[b];
            if (old >= 0) {
                primaryLoad[old]--;
                if (primaryLoad[old] >= primaryFloor) {
                    primaryTokens++;
                }
            }
            if (primaryLoad[m] >= primaryFloor) {
                primaryTokens--;
            }
            primary[b] = m;
            primaryLoad[m]++;
        }

        /**
         * Like {@link #augment} for primaries: each member on the path takes over the primary role of
         * the bucket before it. A member at the floor with no token left can still take one over from a
         * member at the ceiling, which then hands one of its buckets on.
         */
        private boolean augmentPrimary(int b0, boolean rerouteKept) {
            int[] leftBy = new int[buckets];          // -2 unvisited, -1 start, else the member giving up b
            Arrays.fill(leftBy, -2);
            int[] via = new int[buckets];             // the member whose move made b need a new primary
            int[] enters = new int[n];                 // -1 unvisited, -3 gave up its token, else the bucket
            Arrays.fill(enters, -1);
            ArrayDeque<Integer> queue = new ArrayDeque<>();
            leftBy[b0] = -1;
            queue.add(b0);
            boolean tokensExpanded = false;
            while (!queue.isEmpty()) {
                int b = queue.poll();
                int gone = leftBy[b];
                for (int k = 0; k < n; k++) {
                    int m = order[b * n + k];
                    if (enters[m] != -1 || m == gone || !contains(b, m)) {
                        continue;
                    }
                    enters[m] = b;
                    if (canTakePrimary(m)) {
                        for (int node = m; ; ) {
                            int bucket = enters[node];
                            setPrimary(bucket, node);
                            primaryKept[bucket] = false;
                            if (bucket == b0) {
                                return true;
                            }
                            node = via[bucket];
                        }
                    }
                    queuePrimaries(m, m, leftBy, via, queue, rerouteKept);
                    if (primaryLoad[m] < primaryCeil && !tokensExpanded) {
                        tokensExpanded = true;
                        for (int holder = 0; holder < n; holder++) {
                            if (enters[holder] == -1 && primaryLoad[holder] >= primaryCeil) {
                                enters[holder] = -3;
                                queuePrimaries(holder, m, leftBy, via, queue, rerouteKept);
                            }
                        }
                    }
                }
            }
            return false;
        }

        private void queuePrimaries(int giver, int taker, int[] leftBy, int[] via, ArrayDeque<Integer> queue,
                                    boolean rerouteKept) {
            for (int b2 = 0; b2 < buckets; b2++) {
                if (leftBy[b2] == -2 && primary[b2] == giver && (rerouteKept || !primaryKept[b2])) {
                    leftBy[b2] = giver;
                    via[b2] = taker;
                    queue.add(b2);
                }
            }
        }

        /** Target lists: primary, then owners in their current table order, then new owners by rank. */
        private List<List<String>> buildTargets(PartitionTable table) {
            List<List<String>> result = new ArrayList<>(buckets);
            for (int b = 0; b < buckets; b++) {
                if (!active[b]) {
                    result.add(List.of());
                    continue;
                }
                List<String> list = new ArrayList<>(r);
                list.add(ids[primary[b]]);
                for (Replica rep : table.replicas(b)) {
                    Integer m = index.get(rep.nodeId());
                    if (m != null && m != primary[b] && contains(b, m)) {
                        list.add(rep.nodeId());
                    }
                }
                for (int k = 0; k < n && list.size() < count[b]; k++) {
                    int m = order[b * n + k];
                    if (contains(b, m) && !list.contains(ids[m])) {
                        list.add(ids[m]);
                    }
                }
                result.add(List.copyOf(list));
            }
            return result;
        }
    }
}
