package io.shoal.client;

import io.shoal.EntryTooLargeException;
import io.shoal.ShoalException;
import io.shoal.protocol.AuthProofs;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.Frame;
import io.shoal.protocol.Message;
import io.shoal.protocol.ProtocolCodec;
import io.shoal.protocol.ProtocolException;
import io.shoal.protocol.Push;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import io.shoal.spi.Connection;
import io.shoal.spi.FrameHandler;
import org.jctools.maps.NonBlockingHashMapLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One connection of a {@link ClientImpl} to one node: the HELLO/AUTH handshake, the requests in
 * flight, and everything the node sends on it.
 *
 * <p>Design: requests get ids from a counter and wait in a lock-free map (id to {@link Call}); a
 * sender encodes into a per-thread buffer (the transport copies it) and never takes a lock, so any
 * number of requests are in flight. The transport's I/O thread decodes each frame and completes the
 * call right there, answers the node's PING and GOODBYE, and hands events to the client's event
 * thread. {@link #markClosed} runs once, whatever ends the connection (the transport's close, the
 * node's GOODBYE, a dead peer, a handshake failure, the client's close): it stops sends and lets the
 * client fail or retry the calls still pending. A sender that registered a call just as the
 * connection closed checks {@code closed} again after registering, and exactly one of it and the
 * drainer takes the call back (whoever removes it from the map).
 */
final class NodeConnection extends FrameHandler {
    private static final Logger LOG = LoggerFactory.getLogger(NodeConnection.class);
    /** Protocol version this client speaks. */
    static final int PROTOCOL_VERSION = 1;
    /** Largest frame accepted before READY (the node's HELLO and AUTH replies are far smaller). */
    private static final int HANDSHAKE_FRAME_LIMIT = 64 * 1024;
    /** Largest per-thread encode buffer kept for reuse; larger frames get a buffer of their own. */
    private static final int MAX_RETAINED_BUFFER_BYTES = 1 << 20;
    private static final ThreadLocal<ByteBuffer[]> ENCODE_BUFFER =
            ThreadLocal.withInitial(() -> new ByteBuffer[] {ByteBuffer.allocate(4096)});
    private static final SecureRandom RANDOM = new SecureRandom();

    final ClientImpl client;
    final String address;
    /** Completes with this connection when it is READY, or exceptionally with why it never will be. */
    final CompletableFuture<NodeConnection> ready = new CompletableFuture<>();
    /** Completes when the transport reports the connection closed. */
    final CompletableFuture<Void> transportClosed = new CompletableFuture<>();
    /** This connection's subscriptions, by the node's subscription id. */
    final ConcurrentHashMap<Integer, RemoteSubscription> subscriptions = new ConcurrentHashMap<>();

    private final NonBlockingHashMapLong<Call> pending = new NonBlockingHashMapLong<>();
    private final AtomicInteger nextRequestId = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Connection connection;
    private volatile boolean isReady;
    private volatile String closeReason;
    private volatile ErrorReply connectionError;
    volatile long lastReceivedNanos = System.nanoTime();
    volatile long lastPingSentNanos = System.nanoTime();
    /** From the HELLO reply; written before {@link #isReady}, read after it. */
    volatile String nodeId = "";
    volatile int bucketCount;
    volatile int maxFrameBytes;
    // Handshake state, touched on the I/O thread only.
    private byte[] serverNonce;
    private byte[] clientNonce;

    NodeConnection(ClientImpl client, String address) {
        this.client = client;
        this.address = address;
        this.maxFrameBytes = client.transportMaxFrameBytes;
    }

    boolean isReady() {
        return isReady && !closed.get();
    }

    boolean isClosed() {
        return closed.get();
    }

    String closeReason() {
        String reason = closeReason;
        return reason == null ? "open" : reason;
    }

    /** {@code 127.0.0.1:7401 (node n1)}. */
    String describe() {
        String id = nodeId;
        return id.isEmpty() ? address : address + " (node " + id + ")";
    }

    // ---------------------------------------------------------------------------------------
    // Sending

    /**
     * Sends {@code call} if the connection is READY. Returns {@code false} if it is not (the call
     * was not sent and may go elsewhere), {@code true} if the connection took it: it is in flight,
     * or it already failed (a frame too large).
     */
    boolean trySend(Call call) {
        if (!isReady || closed.get()) {
            return false;
        }
        return write(call);
    }

