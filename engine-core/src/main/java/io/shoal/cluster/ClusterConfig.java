package io.shoal.cluster;

import io.shoal.ConfigException;
import io.shoal.spi.Settings;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
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
    public final long antiEntropyIntervalMs;
    public final int backupCount;
    public final boolean backupsSync;
    /**
     * {@code cluster.savefile}: where the last member to stop saves the cluster's data and from
     * where a starting node injects it (absolute); null when empty (off).
     */
    public final Path savefile;

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
        antiEntropyIntervalMs = s.getLong("cluster.antiEntropyIntervalMs", 0, 86_400_000);
        backupCount = s.getInt("backups.count", 0, 6);
        backupsSync = s.getBoolean("backups.sync");
        savefile = savefile(s.getString("cluster.savefile"));
    }

    /** The savefile's absolute path for {@code cluster.savefile = value}, or null when it is empty (off). */
    public static Path savefile(String value) {
        String trimmed = value.trim();
        if (trimmed.isEmpty()) {
            return null;
        }
        Path path;
        try {
            path = Path.of(trimmed).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new ConfigException("cluster.savefile", "\"" + value + "\" is not a file path: " + e.getReason(), e);
        }
        if (path.getFileName() == null) {
            throw new ConfigException("cluster.savefile", "\"" + value + "\" names no file; expected a file path "
                    + "such as \"shoal-data/cluster.save\"");
        }
        if (Files.isDirectory(path)) {
            throw new ConfigException("cluster.savefile", "\"" + value + "\" is a directory (" + path + "); name a "
                    + "file in it, e.g. \"" + path.resolve("cluster.save") + "\"");
        }
        String name = path.getFileName().toString();
        if (name.endsWith(".loaded") || name.endsWith(".tmp")) {
            throw new ConfigException("cluster.savefile", "\"" + value + "\" ends with \".loaded\" or \".tmp\", the "
                    + "suffixes the node gives a savefile it has loaded or is writing; name the savefile itself");
        }
        Path parent = path.getParent();
        for (Path dir = parent; dir != null; dir = dir.getParent()) {
            if (Files.exists(dir)) {
                if (!Files.isDirectory(dir)) {
                    throw new ConfigException("cluster.savefile", "\"" + value + "\": " + dir + " is not a directory");
                }
                break;
            }
        }
        return path;
    }

    /** Reads and validates; throws {@link ConfigException} naming the first bad key. */
    public static ClusterConfig conclude(Settings settings, String nodeId, int bucketCount) {
        return new ClusterConfig(settings, nodeId, bucketCount);
    }
}
