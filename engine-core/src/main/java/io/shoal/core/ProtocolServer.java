package io.shoal.core;

import io.shoal.NodeStats;
import io.shoal.protocol.Message;
import io.shoal.protocol.Push;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import io.shoal.spi.Connection;
import io.shoal.spi.FrameHandler;
import io.shoal.spi.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The node's protocol server (docs/protocol.md, version 1): listens on the configured transport at
 * {@code server.host:server.port} and serves every connection through a {@link ServerSession}.
 *
 * <p>Design. Requests run on the transport's I/O thread where they arrive, inline on the engine
 * (see {@link DataCommands}); nothing on that path hands off to another thread, and the only other
 * threads are the engine's event thread (EVENT pushes), whichever thread completes a write's
 * durability (its reply), and one daemon timer, {@code shoal-server-timer}, for the authentication
 * and startup deadlines, keep-alive and the ops-per-second sample.
 *
 * <p>Two lifecycle components put it in the node's start order: {@link #listening()} binds before
 * recovery starts, so clients can connect while the node recovers (their requests wait, see
 * {@link ServerSession}); {@link #serving()} starts last and releases them. Stopping runs in
 * reverse, so {@code serving().stop()} comes first: it refuses new requests ({@code SHUTTING_DOWN}),
 * says GOODBYE on every connection, waits up to {@code server.goodbyeWaitMs} for the answers and
 * closes the transport, all before the engine's stores close.
 */
final class ProtocolServer extends FrameHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ProtocolServer.class);
    /** The one protocol version this node speaks. */
    static final int PROTOCOL_VERSION = 1;
    private static final long OPS_SAMPLE_MS = 1000;

    final ServerConfig config;
    final MapRegistry maps;
    final DataCommands data;
    /**
     * Answers node-to-node requests (docs/protocol.md section 11), given the sending member's node
     * id (null if the connection is not a member's); null until the node's cluster is wired.
     */
    volatile java.util.function.BiFunction<Request, String, CompletableFuture<Message>> cluster;
    private volatile Push.ServerInfo clusterInfo;
    /** The cluster's counters for STATS; null outside a cluster. */
    volatile Supplier<List<Reply.Stat>> clusterStats;
    /** Sends a request to the member at an address and completes with its answer; null outside a cluster. */
    volatile java.util.function.BiFunction<String, Request, CompletableFuture<Message>> forwarder;
    final LongAdder subscriberEventsDropped = new LongAdder();
    volatile boolean ready;
    volatile boolean stopping;
    SecureRandom random;

    private final EngineConfig engineConfig;
    private final String transportName;
    private final Transport transport;
    private final LocalEngine engine;
    private final Supplier<NodeStats> nodeStats;
    private final ConcurrentHashMap<Connection, ServerSession> sessions = new ConcurrentHashMap<>();
    private final LongAdder ops = new LongAdder();
    private final AtomicLong connectionsAccepted = new AtomicLong();
    private volatile long opsPerSecond;
    private long opsAtLastSample; // timer only
    private volatile long startedAtMs;
    private volatile ScheduledThreadPoolExecutor timer;
    private Transport.Server server;
    private volatile String address;
    private boolean shutDown; // guarded by this

    ProtocolServer(ServerConfig config, EngineConfig engineConfig, String transportName, Transport transport,
                   LocalEngine engine, MapRegistry maps, Supplier<NodeStats> nodeStats) {
        this.config = config;
        this.engineConfig = engineConfig;
        this.transportName = transportName;
        this.transport = transport;
        this.engine = engine;
        this.maps = maps;
        this.nodeStats = nodeStats;
        this.data = new DataCommands(this, engine, maps, engineConfig, config);
    }

    /** Binds the listener (before recovery); its stop closes everything if the node never got ready. */
    Lifecycle.Component listening() {
        return new Lifecycle.Component() {
            @Override
            public void start() {
                startListening();
            }

            @Override
            public void stop() {
                shutDown();
            }
        };
    }

    /** Releases the requests held during start-up (started last); its stop says GOODBYE (stopped first). */
    Lifecycle.Component serving() {
        return new Lifecycle.Component() {
            @Override
            public void start() {
                markReady();
            }

            @Override
            public void stop() {
                goodbyeAndClose();
            }
        };
    }

    /**
     * The address clients connect to: {@code server.advertisedAddress}, or the bound address with
     * an ephemeral port resolved; {@code null} before listening.
     */
    String address() {
        return address;
    }

    String nodeId() {
        return engineConfig.nodeId;
    }

    int bucketCount() {
        return engineConfig.bucketCount;
    }

    int transportMaxFrameBytes() {
        return transport.maxFrameBytes();
    }

    boolean engineClosed() {
        return engine.isClosed();
    }

    void countOp() {
        ops.increment();
    }

    /** Takes back a {@link #countOp} for a request handed on to the full decode. */
    void uncountOp() {
        ops.decrement();
    }

    // ------------------------------------------------------------------------------------------
    // Lifecycle

    private void startListening() {
        random = new SecureRandom();
        startedAtMs = System.currentTimeMillis();
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "shoal-server-timer");
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        timer = executor;
        // Idleness is counted in ticks; a peer idle for pingTicks gets a PING, one idle for
        // deadTicks (at least deadPeerTimeoutMs, the first tick may come at once) is closed.
        long tickMs = Math.max(5, Math.min(1000, Math.min(config.keepAliveIntervalMs,
                config.deadPeerTimeoutMs - config.keepAliveIntervalMs) / 4));
        int pingTicks = (int) Math.max(1, (config.keepAliveIntervalMs + tickMs - 1) / tickMs);
        int deadTicks = (int) Math.max(pingTicks + 1, (config.deadPeerTimeoutMs + tickMs - 1) / tickMs + 1);
        executor.scheduleAtFixedRate(() -> guarded("keep-alive", () -> keepAliveTick(pingTicks, deadTicks)), tickMs,
                tickMs, TimeUnit.MILLISECONDS);
        executor.scheduleAtFixedRate(() -> guarded("ops sample", this::sampleOps), OPS_SAMPLE_MS, OPS_SAMPLE_MS,
                TimeUnit.MILLISECONDS);
        server = transport.listen(config.listenAddress(), this);
        address = config.advertisedAddress.isEmpty() ? server.address() : config.advertisedAddress;
        LOG.info("node {} listens at {}{} (transport {}, protocol version {}, authentication {})", engineConfig.nodeId,
                server.address(), config.advertisedAddress.isEmpty() ? "" : ", advertised as " + address, transportName,
                PROTOCOL_VERSION, config.authRequired() ? "required" : "off");
        if (config.advertisedAddress.isEmpty() && isWildcard(config.host)) {
            LOG.warn("node {} listens on the wildcard address {} and advertises {}, which other machines cannot "
                    + "connect to; set server.advertisedAddress to the host:port they should use", engineConfig.nodeId,
                    config.host, address);
        }
    }

    static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || host.equals("0:0:0:0:0:0:0:0");
    }

    private void markReady() {
        ready = true;
        for (ServerSession session : sessions.values()) {
            session.releaseHeld();
        }
    }

    private void goodbyeAndClose() {
        stopping = true;
        List<CompletableFuture<Void>> finished = new ArrayList<>();
        for (ServerSession session : sessions.values()) {
            session.sayGoodbye();
            finished.add(session.finished);
        }
        if (!finished.isEmpty()) {
            try {
                CompletableFuture.allOf(finished.toArray(CompletableFuture[]::new))
                        .get(config.goodbyeWaitMs, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                LOG.info("node {}: {} connections did not answer GOODBYE within server.goodbyeWaitMs = {} ms; closing them",
                        engineConfig.nodeId, finished.stream().filter(f -> !f.isDone()).count(), config.goodbyeWaitMs);
            } catch (ExecutionException e) {
                LOG.warn("waiting for GOODBYE answers failed", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        shutDown();
    }

    private void shutDown() {
        synchronized (this) {
            if (shutDown) {
                return;
            }
            shutDown = true;
        }
        stopping = true;
        if (!ready) {
            for (ServerSession session : sessions.values()) {
                session.startFailed();
            }
        }
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            transport.close();
            ScheduledThreadPoolExecutor executor = timer;
            if (executor != null) {
                executor.shutdownNow();
                try {
                    executor.awaitTermination(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Runs {@code task} on the timer after {@code delayMs}; {@code null} once the timer has stopped. */
    Future<?> schedule(Runnable task, long delayMs) {
        ScheduledThreadPoolExecutor executor = timer;
        if (executor == null) {
            return null;
        }
        try {
            return executor.schedule(() -> guarded("deadline", task), delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    private static void guarded(String what, Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.error("server timer task ({}) failed; the timer goes on", what, e);
        }
    }

    private void keepAliveTick(int pingTicks, int deadTicks) {
        for (ServerSession session : sessions.values()) {
            session.keepAliveTick(pingTicks, deadTicks);
            session.flushDropNotices();
        }
    }

    private void sampleOps() {
        long total = ops.sum();
        opsPerSecond = total - opsAtLastSample;
        opsAtLastSample = total;
    }

    // ------------------------------------------------------------------------------------------
    // FrameHandler: the transport's I/O threads

    @Override
    public void onOpen(Connection connection) {
        ServerSession session = new ServerSession(this, connection);
        sessions.put(connection, session);
        connectionsAccepted.incrementAndGet();
        session.opened();
    }

    @Override
    public void onFrame(Connection connection, ByteBuffer frame) {
        ServerSession session = sessions.get(connection);
        if (session == null) {
            return;
        }
        try {
            session.onFrame(frame);
        } catch (RuntimeException e) {
            session.internalError(e);
        }
    }

    @Override
    public void onFrameTooLarge(Connection connection, long declaredBytes, int limitBytes) {
        ServerSession session = sessions.get(connection);
        if (session != null) {
            session.frameTooLarge(declaredBytes, limitBytes);
        }
    }

    @Override
    public void onClose(Connection connection, Throwable cause) {
        ServerSession session = sessions.remove(connection);
        if (session != null) {
            session.closed(cause);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Node information

    Push.ServerInfo serverInfo() {
        Push.ServerInfo info = clusterInfo;
        return info != null ? info : new Push.ServerInfo(1, List.of(new Push.NodeAddress(engineConfig.nodeId, address)));
    }

    /**
     * The cluster's nodes or table changed: every READY connection is told (SERVER_INFO), and
     * later ones at READY. A view change without a table change keeps the table's version.
     */
    void clusterChanged(long tableVersion, List<Push.NodeAddress> nodes) {
        Push.ServerInfo previous = clusterInfo;
        if (previous != null && (previous.tableVersion() > tableVersion
                || previous.tableVersion() == tableVersion && previous.nodes().equals(nodes))) {
            return;
        }
        Push.ServerInfo info = new Push.ServerInfo(tableVersion, List.copyOf(nodes));
        clusterInfo = info;
        for (ServerSession session : sessions.values()) {
            session.pushIfReady(info);
        }
    }

    /** STATS: stable names, documented in the README ("Serving remote clients"). */
    Reply.Stats stats() {
        NodeStats node = nodeStats.get();
        int subscriptions = 0;
        for (ServerSession session : sessions.values()) {
            subscriptions += session.subscriptionCount();
        }
        List<Reply.Stat> stats = new ArrayList<>(List.of(
                new Reply.Stat("entries", node.entries()),
                new Reply.Stat("memoryUsedBytes", node.memoryUsedBytes()),
                new Reply.Stat("memoryMaxBytes", node.memoryMaxBytes()),
                new Reply.Stat("evictions", node.evictions()),
                new Reply.Stat("expirations", node.expirations()),
                new Reply.Stat("eventsDropped", node.eventsDropped() + subscriberEventsDropped.sum()),
                new Reply.Stat("subscriberEventsDropped", subscriberEventsDropped.sum()),
                new Reply.Stat("storeResizes", node.storeResizes()),
                new Reply.Stat("bucketCount", node.bucketCount()),
                new Reply.Stat("connections", sessions.size()),
                new Reply.Stat("connectionsAccepted", connectionsAccepted.get()),
                new Reply.Stat("subscriptions", subscriptions),
                new Reply.Stat("requests", ops.sum()),
                new Reply.Stat("opsPerSecond", opsPerSecond),
                new Reply.Stat("uptimeMs", System.currentTimeMillis() - startedAtMs)));
        Supplier<List<Reply.Stat>> cluster = clusterStats;
        if (cluster != null) {
            stats.addAll(cluster.get());
        }
        return new Reply.Stats(stats);
    }

    /** LOAD_LEVELS: this node alone until there is a cluster. */
    Reply.LoadLevels loadLevels() {
        NodeStats node = nodeStats.get();
        return new Reply.LoadLevels(List.of(new Reply.LoadLevel(engineConfig.nodeId, node.entries(),
                node.memoryUsedBytes(), node.memoryMaxBytes(), opsPerSecond)));
    }
}
