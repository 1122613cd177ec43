package io.shoal.cluster;

import java.util.Objects;

/**
 * A data node as the {@link PartitionPlanner} sees it: its stable id and the zone (rack, data
 * centre, availability zone) it declared.
 *
 * <p>Design: a zone is only a failure-domain label. The empty string means "none declared"; such a
 * node is its own failure domain, so a cluster where nobody declares a zone is planned exactly as
 * one with distinct nodes only.
 *
 * @param nodeId the node's stable id, not empty
 * @param zone   the declared zone, {@code ""} when none
 */
record MemberInfo(String nodeId, String zone) {

    MemberInfo {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(zone, "zone (use \"\" for none)");
        if (nodeId.isEmpty()) {
            throw new IllegalArgumentException("nodeId must not be empty");
        }
    }

    /** A member without a declared zone. */
    MemberInfo(String nodeId) {
        this(nodeId, "");
    }

    /** Whether the member declared a zone. */
    boolean hasZone() {
        return !zone.isEmpty();
    }
}
