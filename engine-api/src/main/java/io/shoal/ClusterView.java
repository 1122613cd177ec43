package io.shoal;

import java.util.List;
import java.util.Objects;

/**
 * A node's view of its cluster at one moment: the members in the order they joined (the first is
 * the coordinator, which decides views and partition tables), the view's version, and the version
 * of the partition table the node holds. Versions only rise; every member converges on the
 * coordinator's latest view and table within a few heartbeats.
 *
 * @param version      the membership view's version; rises with every join, leave or failure
 * @param members      the members, oldest first; the first is the coordinator
 * @param tableVersion the version of the partition table this node holds
 * @param paused       whether the cluster is paused ({@link ShoalNode#pauseCluster()})
 */
public record ClusterView(long version, List<Member> members, long tableVersion, boolean paused) {
    public ClusterView {
        members = List.copyOf(Objects.requireNonNull(members, "members"));
    }

    /** The coordinator's node id, or empty if there are no members. */
    public String coordinatorId() {
        return members.isEmpty() ? "" : members.get(0).nodeId();
    }

    /** The members' node ids, oldest first. */
    public List<String> nodeIds() {
        return members.stream().map(Member::nodeId).toList();
    }

    /**
     * One member.
     *
     * @param nodeId  its stable id ({@code node.id})
     * @param address where other nodes and clients reach it
     * @param zone    its failure-domain label ({@code cluster.zone}), or empty
     */
    public record Member(String nodeId, String address, String zone) {
        public Member {
            Objects.requireNonNull(nodeId, "nodeId");
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(zone, "zone");
        }
    }
}
