package io.shoal.core;

import io.shoal.EntryTooLargeException;
import io.shoal.MemoryLimitExceededException;
import io.shoal.NodeClosedException;
import io.shoal.StorageUnavailableException;
import io.shoal.protocol.AuthProofs;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.Frame;
import io.shoal.protocol.FrameHeader;
import io.shoal.protocol.Message;
import io.shoal.protocol.Opcode;
import io.shoal.protocol.ProtocolCodec;
import io.shoal.protocol.ProtocolException;
import io.shoal.protocol.Push;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import io.shoal.protocol.SubscriptionKind;
import io.shoal.spi.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One client connection of the {@link ProtocolServer}: its state (docs/protocol.md section 3), its
 * subscriptions, and what it waits for.
 *
 * <p>Design. Frames arrive on the connection's I/O thread, one at a time. A READY connection of a
 * ready node takes the fast path: {@link DataCommands#tryFast} or, failing that, a full decode and
 * {@link #dispatch}, with no lock. Everything else (handshake, a node still starting, a node
 * stopping) goes through {@link #lock}, which also serializes the I/O thread with the thread that
 * releases the requests held while the node was starting, and with the timer that fails them after
 * {@code server.startupWaitMs}. {@link #held} is non-null exactly while requests are held; the I/O
 * thread reads it (volatile) to choose the fast path, and it is only ever set while the node is not
 * ready, so once it is null on a ready node it stays null.
 *
 * <p>{@link #state} moves NEW -> GREETED -> READY -> CLOSING by compare-and-set, because the timer
 * (authentication deadline, keep-alive) races the I/O thread; CLOSING means an error, a GOODBYE or a
 * dead peer decided the end: later frames are ignored and the connection closes once what is queued
 * is written.
 *
 * <p>A write's reply may be sent from another thread once the write is durable; {@link #pendingReplies}
 * counts those, so that a GOODBYE reply goes out only after the replies to every request before it.
 */
final class ServerSession {
    private static final Logger LOG = LoggerFactory.getLogger(ServerSession.class);
    static final int NEW = 0;
    static final int GREETED = 1;
    static final int READY = 2;
    static final int CLOSING = 3;
    /** Requests one connection may have waiting for a starting node, and their bytes. */
    static final int MAX_HELD_REQUESTS = 4096;
    private static final int MAP_CACHE_SIZE = 4;
    private static final int MAX_ERROR_MESSAGE_CHARS = 1024;
    private static final VarHandle IDLE_TICKS;

    static {
        try {
            IDLE_TICKS = MethodHandles.lookup().findVarHandle(ServerSession.class, "idleTicks", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final ProtocolServer server;
    final Connection connection;
    private final AtomicInteger state = new AtomicInteger(NEW);
    private final Object lock = new Object();
    /**
     * Keep-alive ticks since the last frame arrived: the timer counts up with compare-and-set, the
     * I/O thread resets it to 0 when it is not 0 already (a plain read per frame, a release store
     * after idleness). A reset between the timer's read and its CAS makes the CAS fail, so a frame
     * is never forgotten.
     */
    private volatile int idleTicks;
    private final AtomicInteger nextRequestId = new AtomicInteger();
    private byte[] serverNonce;
    private volatile Future<?> authDeadline;

    // Requests held while the node starts; guarded by lock.
    private volatile ArrayDeque<Frame> held;
    private long heldBytes;
    private Future<?> heldDeadline;

    // Subscriptions: changed on the I/O thread (or under lock), read by the timer.
    private final ConcurrentHashMap<Integer, RemoteSubscription> subscriptions = new ConcurrentHashMap<>();
    private int nextSubscriptionId;

    // Recently used map names (I/O thread, or under lock).
    private final byte[][] cachedNames = new byte[MAP_CACHE_SIZE][];
    private final MapHandle[] cachedMaps = new MapHandle[MAP_CACHE_SIZE];
    private int nextCacheSlot;

    // GOODBYE
    private final AtomicInteger pendingReplies = new AtomicInteger();
    /** Whether the peer is another cluster member (its HELLO's client name says so); set at HELLO. */
    private volatile boolean fromMember;
    /** The member's node id when {@link #fromMember}; set at HELLO. */
    private volatile String memberId;
    private volatile boolean goodbyeReceived;
    private volatile int goodbyeRequestId;
    private final AtomicBoolean goodbyeReplied = new AtomicBoolean();
    private volatile boolean goodbyeSent;
    /** Completed when the connection closed, or answered the node's GOODBYE. */
    final CompletableFuture<Void> finished = new CompletableFuture<>();

    ServerSession(ProtocolServer server, Connection connection) {
        this.server = server;
        this.connection = connection;
    }

    int state() {
        return state.get();
    }

    int subscriptionCount() {
        return subscriptions.size();
    }

    // ------------------------------------------------------------------------------------------
    // Transport callbacks

    /** Right after the connection opened (I/O thread). */
    void opened() {
        connection.limitInboundFrameBytes(Math.min(ServerConfig.PRE_READY_MAX_FRAME_BYTES, server.transportMaxFrameBytes()));
        if (server.stopping) {
            closeWithError(0, 0, ErrorCode.SHUTTING_DOWN, "node " + server.nodeId() + " is stopping", CLOSING);
            return;
        }
        authDeadline = server.schedule(this::authTimedOut, server.config.authTimeoutMs);
    }

    void onFrame(ByteBuffer frame) {
        if ((int) IDLE_TICKS.getOpaque(this) != 0) {
            IDLE_TICKS.setRelease(this, 0);
        }
        int current = state.get();
        if (current == READY && held == null && server.ready && !server.stopping) {
            if (!server.data.tryFast(this, frame)) {
                decodeAndDispatch(frame);
            }
            return;
        }
        if (current == CLOSING) {
            return; // after GOODBYE or an error that closes: ignored
        }
        synchronized (lock) {
            if (state.get() < READY && frame.remaining() > ServerConfig.PRE_READY_MAX_FRAME_BYTES) {
                frameTooLarge(frame);
                return;
            }
            if (server.ready && held != null) {
                releaseHeldLocked();
            }
            decodeAndDispatch(frame);
        }
    }

    /** The connection closed (I/O thread, once). */
    void closed(Throwable cause) {
        state.set(CLOSING);
        cancel(authDeadline);
        synchronized (lock) {
            cancel(heldDeadline);
        }
        for (RemoteSubscription subscription : subscriptions.values()) {
            subscription.cancel();
        }
        subscriptions.clear();
        finished.complete(null);
        if (cause != null) {
            LOG.debug("connection {} closed: {}", connection.remoteAddress(), cause.toString());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Dispatch

    private void decodeAndDispatch(ByteBuffer frame) {
        Frame decoded;
        try {
            decoded = ProtocolCodec.decode(frame);
        } catch (ProtocolException e) {
            protocolError(e);
            return;
        }
        dispatch(decoded);
    }

    private void protocolError(ProtocolException e) {
        if (e.code() == ErrorCode.INVALID_ARGUMENT && state.get() < READY) {
            // A well-formed data request on a connection not READY: refused for that, not for its values.
            closeWithError(e.opcode(), e.requestId(), ErrorCode.NOT_AUTHENTICATED, notAllowed(e.opcode()), CLOSING);
            return;
        }
        Frame error = e.toErrorFrame();
        ErrorReply reply = (ErrorReply) error.body();
        if (reply.code().closesConnection()) {
            closeWithError(reply.opcode(), error.requestId(), reply.code(), reply.message(), CLOSING);
        } else {
            send(FrameWriter.get().frame(error));
        }
    }

    /** The transport refused a frame by its declared length; on the I/O thread, before it closes. */
    void frameTooLarge(long declaredBytes, int limitBytes) {
        closeWithError(0, 0, ErrorCode.FRAME_TOO_LARGE, "frame of " + declaredBytes + " bytes is larger than the "
                + limitBytes + " bytes allowed " + (state.get() < READY ? "before the connection is READY" : "by this node"),
                CLOSING);
    }

    private void frameTooLarge(ByteBuffer frame) {
        int opcode = 0;
        int requestId = 0;
        try {
            FrameHeader header = ProtocolCodec.decodeHeader(frame);
            opcode = header.opcode();
            requestId = header.requestId();
        } catch (ProtocolException e) {
            // a header that cannot be read is answered with opcode 0 and id 0
        }
        closeWithError(opcode, requestId, ErrorCode.FRAME_TOO_LARGE, "frame of " + frame.remaining()
                + " bytes is larger than the " + ServerConfig.PRE_READY_MAX_FRAME_BYTES
                + " bytes allowed before the connection is READY", CLOSING);
    }

    /** Acts on a decoded frame; on the I/O thread, or under {@link #lock}. */
    private void dispatch(Frame frame) {
        Message body = frame.body();
        int requestId = frame.requestId();
        if (body instanceof Request request) {
            onRequest(frame, requestId, request);
        } else if (body instanceof Reply reply) {
            onReply(requestId, reply);
        } else if (body instanceof ErrorReply error) {
            LOG.debug("connection {} answered a node request with {} {}", connection.remoteAddress(), error.code(),
                    error.message());
        } else {
            Push push = (Push) body;
            closeWithError(push.opcode().code(), requestId, ErrorCode.PROTOCOL_VIOLATION,
                    push.opcode() + " is a push, which only the node sends", CLOSING);
        }
    }

    private void onRequest(Frame frame, int requestId, Request request) {
        int current = state.get();
        if (current == CLOSING) {
            return;
        }
        switch (request.opcode()) {
            case HELLO -> {
                if (current != NEW) {
                    closeWithError(Opcode.HELLO.code(), requestId, ErrorCode.PROTOCOL_VIOLATION,
                            "second HELLO on this connection", CLOSING);
                } else {
                    hello(requestId, (Request.Hello) request);
                }
            }
            case AUTH -> {
                if (current != GREETED) {
                    closeWithError(Opcode.AUTH.code(), requestId, ErrorCode.PROTOCOL_VIOLATION, current == READY
                            ? (server.config.authRequired() ? "second AUTH on this connection"
                                    : "AUTH on a node that requires no authentication")
                            : "AUTH before HELLO", CLOSING);
                } else {
                    auth(requestId, (Request.Auth) request);
                }
            }
            case PING -> send(FrameWriter.get().reply(Opcode.PING.code(), requestId)
                    .i64(((Request.Ping) request).payload()));
            case GOODBYE -> {
                if (!server.ready && held != null) {
                    hold(frame); // answered after the requests before it
                } else {
                    goodbye(requestId, (Request.Goodbye) request);
                }
            }
            default -> {
                if (current != READY) {
                    closeWithError(request.opcode().code(), requestId, ErrorCode.NOT_AUTHENTICATED,
                            notAllowed(request.opcode().code()), CLOSING);
                } else if (server.stopping) {
                    closeWithError(request.opcode().code(), requestId, ErrorCode.SHUTTING_DOWN,
                            "node " + server.nodeId() + " is stopping; use another node", CLOSING);
                } else if (isCluster(request.opcode())) {
                    cluster(requestId, request); // members talk while the node is still starting
                } else if (!server.ready) {
                    hold(frame);
                } else if (request instanceof Request.Subscribe subscribe) {
                    subscribe(requestId, subscribe);
                } else if (request instanceof Request.Unsubscribe unsubscribe) {
                    unsubscribe(requestId, unsubscribe);
                } else if (request instanceof Request.Stats) {
                    send(FrameWriter.get().frame(new Frame(requestId, server.stats())));
                } else if (request instanceof Request.LoadLevels) {
                    send(FrameWriter.get().frame(new Frame(requestId, server.loadLevels())));
                } else {
                    server.data.execute(this, requestId, request);
                }
            }
        }
    }

    private static boolean isCluster(Opcode opcode) {
        return opcode.code() >= Opcode.JOIN.code() && opcode.code() <= Opcode.FEED_DONE.code();
    }

    /** Hands a node-to-node request to the cluster; its reply is sent from the thread that completes it. */
    private void cluster(int requestId, Request request) {
        java.util.function.BiFunction<Request, String, CompletableFuture<Message>> handler = server.cluster;
        if (handler == null) {
            // Not a member (no cluster, or not wired to it yet: the node is starting), answered as
            // docs/protocol.md section 11 says: a HEARTBEAT with version 0, never NOT_CLUSTERED,
            // which tells a member it was dropped from the view.
            if (request instanceof Request.Heartbeat) {
                send(FrameWriter.get().frame(new Frame(requestId, new Reply.Heartbeat(0, 0))));
            } else if (request instanceof Request.Join) {
                send(FrameWriter.get().frame(new Frame(requestId, new Reply.Join(false, "", null, null))));
            } else {
                sendError(request.opcode().code(), requestId, ErrorCode.NOT_CLUSTERED, "node " + server.nodeId()
                        + " does not take part in a cluster");
            }
            return;
        }
        replyLater(requestId, request, handler.apply(request, memberId), ErrorCode.INTERNAL_ERROR, "");
    }

    /**
     * A data request for a bucket another node serves: forwarded there and its answer passed back,
     * unless it came from a member (which forwarded it already: the tables disagree for a moment,
     * so it is told NOT_OWNER and asks again).
     */
    void forward(int requestId, Request request, LocalEngine.NotPrimaryException notHere) {
        java.util.function.BiFunction<String, Request, CompletableFuture<Message>> forwarder = server.forwarder;
        if (forwarder == null || fromMember || notHere.handingOver()) {
            sendError(request.opcode().code(), requestId, ErrorCode.NOT_OWNER, "node " + server.nodeId()
                    + " does not serve this key: " + notHere.getMessage() + "; ask again shortly");
            return;
        }
        replyLater(requestId, request, forwarder.apply(notHere.primaryAddress, request), ErrorCode.PRIMARY_UNREACHABLE,
                "node " + notHere.primaryId + " at " + notHere.primaryAddress + ", which serves bucket " + notHere.bucket
                        + ", did not answer: ");
    }

    /** Sends the answer {@code reply} completes with, from the thread that completes it. */
    private void replyLater(int requestId, Request request, CompletableFuture<Message> reply, ErrorCode onFailure,
                            String failurePrefix) {
        pendingReplies.incrementAndGet();
        reply.whenComplete((message, failure) -> {
            try {
                if (failure == null) {
                    FrameWriter.get().frame(new Frame(requestId, message)).sendTo(connection);
                } else {
                    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure;
                    sendError(request.opcode().code(), requestId, onFailure, failurePrefix + cause);
                }
            } finally {
                pendingReplies.decrementAndGet();
                replyGoodbyeIfDone();
            }
        });
    }

    private String notAllowed(int opcode) {
        int current = state.get();
        return "opcode 0x" + Integer.toHexString(opcode) + " needs a READY connection; this one is "
                + (current == NEW ? "NEW (send HELLO)" : current == GREETED ? "GREETED (send AUTH)" : "closing");
    }

    private void onReply(int requestId, Reply reply) {
        if (reply instanceof Reply.Ping) {
            return; // the keep-alive's answer: receiving it was the point
        }
        if (reply instanceof Reply.Goodbye && goodbyeSent) {
            state.set(CLOSING);
            finished.complete(null);
            connection.close();
            return;
        }
        closeWithError(reply.opcode().code(), requestId, ErrorCode.PROTOCOL_VIOLATION,
                "a " + reply.opcode() + " reply to a request the node never sent", CLOSING);
    }

    // ------------------------------------------------------------------------------------------
    // Session commands

    private void hello(int requestId, Request.Hello hello) {
        ServerConfig config = server.config;
        fromMember = hello.clientName().startsWith(io.shoal.cluster.Membership.MEMBER_CLIENT_PREFIX);
        memberId = fromMember ? hello.clientName().substring(io.shoal.cluster.Membership.MEMBER_CLIENT_PREFIX.length())
                : null;
        if (server.stopping) {
            closeWithError(Opcode.HELLO.code(), requestId, ErrorCode.SHUTTING_DOWN, "node " + server.nodeId()
                    + " is stopping; use another node", CLOSING);
            return;
        }
        if (hello.minVersion() > ProtocolServer.PROTOCOL_VERSION || hello.maxVersion() < ProtocolServer.PROTOCOL_VERSION) {
            closeWithError(Opcode.HELLO.code(), requestId, ErrorCode.UNSUPPORTED_VERSION, "the node speaks protocol versions "
                    + ProtocolServer.PROTOCOL_VERSION + " to " + ProtocolServer.PROTOCOL_VERSION + ", the client "
                    + hello.minVersion() + " to " + hello.maxVersion(), CLOSING);
            return;
        }
        if (!hello.clusterName().isEmpty() && !hello.clusterName().equals(config.clusterName)) {
            closeWithError(Opcode.HELLO.code(), requestId, ErrorCode.CLUSTER_MISMATCH, "node " + server.nodeId()
                    + " is in cluster \"" + config.clusterName + "\", not \"" + hello.clusterName() + "\"", CLOSING);
            return;
        }
        LOG.debug("connection {}: HELLO from client \"{}\"", connection.remoteAddress(), hello.clientName());
        byte[] nonce = new byte[AuthProofs.NONCE_BYTES];
        if (config.authRequired()) {
            server.random.nextBytes(nonce);
        }
        serverNonce = nonce;
        Frame reply = new Frame(requestId, new Reply.Hello(ProtocolServer.PROTOCOL_VERSION, server.nodeId(),
                config.clusterName, config.authRequired(), nonce, config.maxFrameBytes, server.bucketCount()));
        if (config.authRequired()) {
            if (state.compareAndSet(NEW, GREETED)) {
                send(FrameWriter.get().frame(reply));
            }
        } else {
            becomeReady(NEW, reply);
        }
    }

    private void auth(int requestId, Request.Auth auth) {
        byte[] secret = server.config.authSecret;
        byte[] expected = AuthProofs.clientProof(secret, serverNonce, auth.clientNonce());
        if (!MessageDigest.isEqual(expected, auth.clientProof())) {
            closeWithError(Opcode.AUTH.code(), requestId, ErrorCode.AUTH_FAILED, "wrong proof", CLOSING);
            return;
        }
        byte[] serverProof = AuthProofs.serverProof(secret, auth.clientNonce(), serverNonce);
        becomeReady(GREETED, new Frame(requestId, new Reply.Auth(serverProof)));
    }

    private void becomeReady(int from, Frame reply) {
        if (!state.compareAndSet(from, READY)) {
            return; // the authentication deadline won
        }
        cancel(authDeadline);
        connection.limitInboundFrameBytes(server.config.maxFrameBytes);
        send(FrameWriter.get().frame(reply));
        send(FrameWriter.get().frame(new Frame(0, server.serverInfo())));
    }

    /** Sends {@code push} if the connection is READY (one that becomes READY later gets the newest at once). */
    void pushIfReady(Push push) {
        if (state.get() == READY) {
            send(FrameWriter.get().frame(new Frame(0, push)));
        }
    }

    private void goodbye(int requestId, Request.Goodbye goodbye) {
        if (state.getAndSet(CLOSING) == CLOSING) {
            return;
        }
        LOG.debug("connection {}: GOODBYE ({})", connection.remoteAddress(), goodbye.reason());
        cancel(authDeadline);
        goodbyeRequestId = requestId;
        goodbyeReceived = true;
        replyGoodbyeIfDone();
    }

    /** Sends the GOODBYE reply once no reply to an earlier request is pending, then closes. */
    private void replyGoodbyeIfDone() {
        if (goodbyeReceived && pendingReplies.get() == 0 && goodbyeReplied.compareAndSet(false, true)) {
            send(FrameWriter.get().reply(Opcode.GOODBYE.code(), goodbyeRequestId));
            connection.close();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Subscriptions

    private void subscribe(int requestId, Request.Subscribe request) {
        if (subscriptions.size() >= server.config.maxSubscriptionsPerConnection) {
            sendError(Opcode.SUBSCRIBE.code(), requestId, ErrorCode.TOO_MANY_SUBSCRIPTIONS, "this connection has "
                    + subscriptions.size() + " subscriptions; server.maxSubscriptionsPerConnection = "
                    + server.config.maxSubscriptionsPerConnection);
            return;
        }
        MapHandle map;
        try {
            map = server.maps.open(request.map());
            if (server.engineClosed()) {
                throw new NodeClosedException(server.nodeId());
            }
        } catch (RuntimeException e) {
            replyFailure(Opcode.SUBSCRIBE.code(), requestId, e);
            return;
        }
        ListenerRegistration.Filter filter = request.kind() == SubscriptionKind.ALL ? ListenerRegistration.Filter.ALL
                : request.kind() == SubscriptionKind.KEY ? ListenerRegistration.Filter.KEY : ListenerRegistration.Filter.PREFIX;
        int id;
        do {
            id = ++nextSubscriptionId;
        } while (id == 0 || subscriptions.containsKey(id));
        RemoteSubscription subscription = new RemoteSubscription(id, map, filter,
                request.kind() == SubscriptionKind.ALL ? null : request.match(), connection, server);
        subscriptions.put(id, subscription);
        // Reply first, so that no EVENT of this subscription can precede it.
        send(FrameWriter.get().reply(Opcode.SUBSCRIBE.code(), requestId).u32(id));
        map.listeners.add(subscription);
        if (state.get() == CLOSING) {
            subscription.cancel(); // closing meanwhile: closed() may have looked before the add
        }
    }

    private void unsubscribe(int requestId, Request.Unsubscribe request) {
        RemoteSubscription subscription = subscriptions.remove(request.subscriptionId());
        if (subscription != null) {
            subscription.cancel();
        }
        send(FrameWriter.get().reply(Opcode.UNSUBSCRIBE.code(), requestId).bool(subscription != null));
    }

    /** Timer: reports drops of subscriptions whose connection has drained. */
    void flushDropNotices() {
        for (RemoteSubscription subscription : subscriptions.values()) {
            subscription.flushDropNotice();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Requests held while the node starts

    /** Under lock, node not ready. */
    private void hold(Frame frame) {
        if (held == null) {
            held = new ArrayDeque<>();
            heldDeadline = server.schedule(this::heldTimedOut, server.config.startupWaitMs);
        }
        held.add(frame);
        heldBytes += ProtocolCodec.encodedSizeBytes(frame);
        if (held.size() > MAX_HELD_REQUESTS || heldBytes > Math.max(server.config.maxFrameBytes, 16L << 20)) {
            failHeldLocked("more requests than a connection may keep waiting for a starting node ("
                    + MAX_HELD_REQUESTS + " requests, or their bytes)");
        }
    }

    /** The node became ready (starting thread): runs the held requests in order. */
    void releaseHeld() {
        synchronized (lock) {
            if (held != null) {
                releaseHeldLocked();
            }
        }
    }

    private void releaseHeldLocked() {
        cancel(heldDeadline);
        ArrayDeque<Frame> queue = held;
        try {
            for (Frame frame = queue.poll(); frame != null && state.get() != CLOSING; frame = queue.poll()) {
                dispatch(frame);
            }
        } catch (RuntimeException e) {
            internalError(e);
        } finally {
            held = null;
            heldBytes = 0;
        }
    }

    private void heldTimedOut() {
        synchronized (lock) {
            if (held != null && !server.ready) {
                failHeldLocked("node " + server.nodeId() + " did not finish starting within server.startupWaitMs = "
                        + server.config.startupWaitMs + " ms");
            }
        }
    }

    /** The node stops before it was ready (starting thread). */
    void startFailed() {
        synchronized (lock) {
            if (held != null) {
                failHeldLocked("node " + server.nodeId() + " failed to start");
            }
        }
    }

    /** Answers every held request with NOT_READY and closes (under lock). */
    private void failHeldLocked(String message) {
        if (state.getAndSet(CLOSING) != CLOSING) {
            for (Frame frame : held) {
                Request request = (Request) frame.body();
                sendError(request.opcode().code(), frame.requestId(), ErrorCode.NOT_READY, message);
            }
            connection.close();
        }
        held.clear();
        cancel(heldDeadline);
    }

    // ------------------------------------------------------------------------------------------
    // Timer: deadlines and keep-alive

    private void authTimedOut() {
        int current = state.get();
        while (current < READY) {
            if (closeWithError(0, 0, ErrorCode.AUTH_TIMEOUT, "not READY within server.authTimeoutMs = "
                    + server.config.authTimeoutMs + " ms", current)) {
                return;
            }
            current = state.get();
        }
    }

    /**
     * One keep-alive tick (timer thread): pings a peer idle for {@code pingTicks} ticks, closes one
     * idle for {@code deadTicks}.
     */
    void keepAliveTick(int pingTicks, int deadTicks) {
        if (state.get() == CLOSING) {
            return;
        }
        int idle = idleTicks;
        if (!IDLE_TICKS.compareAndSet(this, idle, idle + 1)) {
            return; // a frame arrived just now
        }
        idle++;
        if (idle >= deadTicks) {
            if (state.getAndSet(CLOSING) != CLOSING) {
                LOG.info("connection {} sent nothing for server.deadPeerTimeoutMs = {} ms; closing it",
                        connection.remoteAddress(), server.config.deadPeerTimeoutMs);
                connection.close();
            }
        } else if (idle == pingTicks) {
            FrameWriter.get().header(Opcode.PING.code(), 0, nextRequestId()).i64(System.currentTimeMillis())
                    .sendTo(connection);
        }
    }

    /** The node stops: sends GOODBYE, or finishes at once if the connection is ending anyway. */
    void sayGoodbye() {
        if (state.get() == CLOSING || !connection.isOpen()) {
            finished.complete(null);
            return;
        }
        goodbyeSent = true;
        Frame goodbye = new Frame(nextRequestId(), new Request.Goodbye("node " + server.nodeId() + " is stopping"));
        FrameWriter.get().frame(goodbye).sendTo(connection);
    }

    private int nextRequestId() {
        int id = nextRequestId.incrementAndGet();
        return id != 0 ? id : nextRequestId.incrementAndGet();
    }

    // ------------------------------------------------------------------------------------------
    // Sending

    void send(FrameWriter out) {
        out.sendTo(connection);
    }

    /** Sends a copied reply once {@code durable} completes, from the completing thread. */
    void sendWhenDurable(ByteBuffer reply, CompletableFuture<Void> durable, int opcode, int requestId) {
        pendingReplies.incrementAndGet();
        durable.whenComplete((ignored, failure) -> {
            try {
                if (failure == null) {
                    connection.send(reply);
                } else {
                    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure;
                    // The change was applied before it went to persistence: its outcome is unknown.
                    sendError(opcode, requestId, ErrorCode.STORAGE_NOT_DURABLE,
                            "the change was applied but is not durable: " + cause.getMessage());
                }
            } finally {
                pendingReplies.decrementAndGet();
                replyGoodbyeIfDone();
            }
        });
    }

    void sendError(int opcode, int requestId, ErrorCode code, String message) {
        FrameWriter.get().frame(new Frame(requestId, new ErrorReply(opcode, code, safeMessage(message)))).sendTo(connection);
    }

    /**
     * Sends an error that closes the connection and closes it after that, if the state is still
     * {@code expectedState} (or, with {@code CLOSING}, anything but CLOSING). Returns whether it did.
     */
    boolean closeWithError(int opcode, int requestId, ErrorCode code, String message, int expectedState) {
        if (expectedState == CLOSING) {
            if (state.getAndSet(CLOSING) == CLOSING) {
                return false;
            }
        } else if (!state.compareAndSet(expectedState, CLOSING)) {
            return false;
        }
        cancel(authDeadline);
        LOG.debug("connection {}: {} {}", connection.remoteAddress(), code, message);
        sendError(opcode, requestId, code, message);
        connection.close();
        return true;
    }

    /** The error reply for a failed operation (docs/protocol.md section 5). */
    void replyFailure(int opcode, int requestId, RuntimeException e) {
        ErrorCode code = errorCodeFor(e);
        if (code == ErrorCode.INTERNAL_ERROR) {
            LOG.error("request 0x{} (id {}) from {} failed", Integer.toHexString(opcode), Integer.toUnsignedString(requestId),
                    connection.remoteAddress(), e);
        }
        String message = String.valueOf(e.getMessage());
        if (code.closesConnection()) {
            closeWithError(opcode, requestId, code, message, CLOSING);
        } else {
            sendError(opcode, requestId, code, code == ErrorCode.INTERNAL_ERROR ? e.toString() : message);
        }
    }

    static ErrorCode errorCodeFor(RuntimeException e) {
        if (e instanceof MemoryLimitExceededException) {
            return ErrorCode.MEMORY_LIMIT;
        } else if (e instanceof EntryTooLargeException) {
            return ErrorCode.ENTRY_TOO_LARGE;
        } else if (e instanceof StorageUnavailableException su) {
            return su.changeApplied() ? ErrorCode.STORAGE_NOT_DURABLE : ErrorCode.STORAGE_REFUSED;
        } else if (e instanceof NodeClosedException) {
            return ErrorCode.SHUTTING_DOWN;
        } else if (e instanceof io.shoal.BucketLostException) {
            return ErrorCode.BUCKET_LOST;
        } else if (e instanceof io.shoal.ClusterPausedException) {
            return ErrorCode.CLUSTER_PAUSED;
        } else if (e instanceof IllegalArgumentException) {
            return ErrorCode.INVALID_ARGUMENT;
        }
        return ErrorCode.INTERNAL_ERROR;
    }

    /** A bug outside any one request: answered as a connection error. */
    void internalError(RuntimeException e) {
        LOG.error("connection {} failed", connection.remoteAddress(), e);
        closeWithError(0, 0, ErrorCode.INTERNAL_ERROR, e.toString(), CLOSING);
    }

    /** At most {@value #MAX_ERROR_MESSAGE_CHARS} characters, unpaired surrogates replaced (a {@code str} must be UTF-8). */
    static String safeMessage(String message) {
        String text = message == null ? "" : message;
        if (text.length() > MAX_ERROR_MESSAGE_CHARS) {
            text = text.substring(0, MAX_ERROR_MESSAGE_CHARS) + "...";
        }
        StringBuilder clean = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
            if (paired) {
                if (clean != null) {
                    clean.append(c).append(text.charAt(i + 1));
                }
                i++;
            } else if (Character.isSurrogate(c)) {
                if (clean == null) {
                    clean = new StringBuilder(text.length()).append(text, 0, i);
                }
                clean.append('?');
            } else if (clean != null) {
                clean.append(c);
            }
        }
        return clean == null ? text : clean.toString();
    }

    // ------------------------------------------------------------------------------------------
    // Map names

    /**
     * The map named by the {@code length} bytes at {@code at}, if they are plain ASCII without
     * control characters (then surely a valid name); {@code null} otherwise, for the codec to judge.
     */
    MapHandle cachedMap(ByteBuffer frame, int at, int length) {
        if (length > 255) {
            return null;
        }
        for (int slot = 0; slot < MAP_CACHE_SIZE; slot++) {
            byte[] name = cachedNames[slot];
            if (name != null && name.length == length && sameBytes(frame, at, name)) {
                return cachedMaps[slot];
            }
        }
        byte[] name = new byte[length];
        frame.get(at, name, 0, length);
        for (byte b : name) {
            if (b < 0x20 || b == 0x7F) { // negative: not ASCII
                return null;
            }
        }
        MapHandle map;
        try {
            map = server.maps.open(new String(name, java.nio.charset.StandardCharsets.ISO_8859_1));
        } catch (IllegalArgumentException e) {
            return null; // the decoded path opens it again and answers INVALID_ARGUMENT
        }
        int slot = nextCacheSlot;
        nextCacheSlot = (slot + 1) % MAP_CACHE_SIZE;
        cachedNames[slot] = name;
        cachedMaps[slot] = map;
        return map;
    }

    private static boolean sameBytes(ByteBuffer frame, int at, byte[] name) {
        for (int i = 0; i < name.length; i++) {
            if (frame.get(at + i) != name[i]) {
                return false;
            }
        }
        return true;
    }

    private static void cancel(Future<?> future) {
        if (future != null) {
            future.cancel(false);
        }
    }

    @Override
    public String toString() {
        return "ServerSession{" + connection.remoteAddress() + ", state " + List.of("NEW", "GREETED", "READY", "CLOSING")
                .get(state.get()) + '}';
    }
}
