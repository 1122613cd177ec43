package io.shoal.samples.check;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When {@link ClusterHealth} calls the cluster healed, on made-up STATS answers. */
class ClusterHealthTest {

    /** n1 (the coordinator) .. nN of a healthy cluster of {@code count} members. */
    private static List<ClusterHealth.NodeStats> healthy(int count) {
        List<ClusterHealth.NodeStats> nodes = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            nodes.add(node("n" + i, count, 7, 40, 0, 0, i == 1, true));
        }
        return nodes;
    }

    private static ClusterHealth.NodeStats node(String id, long members, long view, long table, long under, long feeding,
                                                boolean coordinator, boolean lease) {
        Map<String, Long> stats = new LinkedHashMap<>();
        stats.put("entries", 10L);
        stats.put("bucketCount", 256L);
        stats.put("clusterMembers", members);
        stats.put("clusterViewVersion", view);
        stats.put("clusterTableVersion", table);
        stats.put("clusterBucketsLost", 0L);
        stats.put("clusterBucketsUnderReplicated", under);
        stats.put("clusterCopiesFeeding", feeding);
        stats.put("clusterCoordinator", coordinator ? 1L : 0L);
        stats.put("clusterLeaseHeld", lease ? 1L : 0L);
        return new ClusterHealth.NodeStats(id, stats, null);
    }

    private static ClusterHealth.Status judgeWith(int up, int index, ClusterHealth.NodeStats replacement) {
        List<ClusterHealth.NodeStats> nodes = healthy(up);
        nodes.set(index, replacement);
        return ClusterHealth.judge(up, nodes);
    }

    @Test
    void allMembersOneViewAndTableNothingShortLeasesHeldIsHealthy() {
        ClusterHealth.Status status = ClusterHealth.judge(3, healthy(3));
        assertTrue(status.healthy(), status.problems().toString());
        assertEquals("0 buckets under-replicated, 0 copies feeding", status.summary());
        assertTrue(status.detail().startsWith("n1: members 3, view 7, table 40, lost 0, under-replicated 0, feeding 0, "
                + "coordinator, lease held; n2: "), status.detail());
        assertTrue(ClusterHealth.judge(1, healthy(1)).healthy(), "a node alone");
    }

    @Test
    void aNodeThatDoesNotSeeEveryMemberIsNotHealed() {
        ClusterHealth.Status status = judgeWith(3, 2, node("n3", 2, 7, 40, 0, 0, false, true));
        assertFalse(status.healthy());
        assertEquals(List.of("n3 sees 2 members of 3"), status.problems());
        // a member the nodes still count although it is away (paused past the timeout, not yet removed)
        assertFalse(ClusterHealth.judge(2, healthy(3).subList(0, 2)).healthy());
    }

    @Test
    void viewsAndTablesMustBeTheSameEverywhere() {
        ClusterHealth.Status view = judgeWith(3, 1, node("n2", 3, 6, 40, 0, 0, false, true));
        assertEquals(List.of("views differ (n1 7, n2 6, n3 7)"), view.problems());
        ClusterHealth.Status table = judgeWith(3, 1, node("n2", 3, 7, 39, 0, 0, false, true));
        assertEquals(List.of("tables differ (n1 40, n2 39, n3 40)"), table.problems());
    }

    @Test
    void bucketsShortOfCopiesOrCopiesFeedingAreNotHealed() {
        List<ClusterHealth.NodeStats> nodes = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            nodes.add(node("n" + i, 3, 7, 40, 12, 30, i == 1, true));
        }
        ClusterHealth.Status status = ClusterHealth.judge(3, nodes);
        assertFalse(status.healthy());
        assertEquals("12 buckets under-replicated, 30 copies feeding", status.summary());
        assertEquals(List.of("n1", "n2", "n3"), status.nodes().stream().map(ClusterHealth.NodeStats::node).toList());
        assertFalse(judgeWith(3, 0, node("n1", 3, 7, 40, 0, 1, true, true)).healthy(), "one copy feeding");
        assertFalse(judgeWith(3, 0, node("n1", 3, 7, 40, 1, 0, true, true)).healthy(), "one bucket short");
    }

    @Test
    void everyNodeMustHoldItsLeaseAndAnswer() {
        ClusterHealth.Status lease = judgeWith(3, 2, node("n3", 3, 7, 40, 0, 0, false, false));
        assertEquals(List.of("n3 holds no lease"), lease.problems());
        assertTrue(lease.summary().endsWith("; n3 holds no lease"), lease.summary());
        ClusterHealth.Status silent = judgeWith(3, 1, new ClusterHealth.NodeStats("n2", null, "RequestTimeoutException: late"));
        assertEquals(List.of("n2 did not answer STATS (RequestTimeoutException: late)"), silent.problems());
        ClusterHealth.Status old = judgeWith(2, 1, new ClusterHealth.NodeStats("n2", Map.of("entries", 3L), null));
        assertFalse(old.healthy());
        assertTrue(old.problems().get(0).startsWith("n2's STATS lack [clusterMembers"), old.problems().toString());
        assertFalse(ClusterHealth.judge(0, List.of()).healthy(), "no node up");
    }

    @Test
    void exactlyOneCoordinator() {
        assertEquals(List.of("no node says it is the coordinator"),
                judgeWith(2, 0, node("n1", 2, 7, 40, 0, 0, false, true)).problems());
        assertEquals(List.of("several nodes say they are the coordinator: [n1, n2]"),
                judgeWith(2, 1, node("n2", 2, 7, 40, 0, 0, true, true)).problems());
    }

    @Test
    void lostBucketsAreReportedNotWaitedFor() {
        List<ClusterHealth.NodeStats> nodes = healthy(2);
        nodes.get(0).stats().put("clusterBucketsLost", 3L);
        ClusterHealth.Status status = ClusterHealth.judge(2, nodes);
        assertTrue(status.healthy(), "a lost bucket never comes back: the reads report it");
        assertEquals(3, status.bucketsLost());
        assertTrue(status.summary().contains("3 buckets LOST"), status.summary());
    }
}
