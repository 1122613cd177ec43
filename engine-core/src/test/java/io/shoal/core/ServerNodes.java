package io.shoal.core;

import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalNode;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;

/** Nodes for the protocol server tests: TCP on loopback, an ephemeral port, small stores. */
final class ServerNodes {
    private ServerNodes() {
    }

    /** Defaults for a small test node serving over TCP; {@code overrides} come on top. */
    static ShoalConfig.Builder config(Map<String, Object> overrides) {
        ShoalConfig.Builder builder = ShoalConfig.builder()
                .bucketCount(16)
                .set("memory.maxBytes", "64m")
                .set("store.entriesPerBucket", 256)
                .set("transport", "tcp")
                .set("transport-tcp.ioThreads", 1)
                .set("server.port", 0);
        overrides.forEach(builder::set);
        return builder;
    }

    /**
     * Settings of a cluster member that finds failures fast (100 ms heartbeats, 1 s failure timeout;
     * a close whose hand-over stalls ends after 15 s), as a mutable map for more.
     */
    static Map<String, Object> clusterSettings(String nodeId, int backups, String... seeds) {
        Map<String, Object> settings = new java.util.HashMap<>();
        settings.put("node.id", nodeId);
        settings.put("cluster.seeds", java.util.List.of(seeds));
        settings.put("cluster.heartbeatIntervalMs", 100);
        settings.put("cluster.failureTimeoutMs", 1000);
        settings.put("cluster.leaveTimeoutMs", 15_000);
        settings.put("backups.count", backups);
        return settings;
    }

    static ShoalNode start(Map<String, Object> overrides) {
        return Shoal.start(config(overrides).build());
    }

    static String address(ShoalNode node) {
        return node.serverAddress().orElseThrow();
    }

    /** A port free a moment ago, for a node whose address a test needs before its start returns. */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