    private boolean write(Call call) {
        int id = nextRequestId.incrementAndGet();
        if (id == 0) {
            id = nextRequestId.incrementAndGet(); // 0 is left to pushes and connection errors
        }
        ByteBuffer frame;
        try {
            frame = encode(new Frame(id, call.request), call);
        } catch (RuntimeException e) {
            call.completeExceptionally(e);
            return true;
        }
        long key = id & 0xFFFF_FFFFL;
        call.sentOn = this;
        call.pendingKey = key;
        pending.put(key, call);
        if (closed.get()) {
            // Closed meanwhile: take the call back unless the drainer has it already.
            if (pending.remove(key, call)) {
                call.sentOn = null;
                return false;
            }
            return true;
        }
        Connection conn = connection;
        conn.send(frame); // a failed send closes the connection; markClosed then handles the call
        return true;
    }

    /** Sends a frame that is not a tracked request (replies to the node's requests). Best effort. */
    private void sendUntracked(Frame frame) {
        Connection conn = connection;
        if (conn == null) {
            return;
        }
        try {
            conn.send(encode(frame, null));
        } catch (RuntimeException e) {
            LOG.debug("cannot send {} to {}: {}", frame, address, e.toString());
        }
    }

    /** A request the client makes itself (keep-alive, UNSUBSCRIBE, GOODBYE); nobody waits for it. */
    Call sendInternal(Request request) {
        long now = System.nanoTime();
        Call call = new Call(request, now, now + client.requestTimeoutNanos, null, true);
        client.trackDeadline(call);
        if (!trySend(call)) {
            call.completeExceptionally(new ShoalException(request.opcode() + " not sent: the connection to "
                    + describe() + " is " + (closed.get() ? "closed" : "not ready")));
        }
        return call;
    }

    private Call sendHandshake(Request request) {
        long now = System.nanoTime();
        Call call = new Call(request, now, Long.MAX_VALUE, null, true);
        if (!closed.get()) {
            write(call); // the attempt's connect timeout bounds the handshake
        } else {
            call.completeExceptionally(new ShoalException("closed"));
        }
        return call;
    }

    private ByteBuffer encode(Frame frame, Call call) {
        int size = ProtocolCodec.encodedSizeBytes(frame);
        int limit = maxFrameBytes;
        if (size > limit) {
            throw new EntryTooLargeException((call == null ? frame.body().toString() : call.describe())
                    + " needs a frame of " + size + " bytes; " + describe() + " accepts at most " + limit
                    + " (the smaller of its maxFrameBytes and this client's transport limit)");
        }
        ByteBuffer[] holder = ENCODE_BUFFER.get();
        ByteBuffer buffer = holder[0];
        if (buffer.capacity() < size) {
            buffer = ByteBuffer.allocate(Math.max(size, Math.min(MAX_RETAINED_BUFFER_BYTES, buffer.capacity() * 2)));
            if (buffer.capacity() <= MAX_RETAINED_BUFFER_BYTES) {
                holder[0] = buffer;
            }
        }
        buffer.clear();
        ProtocolCodec.encode(frame, buffer);
        buffer.flip();
        return buffer;
    }

    /** Forgets a call that completed without its reply (timed out): a late reply is then ignored. */
    void forget(Call call) {
        pending.remove(call.pendingKey, call);
    }

    /** Removes and returns every call still waiting for a reply. */
    List<Call> drainPending() {
        List<Call> drained = new ArrayList<>();
        for (long key : pending.keySetLong()) {
            Call call = pending.remove(key);
            if (call != null) {
                drained.add(call);
            }
        }
        return drained;
    }

    // ---------------------------------------------------------------------------------------
    // Life cycle

