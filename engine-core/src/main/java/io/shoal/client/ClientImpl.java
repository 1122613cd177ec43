package io.shoal.client;

import io.shoal.ChangeListener;
import io.shoal.Codecs;
import io.shoal.ShoalException;
import io.shoal.ShoalMap;
import io.shoal.Subscription;
import io.shoal.internal.KryoCodecs;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.Message;
import io.shoal.protocol.Push;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import io.shoal.protocol.SubscriptionKind;
import io.shoal.spi.Codec;
import io.shoal.spi.Connection;
import io.shoal.spi.Transport;
import io.shoal.spi.TransportProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The {@link ShoalClient}: one READY connection at a time, reconnection, request timeouts and the
 * client's threads.
 *
 * <p>Design. A call is sent straight on the active {@link NodeConnection} by the calling thread;
 * while there is none (or calls are already waiting, to keep their order) it waits in
 * {@code waiting}, which is flushed, in order and under {@code flushLock}, when a connection becomes
 * READY. Every call also goes into {@code deadlines}, a FIFO: all calls get the same timeout, so
 * their deadlines are (nearly) in submission order, and one timer task on the scheduler thread
 * expires the head when its deadline passes, drops completed heads, and moves calls in flight for
 * longer than {@link #STRAGGLER_NANOS} to {@code stragglers} (also in deadline order), so that one
 * slow request does not keep thousands of completed ones reachable. Synchronous callers wait on the
 * call with their remaining time and expire it themselves, so they never depend on the timer.
 *
 * <p>Connecting is asynchronous: a round tries the addresses in order (each attempt bounded by the
 * connect timeout on the scheduler) and completes on whichever thread finished the last step; the
 * periodic keep-alive task doubles as a watchdog that starts a new round if one never finished. The
 * monitor of this object guards the connection set, failure marks, discovered nodes and reconnect
 * state; it is never held while waiting or sending.
 *
 * <p>With smart routing, {@link SmartRouter} picks the connection of each keyed call before the
 * steps above ({@link #dispatch}); every connection it opens goes through {@link #attempt}, so the
 * keep-alive, the deadlines and {@link #close()} cover it as they cover the default connection.
 */
final class ClientImpl implements ShoalClient {
    private static final Logger LOG = LoggerFactory.getLogger(ClientImpl.class);
    private static final AtomicLong INSTANCES = new AtomicLong();
    /** Wait before a call answered NOT_OWNER is sent again. */
    static final long NOT_OWNER_RETRY_MS = 20;
    /** Period of the timer task when nothing is due earlier. */
    private static final long SWEEP_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** Calls in flight for longer than this leave the FIFO for {@code stragglers}. */
    private static final long STRAGGLER_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** How long close waits for each connection to report closed after GOODBYE. */
    private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

    final ClientConfig config;
    final Transport transport;
    final int transportMaxFrameBytes;
    final long requestTimeoutNanos;
    final byte[] secret;
    final EventDispatcher events;
    /** Smart routing ({@link ClientConfig#smartRouting()}); {@code null} without it. */
    private final SmartRouter router;
    private final String name;
    private final long connectTimeoutNanos;
    private final KryoCodecs kryo;
    private final ScheduledThreadPoolExecutor scheduler;
    private final ConcurrentLinkedQueue<Call> deadlines = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Call> stragglers = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Call> waiting = new ConcurrentLinkedQueue<>();
    private final Object flushLock = new Object();
    final Set<RemoteSubscription> subscriptions = ConcurrentHashMap.newKeySet();
    private final CountDownLatch closeDone = new CountDownLatch(1);
    private volatile NodeConnection active;
    private volatile boolean closed;
    private volatile boolean closeSwept;
    private volatile String lastConnectFailure = "";
    private volatile int lastBucketCount;
    // Guarded by this:
    private final Set<NodeConnection> connections = new LinkedHashSet<>();
    private final Map<String, Long> failedAtNanos = new HashMap<>();
    private List<String> discovered = List.of();
    private long serverInfoVersion = Long.MIN_VALUE;
    private boolean reconnectPending;
    private long roundStartedNanos;
    private long backoffNanos;
    private ScheduledFuture<?> reconnectTask;

    private ClientImpl(ClientConfig config, Transport transport) {
        this.config = config;
        this.transport = transport;
        this.transportMaxFrameBytes = transport.maxFrameBytes();
        this.requestTimeoutNanos = config.requestTimeout().toNanos();
        this.connectTimeoutNanos = config.connectTimeout().toNanos();
        this.secret = config.secret().map(NodeConnection::secretBytes).orElse(null);
        this.kryo = KryoCodecs.forClient(config.kryoClasses());
        this.name = "shoal-client-" + INSTANCES.incrementAndGet();
        this.scheduler = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, name + "-timer");
            thread.setDaemon(true);
            return thread;
        });
        this.scheduler.setRemoveOnCancelPolicy(true);
        this.events = new EventDispatcher(name + "-events", config.eventQueueCapacity(), subscriptions);
        this.router = config.smartRouting() ? new SmartRouter(this, name) : null;
    }

    static ShoalClient connect(ClientConfig config) {
        Objects.requireNonNull(config, "config");
        TransportProvider provider = Transports.provider(config.transport());
        Transport transport = provider.create(Transports.settings(provider, config.transportSettings()));
        ClientImpl client;
        try {
            client = new ClientImpl(config, transport);
        } catch (RuntimeException | Error e) {
            transport.close();
            throw e;
        }
        try {
            client.start();
            return client;
        } catch (RuntimeException | Error e) {
            client.close();
            throw e;
        }
    }

    private void start() {
        events.start();
        scheduler.schedule(this::sweep, SWEEP_TICK_NANOS, TimeUnit.NANOSECONDS);
        long keepAlive = config.keepAliveInterval().toNanos();
        long deadPeer = config.deadPeerTimeout().toNanos();
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(TimeUnit.SECONDS.toNanos(1), keepAlive / 4));
        scheduler.scheduleAtFixedRate(() -> {
            try {
                checkAlive(keepAlive, deadPeer);
            } catch (RuntimeException | Error e) { // a periodic task that throws is never run again
                LOG.error("{}: keep-alive check failed; it goes on", name, e);
            }
        }, period, period, TimeUnit.NANOSECONDS);

        List<String> order = config.nodes();
        CompletableFuture<NodeConnection> round = connectRound(order);
        long boundNanos = connectTimeoutNanos * order.size() + TimeUnit.SECONDS.toNanos(1);
        NodeConnection first;
        try {
            first = round.get(boundNanos, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof ShoalException se ? new ShoalException(se.getMessage(), se)
                    : new ShoalException("cannot connect: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new ShoalException("cannot connect to any of " + order + " within " + boundNanos / 1_000_000 + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ShoalException("interrupted while connecting to " + order, e);
        }
        onConnected(first);
    }

    // ---------------------------------------------------------------------------------------
    // ShoalClient

    @Override
    public <K, V> ShoalMap<K, V> map(String mapName, Codec<K> keyCodec, Codec<V> valueCodec) {
        Objects.requireNonNull(mapName, "name");
        Objects.requireNonNull(keyCodec, "keyCodec");
        Objects.requireNonNull(valueCodec, "valueCodec");
        new Request.Size(mapName); // checks the name as the node would
        return new RemoteMap<>(this, mapName, keyCodec, valueCodec);
    }

    @Override
    public <K, V> ShoalMap<K, V> map(String mapName, Class<K> keyType, Class<V> valueType) {
        Objects.requireNonNull(keyType, "keyType");
        Objects.requireNonNull(valueType, "valueType");
        return map(mapName, codecFor(keyType), codecFor(valueType));
    }

    private <T> Codec<T> codecFor(Class<T> type) {
        Codec<T> builtIn = Codecs.builtIn(type);
        return builtIn != null ? builtIn : kryo.codecFor(type);
    }

    @Override
    public Duration ping() {
        long start = System.nanoTime();
        call(new Request.Ping(start), Reply.Ping.class);
        return Duration.ofNanos(System.nanoTime() - start);
    }

    @Override
    public Map<String, Long> stats() {
        Reply.Stats reply = call(new Request.Stats(), Reply.Stats.class);
        Map<String, Long> stats = new LinkedHashMap<>();
        for (Reply.Stat stat : reply.stats()) {
            stats.put(stat.name(), stat.value());
        }
        return Collections.unmodifiableMap(stats);
    }

    @Override
    public CompletableFuture<Message> send(Request request) {
        Objects.requireNonNull(request, "request");
        if (request instanceof Request.Hello || request instanceof Request.Auth || request instanceof Request.Goodbye) {
            throw new IllegalArgumentException(request.opcode() + " belongs to the client's own session handling");
        }
        return submit(request).copy();
    }

    @Override
    public NodeKeyHash hashCheck(byte[] data) {
        Objects.requireNonNull(data, "data");
        Reply.HashCheck reply = call(new Request.HashCheck(data.clone()), Reply.HashCheck.class);
        return new NodeKeyHash(reply.hash(), (int) reply.bucket()); // bucket < buckets.count <= 65536
    }

    @Override
    public synchronized List<String> nodes() {
        return List.copyOf(allAddresses());
    }

    @Override
    public Optional<String> connectedNode() {
        NodeConnection c = active;
        return c == null ? Optional.empty() : Optional.of(c.address);
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public long tableVersion() {
        return router == null ? 0 : router.routes().version;
    }

    /** The smart router, null without smart routing; for tests. */
    SmartRouter router() {
        return router;
    }

    /** The routing snapshot in use ({@link RoutingTable#NONE} without smart routing); for tests. */
    RoutingTable routes() {
        return router == null ? RoutingTable.NONE : router.routes();
    }

    /** Ids of the nodes this client has a READY routing connection to (none without smart routing); for tests. */
    List<String> routedNodeIds() {
        return router == null ? List.of() : router.connectedNodeIds();
    }

    /** The default connection, or {@code null} while reconnecting. */
    NodeConnection activeConnection() {
        return active;
    }

    /** The bucket count of the connected node (or of the last one, while reconnecting). */
    int bucketCount() {
        NodeConnection c = active;
        return c != null ? c.bucketCount : lastBucketCount;
    }

    // ---------------------------------------------------------------------------------------
    // Calls

    /** Sends {@code request} and returns its call; never blocks, never throws. */
    Call submit(Request request) {
        long now = System.nanoTime();
        Call call = new Call(request, now, now + requestTimeoutNanos, null, false);
        if (closed) {
            call.completeExceptionally(closedException());
            return call;
        }
        deadlines.add(call);
        if (closeSwept) {
            call.completeExceptionally(closedException());
            return call;
        }
        dispatch(call);
        return call;
    }

    /** Sends {@code request}, waits for its reply and returns it as {@code type}, or throws what the node answered. */
    <R extends Reply> R call(Request request, Class<R> type) {
        Call call = submit(request);
        return expect(call, await(call), type);
    }

    /** Sends {@code request} and maps its reply on the thread that completes it. Never throws. */
    <R extends Reply, T> CompletableFuture<T> callAsync(Request request, Class<R> type, Function<R, T> result) {
        Call call = submit(request);
        return call.thenApply(message -> result.apply(expect(call, message, type)));
    }

    /** The reply as {@code type}, or the exception an error reply stands for, thrown. */
    static <R extends Reply> R expect(Call call, Message message, Class<R> type) {
        if (type.isInstance(message)) {
            return type.cast(message);
        }
        if (message instanceof ErrorReply error) {
            throw Errors.toException(error, call);
        }
        throw new ShoalException(call.describe() + ": the node answered with " + message + " (a protocol error)");
    }

    /** Waits for the call until its deadline, then expires it; returns its answer or throws its failure. */
    Message await(Call call) {
        long remaining = call.deadlineNanos - System.nanoTime();
        try {
            if (remaining > 0) {
                return call.get(remaining, TimeUnit.NANOSECONDS);
            }
        } catch (TimeoutException e) {
            // expired below
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ShoalException(call.describe() + ": interrupted while waiting for the reply"
                    + (call.isWrite() ? "; the write may or may not have been applied" : ""), e);
        }
        expire(call);
        try {
            return call.join();
        } catch (CompletionException e) {
            throw rethrow(e.getCause());
        } catch (CancellationException e) {
            throw new ShoalException(call.describe() + " was cancelled", e);
        }
    }

    static RuntimeException rethrow(Throwable failure) {
        if (failure instanceof RuntimeException e) {
            return e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        return new ShoalException(String.valueOf(failure), failure);
    }

    /** Fails the call with {@link RequestTimeoutException} unless it completed. */
    void expire(Call call) {
        NodeConnection c = call.sentOn;
        String where;
        if (c != null) {
            where = "from " + c.describe();
        } else {
            String failure = lastConnectFailure;
            where = "while not connected to any node" + (failure.isEmpty() ? "" : " (" + failure + ")");
        }
        String message = call.describe() + " got no reply " + where + " within the request timeout of "
                + config.requestTimeout().toMillis() + " ms" + (call.isWrite() ? "; the write may or may not have been applied" : "");
        if (call.completeExceptionally(new RequestTimeoutException(message, call.isWrite())) && c != null) {
            c.forget(call);
            RemoteSubscription subscription = call.subscription;
            if (subscription != null && subscription.timedOut(c)) {
                // Without an answer the listener gets no events on c: tell it, and subscribe again.
                if (subscription.wasEstablished()) {
                    events.missed(subscription);
                }
                LOG.warn("{}: {}; subscribing again", name, message);
                if (active == c && !closed) {
                    subscribeOn(c, subscription);
                }
            }
        }
    }

    void trackDeadline(Call call) {
        deadlines.add(call);
    }

    /**
     * Sends the call on its key's primary's connection (smart routing), else on the active
     * connection, or queues it until there is one.
     */
    private void dispatch(Call call) {
        if (router != null && router.trySendRouted(call)) {
            return;
        }
        NodeConnection c = active;
        if (c != null && waiting.isEmpty() && c.trySend(call)) {
            return;
        }
        waiting.add(call);
        flushWaiting();
    }

    private void flushWaiting() {
        synchronized (flushLock) {
            Call call;
            NodeConnection c;
            while ((c = active) != null && (call = waiting.peek()) != null) {
                if (call.isDone()) {
                    waiting.poll();
                    continue;
                }
                if (!c.trySend(call)) {
                    break; // closing: the next connection flushes again
                }
                waiting.poll();
            }
        }
        if (closed) {
            failWaiting();
        }
    }

    private void failWaiting() {
        Call call;
        while ((call = waiting.poll()) != null) {
            call.completeExceptionally(closedException());
        }
    }

    /** After SHUTTING_DOWN or NOT_READY: the node did nothing with the call, so it goes to the next node. */
    void resend(Call call) {
        call.sentOn = null;
        if (closed) {
            call.completeExceptionally(closedException());
        } else {
            dispatch(call);
        }
    }

    /**
     * After NOT_OWNER (the node did nothing: the partition table is changing under it): sends the
     * call again after {@link #NOT_OWNER_RETRY_MS}, if its deadline leaves time for that. Returns
     * whether it will.
     */
    boolean retryLater(Call call) {
        if (closed || !config.retryNotOwner() || call.deadlineNanos - System.nanoTime() < TimeUnit.MILLISECONDS.toNanos(2 * NOT_OWNER_RETRY_MS)) {
            return false;
        }
        try {
            scheduler.schedule(() -> resend(call), NOT_OWNER_RETRY_MS, TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return false;
        }
    }

    private void onLost(Call call, NodeConnection c) {
        if (call.isDone()) {
            return;
        }
        if (closed) {
            call.completeExceptionally(closedException());
            return;
        }
        if (!call.internal && call.subscription == null && call.isRead()
                && config.retryPolicy() == RetryPolicy.RETRY_READS) {
            call.sentOn = null;
            dispatch(call);
            return;
        }
        call.completeExceptionally(new ConnectionLostException(call.describe() + ": the connection to " + c.describe()
                + " was lost before the reply came (" + c.closeReason() + ")"
                + (call.isWrite() ? "; the write may or may not have been applied" : ""), call.isWrite()));
    }

    ClientClosedException closedException() {
        return new ClientClosedException(config.clientName());
    }

    /** The timer task: expires due calls and forgets completed ones; see the class comment. */
    private void sweep() {
        long next = SWEEP_TICK_NANOS;
        try {
            long now = System.nanoTime();
            Call head;
            while ((head = stragglers.peek()) != null) {
                if (head.isDone()) {
                    stragglers.poll();
                } else if (head.deadlineNanos - now <= 0) {
                    stragglers.poll();
                    expire(head);
                } else {
                    next = Math.min(next, head.deadlineNanos - now);
                    break;
                }
            }
            while ((head = deadlines.peek()) != null) {
                if (head.isDone()) {
                    deadlines.poll();
                } else if (head.deadlineNanos - now <= 0) {
                    deadlines.poll();
                    expire(head);
                } else if (now - head.startNanos >= STRAGGLER_NANOS) {
                    deadlines.poll();
                    stragglers.add(head);
                } else {
                    next = Math.min(next, Math.min(head.deadlineNanos - now, STRAGGLER_NANOS - (now - head.startNanos)));
                    break;
                }
            }
            if (active == null) {
                waiting.removeIf(Call::isDone);
            }
        } catch (RuntimeException | Error e) {
            LOG.error("{}: request timer failed; it goes on", name, e);
        } finally {
            if (!closed) {
                scheduler.schedule(this::sweep, Math.max(0, next), TimeUnit.NANOSECONDS);
            }
        }
    }

    private void checkAlive(long keepAliveNanos, long deadPeerNanos) {
        List<NodeConnection> open;
        boolean restart = false;
        synchronized (this) {
            open = new ArrayList<>(connections);
            // Watchdog: a round ends within (addresses x connect timeout), and the next starts within
            // the longest backoff. One that did not (an unexpected exception broke its chain of
            // callbacks) must not leave the client without a connection for good.
            long stalledAfter = allAddresses().size() * connectTimeoutNanos + config.reconnectBackoffMax().toNanos()
                    + TimeUnit.SECONDS.toNanos(5);
            if (!closed && active == null && reconnectPending && System.nanoTime() - roundStartedNanos > stalledAfter) {
                LOG.error("{}: reconnection stalled (no round finished in {} ms); starting another", name,
                        stalledAfter / 1_000_000);
                reconnectPending = false;
                restart = true;
            } else if (!closed && active == null && !reconnectPending && lastBucketCount != 0) {
                restart = true;
            }
        }
        if (restart) {
            scheduleReconnect(0);
        }
        if (router != null) {
            router.check();
        }
        long now = System.nanoTime();
        for (NodeConnection c : open) {
            try {
                c.checkAlive(now, keepAliveNanos, deadPeerNanos);
            } catch (RuntimeException e) {
                LOG.warn("{}: keep-alive of {} failed", name, c.describe(), e);
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Connecting

    private CompletableFuture<NodeConnection> connectRound(List<String> order) {
        CompletableFuture<NodeConnection> result = new CompletableFuture<>();
        tryAddress(order, 0, new ArrayList<>(), result);
        return result;
    }

    private void tryAddress(List<String> order, int index, List<String> failures, CompletableFuture<NodeConnection> result) {
        if (closed) {
            result.completeExceptionally(closedException());
            return;
        }
        if (index >= order.size()) {
            String message = "cannot connect to any of " + order + ": " + String.join("; ", failures);
            lastConnectFailure = message;
            result.completeExceptionally(new ShoalException(message));
            return;
        }
        String address = order.get(index);
        attempt(address).whenComplete((connection, failure) -> {
            if (failure == null) {
                clearFailed(address);
                result.complete(connection);
            } else {
                failures.add(messageOf(failure, address));
                markFailed(address);
                tryAddress(order, index + 1, failures, result);
            }
        });
    }

    /**
     * Opens a connection to {@code address}; the future completes when it is READY. With smart
     * routing, a connection to that address that is open or opening already is used instead, and a
     * READY connection becomes its node's routing connection.
     */
    CompletableFuture<NodeConnection> attempt(String address) {
        NodeConnection created = null;
        NodeConnection reused = null;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(closedException());
            }
            if (router != null) {
                for (NodeConnection open : connections) {
                    if (!open.isClosed() && open.address.equals(address)) {
                        reused = open;
                        break;
                    }
                }
            }
            if (reused == null) {
                created = new NodeConnection(this, address);
                connections.add(created);
            }
        }
        if (reused != null) {
            return reused.ready.thenApply(router::adopted);
        }
        NodeConnection nc = created;
        ScheduledFuture<?> timer;
        try {
            timer = scheduler.schedule(() -> nc.failHandshake("no connection and handshake within the connect timeout of "
                    + config.connectTimeout().toMillis() + " ms"), connectTimeoutNanos, TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) { // the scheduler stopped: the client closed
            nc.markClosed("the client is closed");
            return nc.ready;
        }
        CompletableFuture<Connection> connecting;
        try {
            connecting = transport.connect(address, nc, config.connectTimeout());
        } catch (RuntimeException | LinkageError e) {
            connecting = CompletableFuture.failedFuture(e);
        }
        connecting.whenComplete((connection, failure) -> {
            if (failure != null) {
                nc.failHandshake(messageOf(failure, address));
                nc.markClosed(messageOf(failure, address)); // never opened: no transport close will come
                nc.transportClosed.complete(null);
            } else if (nc.isClosed()) {
                connection.close();
            }
        });
        nc.ready.whenComplete((connection, failure) -> timer.cancel(false));
        return router == null ? nc.ready : nc.ready.thenApply(router::adopted);
    }

    private static String messageOf(Throwable failure, String address) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        String message = t.getMessage() == null ? t.toString() : t.getMessage();
        return message.startsWith(address) || message.contains(address) ? message : address + ": " + message;
    }

    private void onConnected(NodeConnection c) {
        boolean lost;
        synchronized (this) {
            reconnectPending = false;
            if (closed) {
                return; // close() says GOODBYE on it
            }
            backoffNanos = 0;
            active = c;
            lastBucketCount = c.bucketCount;
            lost = c.isClosed();
            if (lost) {
                active = null;
            }
        }
        if (lost) {
            scheduleReconnect(0);
            return;
        }
        LOG.info("{}: connected to {}", name, c.describe());
        for (RemoteSubscription subscription : subscriptions) {
            subscribeOn(c, subscription);
        }
        flushWaiting();
        if (router != null) {
            router.fetch(c);
        }
    }

    /** Called once per connection when it ends, by {@link NodeConnection#markClosed}. */
    void onConnectionClosed(NodeConnection c) {
        boolean wasActive;
        synchronized (this) {
            connections.remove(c);
            wasActive = active == c;
            if (wasActive) {
                active = null;
            }
        }
        if (router != null) {
            router.onConnectionClosed(c);
        }
        for (RemoteSubscription subscription : subscriptions) {
            subscription.unbind(c);
        }
        c.subscriptions.clear();
        for (Call call : c.drainPending()) {
            onLost(call, c);
        }
        if (wasActive && !closed) {
            markFailed(c.address);
            LOG.warn("{}: lost the connection to {}: {}; reconnecting", name, c.describe(), c.closeReason());
            scheduleReconnect(0);
        }
    }

    private void scheduleReconnect(long delayNanos) {
        synchronized (this) {
            if (closed || reconnectPending || active != null) {
                return;
            }
            reconnectPending = true;
            roundStartedNanos = System.nanoTime() + delayNanos;
            try {
                reconnectTask = scheduler.schedule(this::reconnectRound, delayNanos, TimeUnit.NANOSECONDS);
            } catch (RuntimeException e) {
                reconnectPending = false; // the scheduler stopped: the client is closing
            }
        }
    }

    private void reconnectRound() {
        List<String> order;
        synchronized (this) {
            order = orderedAddresses();
            roundStartedNanos = System.nanoTime();
        }
        connectRound(order).whenComplete((c, failure) -> {
            if (failure == null) {
                onConnected(c);
                return;
            }
            long delay;
            boolean firstFailedRound;
            synchronized (this) {
                reconnectPending = false;
                firstFailedRound = backoffNanos == 0;
                long initial = config.reconnectBackoffInitial().toNanos();
                backoffNanos = backoffNanos == 0 ? initial : Math.min(config.reconnectBackoffMax().toNanos(), backoffNanos * 2);
                delay = backoffNanos;
            }
            if (!closed) {
                // The first failed round of an outage is a warning; the rest would repeat it every few seconds.
                if (firstFailedRound) {
                    LOG.warn("{}: {}; trying again in {} ms, then backing off up to {} ms", name, messageOf(failure, ""),
                            delay / 1_000_000, config.reconnectBackoffMax().toMillis());
                } else {
                    LOG.debug("{}: {}; next round in {} ms", name, messageOf(failure, ""), delay / 1_000_000);
                }
            }
            scheduleReconnect(delay);
        });
    }

    void markFailed(String address) {
        synchronized (this) {
            failedAtNanos.put(address, System.nanoTime());
        }
    }

    private synchronized void clearFailed(String address) {
        failedAtNanos.remove(address);
    }

    /** Configured then discovered addresses, without repeats. */
    private List<String> allAddresses() {
        assert Thread.holdsLock(this);
        LinkedHashSet<String> all = new LinkedHashSet<>(config.nodes());
        all.addAll(discovered);
        return new ArrayList<>(all);
    }

    /** {@link #allAddresses()} with the failed ones last, the longest-failed first among them. */
    private List<String> orderedAddresses() {
        assert Thread.holdsLock(this);
        List<String> order = allAddresses();
        Map<String, Long> marks = new HashMap<>(failedAtNanos);
        long base = System.nanoTime();
        order.sort(Comparator.comparingLong(address -> {
            Long at = marks.get(address);
            return at == null ? Long.MIN_VALUE : at - base; // relative, so that nanoTime's origin does not matter
        }));
        return order;
    }

    void onServerInfo(NodeConnection c, Push.ServerInfo info) {
        if (router != null) {
            router.onServerInfo(c, info); // it keeps its own order of pushes
        }
        synchronized (this) {
            if (info.tableVersion() < serverInfoVersion) {
                return;
            }
            serverInfoVersion = info.tableVersion();
            if (!config.discoverNodes()) {
                return;
            }
            List<String> addresses = new ArrayList<>();
            for (Push.NodeAddress node : info.nodes()) {
                if (!node.address().isBlank() && !addresses.contains(node.address())) {
                    addresses.add(node.address());
                }
            }
            discovered = List.copyOf(addresses);
        }
        LOG.debug("{}: {} reports nodes {}", name, c.describe(), info.nodes());
    }

    // ---------------------------------------------------------------------------------------
    // Subscriptions

    <K, V> Subscription subscribe(String mapName, SubscriptionKind kind, byte[] match, ChangeListener<K, V> listener,
                                  Codec<K> keyCodec, Codec<V> valueCodec) {
        Objects.requireNonNull(listener, "listener");
        if (closed) {
            throw closedException();
        }
        long deadline = System.nanoTime() + requestTimeoutNanos;
        RemoteSubscription subscription = new RemoteSubscription(this, mapName, kind, match, listener, keyCodec, valueCodec);
        subscriptions.add(subscription);
        NodeConnection c = active;
        if (c != null) {
            subscribeOn(c, subscription);
        }
        try {
            subscription.established.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return subscription;
        } catch (TimeoutException e) {
            subscription.close();
            NodeConnection now = active;
            throw new RequestTimeoutException("SUBSCRIBE on map \"" + mapName + "\" got no reply "
                    + (now == null ? "while not connected to any node" : "from " + now.describe())
                    + " within the request timeout of " + config.requestTimeout().toMillis() + " ms", false);
        } catch (ExecutionException e) {
            subscription.close();
            throw rethrow(e.getCause());
        } catch (InterruptedException e) {
            subscription.close();
            Thread.currentThread().interrupt();
            throw new ShoalException("interrupted while subscribing to map \"" + mapName + "\"", e);
        } finally {
            if (closed) {
                subscription.close();
            }
        }
    }

    /** Subscribes on {@code c} unless already bound to it (idempotent per connection). */
    void subscribeOn(NodeConnection c, RemoteSubscription subscription) {
        if (!subscription.bindTo(c)) {
            return;
        }
        long now = System.nanoTime();
        Call call = new Call(subscription.request(), now, now + requestTimeoutNanos, subscription, false);
        trackDeadline(call);
        if (!c.trySend(call)) {
            subscription.unbind(c);
            call.completeExceptionally(new ConnectionLostException("SUBSCRIBE not sent: " + c.describe() + " is closing", false));
        }
    }

    /** The node answered a SUBSCRIBE (I/O thread, before the events that follow it are read). */
    void onSubscribeReply(NodeConnection c, Call call, Message body) {
        RemoteSubscription subscription = call.subscription;
        if (body instanceof Reply.Subscribe reply) {
            RemoteSubscription.Bound bound = subscription.bound(c, reply.subscriptionId());
            if (bound == RemoteSubscription.Bound.STALE) {
                c.sendInternal(new Request.Unsubscribe(reply.subscriptionId()));
                return;
            }
            if (bound == RemoteSubscription.Bound.AGAIN) {
                events.missed(subscription);
            }
            subscription.established.complete(null);
        } else {
            boolean first = subscription.refused(c);
            if (first) {
                subscription.established.completeExceptionally(body instanceof ErrorReply error
                        ? Errors.toException(error, call)
                        : new ShoalException(call.describe() + ": the node answered with " + body));
            } else {
                LOG.warn("{}: could not subscribe again to map \"{}\" on {}: {}; its events are missed until the next"
                        + " connection", name, subscription.mapName, c.describe(), body);
                events.missed(subscription);
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Closing

    @Override
    public void close() {
        List<NodeConnection> open;
        synchronized (this) {
            if (closed) {
                open = null;
            } else {
                closed = true;
                if (reconnectTask != null) {
                    reconnectTask.cancel(false);
                }
                open = new ArrayList<>(connections);
            }
        }
        if (open == null) {
            awaitClosed();
            return;
        }
        try {
            failWaiting();
            long deadline = System.nanoTime() + requestTimeoutNanos;
            List<CompletableFuture<?>> goodbyes = new ArrayList<>();
            for (NodeConnection c : open) {
                if (c.isReady()) {
                    goodbyes.add(c.goodbye("client closing"));
                } else {
                    c.goodbyeAndClose("the client closed");
                }
            }
            for (CompletableFuture<?> goodbye : goodbyes) {
                awaitQuietly(goodbye, deadline);
            }
            long closeDeadline = System.nanoTime() + CLOSE_WAIT_NANOS;
            for (NodeConnection c : open) {
                c.markClosed("the client closed");
            }
            for (NodeConnection c : open) {
                awaitQuietly(c.transportClosed, closeDeadline);
            }
            transport.close();
            scheduler.shutdownNow();
            if (!Thread.currentThread().getName().startsWith(name + "-timer")) {
                awaitTermination();
            }
            closeSwept = true;
            for (ConcurrentLinkedQueue<Call> queue : List.of(deadlines, stragglers, waiting)) {
                Call call;
                while ((call = queue.poll()) != null) {
                    call.completeExceptionally(closedException());
                }
            }
            for (RemoteSubscription subscription : List.copyOf(subscriptions)) {
                subscription.closeLocally();
            }
            events.stop();
            LOG.info("{}: closed", name);
        } finally {
            closeDone.countDown();
        }
    }

    private void awaitClosed() {
        String thread = Thread.currentThread().getName();
        if (thread.startsWith(name + "-")) {
            return; // the client's own thread: it cannot wait for itself
        }
        try {
            closeDone.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void awaitTermination() {
        try {
            if (!scheduler.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("{}: timer thread still running 5 s after close", name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitQuietly(CompletableFuture<?> future, long deadlineNanos) {
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
            return;
        }
        try {
            future.get(remaining, TimeUnit.NANOSECONDS);
        } catch (ExecutionException | TimeoutException | CancellationException e) {
            // closed or late: close goes on
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        NodeConnection c = active;
        String failure = lastConnectFailure;
        return "ShoalClient{" + name + ", " + (closed ? "closed" : c == null ? "reconnecting"
                + (failure.isEmpty() ? "" : " (last round: " + failure + ")") : "connected to " + c.describe()) + '}';
    }
}
