package io.shoal.testing;

import io.shoal.ShoalException;
import io.shoal.spi.Connection;
import io.shoal.spi.FrameHandler;
import io.shoal.spi.Transport;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A thread-safe, in-process {@link Transport} for tests.
 *
 * <p><b>Design.</b> Transports that should reach each other share a {@link Network}, a registry of
 * listening names ({@code mem:node-1}; {@code mem:*} or {@code mem:} asks for a fresh name). A
 * connection is a pair of endpoints joined by a link. Each endpoint owns a single-threaded
 * executor, owned by the transport that created the endpoint, that runs every callback of its
 * handler: {@code onOpen} is queued first, each frame the peer sends is copied and queued next, and
 * {@code onClose} is queued exactly once, last, after which the executor shuts itself down. The
 * link's monitor makes "is it open? then queue" atomic against closing, so nothing is ever queued
 * after {@code onClose}. An orderly close delivers the frames already queued; a handler exception
 * drops the frames still queued for that side and closes with the exception as cause (the peer sees
 * an orderly close, as it would over TCP). Locks are taken in the order transport, server, link.
 */
public final class InMemoryTransport implements Transport {

    /** Default {@link #maxFrameBytes()}: 16 MiB. */
    public static final int DEFAULT_MAX_FRAME_BYTES = 16 << 20;

    private static final String SCHEME = "mem:";
    private static final AtomicLong INSTANCES = new AtomicLong();
    private static final System.Logger LOG = System.getLogger(InMemoryTransport.class.getName());
    private static final long CLOSE_WAIT_MS = 5_000;

    private final Network network;
    private final int maxFrameBytes;
    private final String threadNamePrefix;
    private final AtomicLong connectionIds = new AtomicLong();
    private final Set<MemServer> servers = ConcurrentHashMap.newKeySet();
    private final Set<Endpoint> clientEndpoints = ConcurrentHashMap.newKeySet();
    private final Set<ConnectionExecutor> executors = ConcurrentHashMap.newKeySet();
    private boolean closed; // guarded by this

    public InMemoryTransport(Network network) {
        this(network, DEFAULT_MAX_FRAME_BYTES);
    }

    public InMemoryTransport(Network network, int maxFrameBytes) {
        this.network = Objects.requireNonNull(network, "network");
        if (maxFrameBytes < 1) {
            throw new IllegalArgumentException("maxFrameBytes " + maxFrameBytes + " must be at least 1");
        }
        this.maxFrameBytes = maxFrameBytes;
        this.threadNamePrefix = "shoal-mem-" + INSTANCES.incrementAndGet() + "-";
    }

    @Override
    public int maxFrameBytes() {
        return maxFrameBytes;
    }

    /** Every thread this transport starts has a name starting with this. */
    String threadNamePrefix() {
        return threadNamePrefix;
    }

