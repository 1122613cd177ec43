package io.shoal.cluster;

import io.shoal.ConfigException;
import io.shoal.spi.Settings;

import java.util.ArrayList;
import java.util.List;

/**
 * The cluster's settings ({@code cluster.*} and {@code backups.*}; keys, defaults and meanings in
 * engine-core's {@code reference.conf}), validated once at start.
 */
public final class ClusterConfig {
    public final String nodeId;
    public final String clusterName;
    public final int bucketCount;
    public final List<String> seeds;
    public final boolean requireSeed;
    public final String zone;
    public final long heartbeatIntervalMs;
    public final long failureTimeoutMs;
    public final long joinTimeoutMs;
    public final long leaveTimeoutMs;
    public final int maxConcurrentFeedsPerNode;
    public final int migrationChunkEntries;
    public final int backupCount;
    public final boolean backupsSync;

    private ClusterConfig(Settings s, String nodeId, int bucketCount) {
        this.nodeId = nodeId;
        this.bucketCount = bucketCount;
        clusterName = s.getString("cluster.name");
        List<String> checked = new ArrayList<>();
        for (String seed : s.getStringList("cluster.seeds")) {
            String trimmed = seed.trim();
            int colon = trimmed.lastIndexOf(':');
            if (colon <= 0 || colon == trimmed.length() - 1) {
                throw new ConfigException("cluster.seeds", "\"" + seed + "\" is not an address; expected host:port");
            }
            if (!checked.contains(trimmed)) {
                checked.add(trimmed);
            }
        }
        seeds = List.copyOf(checked);
        requireSeed = s.getBoolean("cluster.requireSeed");
        if (requireSeed && seeds.isEmpty()) {
            throw new ConfigException("cluster.requireSeed", "is true but cluster.seeds is empty; list the nodes to join");
        }
        zone = s.getString("cluster.zone").trim();
        heartbeatIntervalMs = s.getLong("cluster.heartbeatIntervalMs", 10, 60_000);
        failureTimeoutMs = s.getLong("cluster.failureTimeoutMs", 50, 600_000);
        if (failureTimeoutMs < 2 * heartbeatIntervalMs) {
            throw new ConfigException("cluster.failureTimeoutMs", failureTimeoutMs + " is less than twice "
                    + "cluster.heartbeatIntervalMs (" + heartbeatIntervalMs + "): one late heartbeat would fail a node");
        }
        joinTimeoutMs = s.getLong("cluster.joinTimeoutMs", 100, 600_000);
        leaveTimeoutMs = s.getLong("cluster.leaveTimeoutMs", 0, 3_600_000);
        maxConcurrentFeedsPerNode = s.getInt("cluster.maxConcurrentFeedsPerNode", 1, 1024);
        migrationChunkEntries = s.getInt("cluster.migrationChunkEntries", 1, 1 << 20);
        backupCount = s.getInt("backups.count", 0, 6);
        backupsSync = s.getBoolean("backups.sync");
    }

    /** Reads and validates; throws {@link ConfigException} naming the first bad key. */
    public static ClusterConfig conclude(Settings settings, String nodeId, int bucketCount) {
        return new ClusterConfig(settings, nodeId, bucketCount);
    }
}
