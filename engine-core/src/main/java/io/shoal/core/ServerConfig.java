package io.shoal.core;

import io.shoal.ConfigException;
import io.shoal.spi.Settings;

import java.nio.charset.StandardCharsets;

/**
 * The protocol server's settings ({@code server.*} and {@code cluster.name}; keys and defaults in
 * this module's {@code reference.conf}, meaning in docs/protocol.md section 7), read once while the
 * node is wired and validated ({@link #conclude}). The checks that need a transport (frame sizes)
 * run only when there is one, so {@code transport = none} never fails on them.
 */
final class ServerConfig {
    /** Largest frame before a connection is READY (docs/protocol.md section 3). */
    static final int PRE_READY_MAX_FRAME_BYTES = 1024;
    /** What a request frame needs on top of its key and value: header, map name, lengths, ttl, condition. */
    static final int REQUEST_OVERHEAD_BYTES = 8 + 2 + 255 + 4 + 4 + 8 + 1 + 8;

    final String host;
    final int port;
    /** What SERVER_INFO and {@code serverAddress()} tell clients; empty: the bound address. */
    final String advertisedAddress;
    final int maxFrameBytes;
    final long authTimeoutMs;
    final long startupWaitMs;
    final long keepAliveIntervalMs;
    final long deadPeerTimeoutMs;
    final int maxSubscriptionsPerConnection;
    final long maxQueuedEventBytes;
    final long goodbyeWaitMs;
    /** UTF-8 bytes of {@code server.auth.secret}; {@code null} when empty (no authentication). */
    final byte[] authSecret;
    final String clusterName;

    private ServerConfig(Settings s) {
        host = s.getString("server.host").trim();
        if (host.isEmpty()) {
            throw new ConfigException("server.host", "is empty; allowed: a host name or IP address to listen on");
        }
        port = s.getInt("server.port", 0, 65_535);
        advertisedAddress = s.getString("server.advertisedAddress").trim();
        maxFrameBytes = (int) s.getBytes("server.maxFrameBytes", 64 * 1024, 1L << 30);
        authTimeoutMs = s.getLong("server.authTimeoutMs", 1, 3_600_000);
        startupWaitMs = s.getLong("server.startupWaitMs", 1, 86_400_000);
        keepAliveIntervalMs = s.getLong("server.keepAliveIntervalMs", 1, 3_600_000);
        deadPeerTimeoutMs = s.getLong("server.deadPeerTimeoutMs", 2, 86_400_000);
        if (deadPeerTimeoutMs <= keepAliveIntervalMs) {
            throw new ConfigException("server.deadPeerTimeoutMs", deadPeerTimeoutMs + " is not above server.keepAliveIntervalMs = "
                    + keepAliveIntervalMs + "; a peer must get a PING before it is declared dead");
        }
        maxSubscriptionsPerConnection = s.getInt("server.maxSubscriptionsPerConnection", 0, 1_000_000);
        maxQueuedEventBytes = s.getBytes("server.maxQueuedEventBytes", 0, 1L << 40);
        goodbyeWaitMs = s.getLong("server.goodbyeWaitMs", 0, 60_000);
        String secret = s.getString("server.auth.secret");
        authSecret = secret.isEmpty() ? null : secret.getBytes(StandardCharsets.UTF_8);
        clusterName = s.getString("cluster.name");
        int nameBytes = clusterName.getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes < 1 || nameBytes > 255 || clusterName.chars().anyMatch(Character::isISOControl)) {
            throw new ConfigException("cluster.name", "\"" + clusterName + "\" is not allowed; use 1 to 255 bytes of UTF-8"
                    + " without control characters");
        }
    }

    /**
     * Reads and validates the settings; with a transport ({@code transportMaxFrameBytes > 0}) also
     * checks that {@code server.maxFrameBytes} fits the transport and holds the largest entry.
     *
     * @throws ConfigException naming the first bad key
     */
    static ServerConfig conclude(Settings settings, EngineConfig engine, String transportName, int transportMaxFrameBytes) {
        ServerConfig config = new ServerConfig(settings);
        if (transportMaxFrameBytes > 0) {
            if (config.maxFrameBytes > transportMaxFrameBytes) {
                throw new ConfigException("server.maxFrameBytes", config.maxFrameBytes + " bytes is larger than transport "
                        + transportName + " carries (" + transportMaxFrameBytes + " bytes; see its maxFrameBytes setting)");
            }
            long largestRequest = (long) engine.maxKeyBytes + engine.maxValueBytes + REQUEST_OVERHEAD_BYTES;
            if (config.maxFrameBytes < largestRequest) {
                throw new ConfigException("server.maxFrameBytes", config.maxFrameBytes + " bytes cannot carry the largest entry"
                        + " (store.maxKeyBytes + store.maxValueBytes + " + REQUEST_OVERHEAD_BYTES + " = " + largestRequest
                        + " bytes); raise it or lower those limits");
            }
        }
        return config;
    }

    /** {@code host:port} to listen at, IPv6 hosts in brackets. */
    String listenAddress() {
        return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }

    boolean authRequired() {
        return authSecret != null;
    }
}