    @Override
    public Server listen(String address, FrameHandler handler) {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(handler, "handler");
        if (!address.startsWith(SCHEME)) {
            throw new ShoalException("cannot listen at \"" + address + "\": in-memory addresses start with " + SCHEME);
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("cannot listen at " + address + ": transport is closed");
            }
            MemServer server = network.bind(address, name -> new MemServer(name, handler));
            servers.add(server);
            return server;
        }
    }

    @Override
    public CompletableFuture<Connection> connect(String address, FrameHandler handler, Duration connectTimeout) {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(
                        new IllegalStateException("cannot connect to " + address + ": transport is closed"));
            }
            MemServer server = network.servers.get(address);
            if (server == null) {
                return CompletableFuture.failedFuture(new ShoalException("nobody listens at " + address));
            }
            long id = connectionIds.incrementAndGet();
            Endpoint client = new Endpoint(handler, address, "c" + id);
            clientEndpoints.add(client);
            if (server.accept(client, SCHEME + threadNamePrefix + client.name) == null) {
                clientEndpoints.remove(client);
                client.executor.shutdown();
                return CompletableFuture.failedFuture(new ShoalException("nobody listens at " + address));
            }
            return CompletableFuture.completedFuture(client);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        for (MemServer server : List.copyOf(servers)) {
            server.close();
        }
        for (Endpoint endpoint : List.copyOf(clientEndpoints)) {
            endpoint.close();
        }
        awaitExecutors();
    }

    private void awaitExecutors() {
        List<ConnectionExecutor> remaining = new ArrayList<>(executors);
        remaining.forEach(ThreadPoolExecutor::shutdown);
        if (Thread.currentThread().getName().startsWith(threadNamePrefix)) {
            return; // called from one of our own handlers: waiting would wait for ourselves
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MS);
        try {
            for (ConnectionExecutor executor : remaining) {
                long left = deadline - System.nanoTime();
                if (!executor.awaitTermination(Math.max(0, left), TimeUnit.NANOSECONDS)) {
                    LOG.log(System.Logger.Level.WARNING, "a handler of {0} did not return within {1} ms; interrupting it",
                            threadNamePrefix, CLOSE_WAIT_MS);
                    executor.shutdownNow();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            remaining.forEach(ThreadPoolExecutor::shutdownNow);
        }
    }

    @Override
    public String toString() {
        return "InMemoryTransport{" + threadNamePrefix + "maxFrameBytes=" + maxFrameBytes + '}';
    }

    /** The names that a group of {@link InMemoryTransport}s can reach. Thread-safe. */
    public static final class Network {
        private final Map<String, MemServer> servers = new ConcurrentHashMap<>();
        private final AtomicLong ephemeralNames = new AtomicLong();

        /** Addresses currently listened on, for diagnostics. */
        public Set<String> addresses() {
            return Set.copyOf(servers.keySet());
        }

        private MemServer bind(String address, Function<String, MemServer> factory) {
            String name = address.substring(SCHEME.length());
            if (name.isEmpty() || name.equals("*")) {
                while (true) {
                    String fresh = SCHEME + "ephemeral-" + ephemeralNames.incrementAndGet();
                    MemServer server = factory.apply(fresh);
                    if (servers.putIfAbsent(fresh, server) == null) {
                        return server;
                    }
                }
            }
            MemServer server = factory.apply(address);
            if (servers.putIfAbsent(address, server) != null) {
                throw new ShoalException("cannot listen at " + address + ": the address is in use");
            }
            return server;
        }

        private void unbind(MemServer server) {
            servers.remove(server.address, server);
        }
    }

    private final class MemServer implements Server {
        private final String address;
        private final FrameHandler handler;
        private final Set<Endpoint> accepted = ConcurrentHashMap.newKeySet();
        private boolean closed; // guarded by this

        MemServer(String address, FrameHandler handler) {
            this.address = address;
            this.handler = handler;
        }

        /** Joins {@code client} to a new server-side endpoint; {@code null} if this server is closed. */
        synchronized Endpoint accept(Endpoint client, String clientAddress) {
            if (closed) {
                return null;
            }
            Endpoint serverSide = new Endpoint(handler, clientAddress, "s" + connectionIds.incrementAndGet());
            serverSide.onClosed = () -> accepted.remove(serverSide);
            accepted.add(serverSide);
            Link link = new Link(client, serverSide);
            client.link = link;
            serverSide.link = link;
            client.peer = serverSide;
            serverSide.peer = client;
            client.queueOpen();
            serverSide.queueOpen();
            return serverSide;
        }

        @Override
        public String address() {
            return address;
        }

        @Override
        public void close() {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            network.unbind(this);
            servers.remove(this);
            for (Endpoint endpoint : List.copyOf(accepted)) {
                endpoint.close();
            }
        }

        @Override
        public String toString() {
            return "MemServer{" + address + '}';
        }
    }

    /** The shared state of a connection's two endpoints; its monitor orders queueing against closing. */
    private static final class Link {
        private final Endpoint a;
        private final Endpoint b;
        private volatile boolean open = true; // written under this

        Link(Endpoint a, Endpoint b) {
            this.a = a;
            this.b = b;
        }

        void close(Endpoint initiator, Throwable cause) {
            synchronized (this) {
                if (!open) {
                    return;
                }
                open = false;
                Endpoint other = initiator == a ? b : a;
                initiator.queueClose(cause);
                other.queueClose(null);
            }
        }
    }

    private final class Endpoint implements Connection {
        private final FrameHandler handler;
        private final String remoteAddress;
        private final String name;
        private final ConnectionExecutor executor;
        private volatile Link link;
        private volatile Endpoint peer;
        private volatile Runnable onClosed = () -> clientEndpoints.remove(this);
        /** Set when this side closes because its handler threw; its queued frames are then dropped. */
        private volatile Throwable failure;
        private volatile int inboundLimitBytes = maxFrameBytes;
        private final AtomicLong queuedBytes = new AtomicLong();

        Endpoint(FrameHandler handler, String remoteAddress, String name) {
            this.handler = handler;
            this.remoteAddress = remoteAddress;
            this.name = name;
            this.executor = new ConnectionExecutor(threadNamePrefix + name);
        }

        @Override
        public String remoteAddress() {
            return remoteAddress;
        }

        @Override
        public CompletableFuture<Void> send(ByteBuffer frame) {
            Objects.requireNonNull(frame, "frame");
            int size = frame.remaining();
            if (size > maxFrameBytes) {
                return CompletableFuture.failedFuture(new IllegalArgumentException(
                        "frame of " + size + " bytes exceeds maxFrameBytes " + maxFrameBytes));
            }
            byte[] copy = new byte[size];
            frame.duplicate().get(copy);
            CompletableFuture<Void> written = new CompletableFuture<>();
            queuedBytes.addAndGet(size);
            written.whenComplete((ignored, failed) -> queuedBytes.addAndGet(-size));
            Link current = link;
            synchronized (current) {
                if (!current.open) {
                    return CompletableFuture.failedFuture(closedException());
                }
                Endpoint receiver = peer;
                try {
                    receiver.executor.execute(() -> receiver.deliver(copy, written));
                } catch (RejectedExecutionException e) {
                    written.completeExceptionally(closedException());
                }
            }
            return written;
        }

        @Override
        public boolean isOpen() {
            return link.open;
        }

        @Override
        public void close() {
            link.close(this, null);
        }

        @Override
        public void limitInboundFrameBytes(int maxBytes) {
            if (maxBytes < 1 || maxBytes > maxFrameBytes) {
                throw new IllegalArgumentException("inbound frame limit " + maxBytes + " is outside [1, "
                        + maxFrameBytes + "]");
            }
            inboundLimitBytes = maxBytes;
        }

        @Override
        public long queuedBytes() {
            return queuedBytes.get();
        }

        void queueOpen() {
            executor.execute(() -> callback(() -> handler.onOpen(this)));
        }

        void queueClose(Throwable cause) {
            if (cause != null) {
                failure = cause;
            }
            executor.execute(() -> {
                try {
                    handler.onClose(this, cause);
                } catch (RuntimeException | Error e) {
                    LOG.log(System.Logger.Level.WARNING, "onClose of " + this + " threw", e);
                } finally {
                    onClosed.run();
                    executor.shutdown();
                }
            });
        }

        private void deliver(byte[] bytes, CompletableFuture<Void> written) {
            Throwable failed = failure;
            if (failed != null) {
                written.completeExceptionally(new ShoalException("connection " + this + " closed with an error", failed));
                return;
            }
            int limit = inboundLimitBytes;
            if (bytes.length > limit) {
                ShoalException tooLarge = new ShoalException("received a frame of " + bytes.length
                        + " bytes; this side's limit is " + limit);
                written.completeExceptionally(tooLarge);
                failure = tooLarge; // later frames are dropped
                try {
                    handler.onFrameTooLarge(this, bytes.length, limit);
                } catch (RuntimeException | Error e) {
                    tooLarge.addSuppressed(e);
                }
                link.close(this, tooLarge);
                return;
            }
            written.complete(null);
            callback(() -> handler.onFrame(this, ByteBuffer.wrap(bytes)));
        }

        private void callback(Runnable call) {
            try {
                call.run();
            } catch (RuntimeException | Error e) {
                link.close(this, e);
            }
        }

        private ShoalException closedException() {
            return new ShoalException("connection " + this + " is closed");
        }

        @Override
        public String toString() {
            return threadNamePrefix + name + "->" + remoteAddress;
        }
    }

    /** A single-threaded executor that is forgotten by its transport once it has terminated. */
    private final class ConnectionExecutor extends ThreadPoolExecutor {
        ConnectionExecutor(String threadName) {
            super(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), runnable -> {
                Thread thread = new Thread(runnable, threadName);
                thread.setDaemon(true);
                return thread;
            });
            executors.add(this);
        }

        @Override
        protected void terminated() {
            executors.remove(this);
        }
    }
}