    /**
     * Ends the connection (once; later calls do nothing): no more sends, frames still arriving are
     * ignored, the transport connection closes after what is queued (a GOODBYE reply, say), and the
     * client fails or retries what was pending.
     */
    void markClosed(String reason) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (closeReason == null) {
            closeReason = reason;
        }
        isReady = false;
        ready.completeExceptionally(new ShoalException(qualified(closeReason)));
        Connection conn = connection;
        if (conn != null) {
            conn.close();
        }
        client.onConnectionClosed(this);
    }

    /** Fails the handshake (if it has not finished) and closes. */
    void failHandshake(String why) {
        if (ready.isDone()) {
            return;
        }
        if (closeReason == null) {
            closeReason = why;
        }
        if (ready.completeExceptionally(new ShoalException(qualified(why)))) {
            markClosed(why);
        }
    }

    /** {@code why}, prefixed with the address unless it names it already. */
    private String qualified(String why) {
        return why.contains(address) ? why : address + ": " + why;
    }

    /** Sends GOODBYE if READY; the returned future completes with its reply or when the connection ends. */
    CompletableFuture<?> goodbye(String reason) {
        if (!isReady()) {
            return CompletableFuture.completedFuture(null);
        }
        Call call = sendInternal(new Request.Goodbye(reason));
        return CompletableFuture.anyOf(call, transportClosed);
    }

    /** For a connection still in its handshake: GOODBYE without waiting for the reply, then close. */
    void goodbyeAndClose(String reason) {
        if (!closed.get() && connection != null) {
            sendUntracked(new Frame(Integer.MAX_VALUE, new Request.Goodbye(reason))); // an id the handshake never uses
        }
        markClosed(reason);
    }

    /** Called by the client's keep-alive task: PING when idle, drop when silent too long. */
    void checkAlive(long nowNanos, long keepAliveNanos, long deadPeerNanos) {
        if (!isReady()) {
            return;
        }
        long idle = nowNanos - lastReceivedNanos;
        if (idle >= deadPeerNanos) {
            client.markFailed(address);
            markClosed("no frame from the node for " + idle / 1_000_000 + " ms (deadPeerTimeout "
                    + deadPeerNanos / 1_000_000 + " ms)");
        } else if (idle >= keepAliveNanos && nowNanos - lastPingSentNanos >= keepAliveNanos) {
            lastPingSentNanos = nowNanos;
            sendInternal(new Request.Ping(nowNanos));
        }
    }

    // ---------------------------------------------------------------------------------------
    // Transport callbacks (the connection's I/O thread)

    @Override
    public void onOpen(Connection conn) {
        connection = conn;
        lastReceivedNanos = System.nanoTime();
        if (closed.get()) {
            conn.close();
            return;
        }
        conn.limitInboundFrameBytes(Math.min(HANDSHAKE_FRAME_LIMIT, client.transportMaxFrameBytes));
        sendHandshake(new Request.Hello(PROTOCOL_VERSION, PROTOCOL_VERSION, client.config.clusterName(),
                client.config.clientName())).whenComplete(this::onHelloReply);
    }

    @Override
    public void onClose(Connection conn, Throwable cause) {
        ErrorReply error = connectionError;
        String reason;
        if (error != null) {
            reason = "the node closed the connection: " + error.code() + ": " + error.message();
        } else if (cause != null) {
            reason = "the connection failed: " + cause.getMessage();
        } else {
            reason = "the node closed the connection";
        }
        markClosed(reason);
        transportClosed.complete(null);
    }

    @Override
    public void onFrame(Connection conn, ByteBuffer bytes) {
        lastReceivedNanos = System.nanoTime();
        if (closed.get()) {
            return; // after GOODBYE, a dead-peer verdict or close: frames are ignored
        }
        Frame frame;
        try {
            frame = ProtocolCodec.decode(bytes);
        } catch (ProtocolException e) {
            sendUntracked(e.toErrorFrame());
            client.markFailed(address);
            markClosed("the node sent a frame that breaks the protocol: " + e.getMessage());
            return;
        }
        Message body = frame.body();
        if (body instanceof Push push) {
            onPush(push);
        } else if (body instanceof Request request) {
            onRequest(frame.requestId(), request);
        } else {
            onReply(frame.requestId(), body);
        }
    }

    private void onReply(int requestId, Message body) {
        if (requestId == 0 && body instanceof ErrorReply error && error.opcode() == 0) {
            connectionError = error; // the node closes the connection next
            closeReason = "the node closed the connection: " + error.code() + ": " + error.message();
            if (!ready.isDone()) {
                failHandshake(closeReason);
            }
            return;
        }
        Call call = pending.remove(requestId & 0xFFFF_FFFFL);
        if (call == null) {
            LOG.debug("reply from {} to request {} that is no longer waited for (timed out): {}", address,
                    Integer.toUnsignedString(requestId), body);
            return;
        }
        if (!call.internal && body instanceof ErrorReply error
                && (error.code() == ErrorCode.SHUTTING_DOWN || error.code() == ErrorCode.NOT_READY)) {
            // The node did nothing with the request: send it to another node.
            client.markFailed(address);
            markClosed("the node answered " + error.code() + ": " + error.message());
            if (call.subscription == null) {
                client.resend(call);
            } else { // the next connection subscribes again by itself
                call.completeExceptionally(new ConnectionLostException(call.describe() + ": " + describe() + " is "
                        + error.code(), false));
            }
            return;
        }
        if (!call.internal && body instanceof ErrorReply error && error.code() == ErrorCode.NOT_OWNER
                && call.subscription == null && client.retryLater(call)) {
            return; // the cluster is moving the bucket: the node did nothing; ask again shortly
        }
        if (call.subscription != null) {
            client.onSubscribeReply(this, call, body); // before any event of the subscription is read
        }
        call.complete(body);
    }

    private void onRequest(int requestId, Request request) {
        if (request instanceof Request.Ping ping) {
            sendUntracked(new Frame(requestId, new Reply.Ping(ping.payload())));
        } else if (request instanceof Request.Goodbye goodbye) {
            sendUntracked(new Frame(requestId, new Reply.Goodbye()));
            client.markFailed(address);
            markClosed("the node said GOODBYE (\"" + goodbye.reason() + "\")");
        } else {
            sendUntracked(new Frame(requestId, new ErrorReply(request.opcode().code(), ErrorCode.PROTOCOL_VIOLATION,
                    "a client answers only PING and GOODBYE, not " + request.opcode())));
            client.markFailed(address);
            markClosed("the node sent a " + request.opcode() + " request, which a client does not serve");
        }
    }

    private void onPush(Push push) {
        if (push instanceof Push.Event event) {
            RemoteSubscription subscription = subscriptions.get(event.subscriptionId());
            if (subscription != null) {
                client.events.offer(subscription, event);
            }
        } else if (push instanceof Push.EventsDropped dropped) {
            RemoteSubscription subscription = subscriptions.get(dropped.subscriptionId());
            if (subscription != null) {
                client.events.offerDropped(subscription, dropped.count());
            }
        } else if (push instanceof Push.ServerInfo info) {
            client.onServerInfo(this, info);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Handshake (I/O thread)

    private void onHelloReply(Message reply, Throwable failure) {
        if (failure != null || ready.isDone()) {
            return; // the connection ended; markClosed failed `ready`
        }
        if (reply instanceof ErrorReply error) {
            failHandshake(error.code() + ": " + error.message());
            return;
        }
        if (!(reply instanceof Reply.Hello hello)) {
            failHandshake("the node answered HELLO with " + reply);
            return;
        }
        ClientConfig config = client.config;
        if (hello.version() != PROTOCOL_VERSION) {
            failHandshake("the node chose protocol version " + hello.version() + "; this client speaks only "
                    + PROTOCOL_VERSION);
            return;
        }
        if (!config.clusterName().isEmpty() && !config.clusterName().equals(hello.clusterName())) {
            failHandshake("the node is in cluster \"" + hello.clusterName() + "\", not \"" + config.clusterName() + "\"");
            return;
        }
        long buckets = hello.bucketCount();
        if (buckets < 1 || buckets > 1 << 30 || Long.bitCount(buckets) != 1) {
            failHandshake("the node reports " + buckets + " buckets, not a power of two from 1 to 2^30");
            return;
        }
        if (hello.maxFrameBytes() < 1024) {
            failHandshake("the node accepts frames of at most " + hello.maxFrameBytes() + " bytes; at least 1024 are needed");
            return;
        }
        nodeId = hello.nodeId();
        bucketCount = (int) buckets;
        maxFrameBytes = (int) Math.min(hello.maxFrameBytes(), client.transportMaxFrameBytes);
        byte[] secret = client.secret;
        if (hello.authRequired()) {
            if (secret == null) {
                failHandshake("the node requires authentication; set ClientConfig.secret to the nodes' server.auth.secret");
                return;
            }
            serverNonce = hello.serverNonce();
            clientNonce = new byte[AuthProofs.NONCE_BYTES];
            RANDOM.nextBytes(clientNonce);
            byte[] proof = AuthProofs.clientProof(secret, serverNonce, clientNonce);
            sendHandshake(new Request.Auth(clientNonce, proof)).whenComplete(this::onAuthReply);
        } else if (secret != null) {
            failHandshake("ClientConfig.secret is set but the node does not ask for authentication, so it cannot prove"
                    + " it knows the secret; refusing it (unset the secret for nodes without server.auth.secret)");
        } else {
            becomeReady();
        }
    }

    private void onAuthReply(Message reply, Throwable failure) {
        if (failure != null || ready.isDone()) {
            return;
        }
        if (reply instanceof ErrorReply error) {
            failHandshake(error.code() == ErrorCode.AUTH_FAILED
                    ? "authentication failed, the secret is wrong (node: " + error.message() + ")"
                    : error.code() + ": " + error.message());
            return;
        }
        if (!(reply instanceof Reply.Auth auth)) {
            failHandshake("the node answered AUTH with " + reply);
            return;
        }
        byte[] expected = AuthProofs.serverProof(client.secret, clientNonce, serverNonce);
        if (!MessageDigest.isEqual(expected, auth.serverProof())) {
            failHandshake("the node's AUTH proof is wrong: it does not know the secret; connection closed");
            return;
        }
        becomeReady();
    }

    private void becomeReady() {
        Connection conn = connection;
        conn.limitInboundFrameBytes(maxFrameBytes);
        isReady = true;
        if (!ready.complete(this)) {
            markClosed(closeReason()); // failed meanwhile (connect timeout)
        }
    }

    static byte[] secretBytes(String secret) {
        return secret.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "NodeConnection{" + describe() + (isReady() ? ", ready" : closed.get() ? ", closed: " + closeReason : "")
                + ", pending=" + pending.size() + '}';
    }
}
