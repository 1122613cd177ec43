package io.shoal.core;

import io.shoal.ShoalConfig;
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
import io.shoal.spi.Transport;
import io.shoal.transport.tcp.TcpTransportProvider;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A bare protocol client for the server tests: the codec over its own TCP transport (one I/O
 * thread), no logic beyond what a test asks for. Every received frame is decoded with the strict
 * codec (a frame it refuses fails the test at the next wait) and kept until a test takes it, so a
 * test can wait for a reply by id while pushes pile up. By default it answers the node's PINGs
 * ({@link #autoPong}); the node's GOODBYE is only recorded.
 */
final class RawClient implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(10);

    private final Transport transport;
    private final Connection connection;
    private final LinkedBlockingQueue<Frame> incoming;
    private final List<Frame> stash = new ArrayList<>();
    private final List<String> undecodable;
    private final CompletableFuture<Throwable> closed;
    private final AtomicInteger nextId = new AtomicInteger();
    private final AtomicInteger pingsReceived;
    volatile boolean autoPong = true;

    private RawClient(Transport transport, Connection connection, LinkedBlockingQueue<Frame> incoming,
                      List<String> undecodable, CompletableFuture<Throwable> closed, AtomicInteger pingsReceived) {
        this.transport = transport;
        this.connection = connection;
        this.incoming = incoming;
        this.undecodable = undecodable;
        this.closed = closed;
        this.pingsReceived = pingsReceived;
    }

    static Transport newTransport() {
        return new TcpTransportProvider().create(ConfigLoader.load(ShoalConfig.builder()
                .set("transport-tcp.ioThreads", 1).build()));
    }

    static RawClient connect(String address) {
        Transport transport = newTransport();
        LinkedBlockingQueue<Frame> incoming = new LinkedBlockingQueue<>();
        List<String> undecodable = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Throwable> closed = new CompletableFuture<>();
        AtomicInteger pings = new AtomicInteger();
        RawClient[] self = new RawClient[1];
        FrameHandler handler = new FrameHandler() {
            @Override
            public void onFrame(Connection connection, ByteBuffer frame) {
                Frame decoded;
                try {
                    decoded = ProtocolCodec.decode(frame);
                } catch (ProtocolException e) {
                    undecodable.add(e.getMessage());
                    return;
                }
                if (decoded.body() instanceof Request.Ping ping) {
                    pings.incrementAndGet();
                    RawClient client = self[0];
                    if (client == null || client.autoPong) {
                        connection.send(ProtocolCodec.encode(new Frame(decoded.requestId(), new Reply.Ping(ping.payload()))));
                        return;
                    }
                }
                incoming.add(decoded);
            }

            @Override
            public void onClose(Connection connection, Throwable cause) {
                closed.complete(cause);
            }
        };
        try {
            Connection connection = transport.connect(address, handler, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
            self[0] = new RawClient(transport, connection, incoming, undecodable, closed, pings);
            return self[0];
        } catch (Exception e) {
            transport.close();
            throw new AssertionError("cannot connect to " + address, e);
        }
    }

    Connection connection() {
        return connection;
    }

    int pingsReceived() {
        return pingsReceived.get();
    }

    // ---- sending ----

    int nextId() {
        return nextId.incrementAndGet();
    }

    /** Sends the request with a fresh id; returns the id. */
    int send(Message body) {
        int id = body instanceof Push ? 0 : nextId();
        send(new Frame(id, body));
        return id;
    }

    void send(Frame frame) {
        connection.send(ProtocolCodec.encode(frame));
    }

    void sendRaw(byte[] frame) {
        connection.send(ByteBuffer.wrap(frame));
    }

    // ---- receiving ----

    /** The first received frame matching {@code test}, waiting up to {@link #WAIT}; others stay for later. */
    Frame await(String what, Predicate<Frame> test) {
        checkDecodable();
        for (Iterator<Frame> it = stash.iterator(); it.hasNext(); ) {
            Frame frame = it.next();
            if (test.test(frame)) {
                it.remove();
                return frame;
            }
        }
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            Frame frame;
            try {
                frame = left <= 0 ? null : incoming.poll(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            checkDecodable();
            if (frame == null) {
                fail("no " + what + " within " + WAIT + "; received meanwhile: " + stash
                        + (closed.isDone() ? " (connection closed)" : ""));
            }
            if (test.test(frame)) {
                return frame;
            }
            stash.add(frame);
        }
    }

    /** The reply or error reply to request {@code id}. */
    Frame replyTo(int id) {
        return await("reply to request " + Integer.toUnsignedString(id), f -> f.requestId() == id
                && (f.body() instanceof Reply || f.body() instanceof ErrorReply));
    }

    /** Sends the request and returns its (successful) reply. */
    <T extends Reply> T call(Request request, Class<T> type) {
        Frame reply = replyTo(send(request));
        if (reply.body() instanceof ErrorReply error) {
            fail(request + " failed: " + error);
        }
        return type.cast(reply.body());
    }

    /** Sends the request and returns its error reply. */
    ErrorReply callError(Request request) {
        Frame reply = replyTo(send(request));
        return assertInstanceOf(ErrorReply.class, reply.body(), () -> request + " should fail");
    }

    /** Sends the request, expects {@code code}, and (for a code that closes) the connection closed. */
    ErrorReply expectError(Request request, ErrorCode code) {
        ErrorReply error = callError(request);
        assertEquals(code, error.code(), error::toString);
        assertEquals(request.opcode().code(), error.opcode());
        if (code.closesConnection()) {
            awaitClosed();
        }
        return error;
    }

    /**
     * Sends a hand-built frame and expects the error {@code code} to it (matched by the frame's
     * request id), and for a code that closes, the connection closed.
     */
    ErrorReply expectRawError(byte[] frame, ErrorCode code) {
        int id = java.nio.ByteBuffer.wrap(frame, 4, 4).getInt();
        sendRaw(frame);
        ErrorReply error = assertInstanceOf(ErrorReply.class, replyTo(id).body());
        assertEquals(code, error.code(), error::toString);
        assertEquals(frame[0] & 0xFF, error.opcode());
        if (code.closesConnection()) {
            awaitClosed();
        }
        return error;
    }

    <T extends Push> T nextPush(Class<T> type) {
        return type.cast(await(type.getSimpleName() + " push", f -> type.isInstance(f.body())).body());
    }

    /** The node's next request (PING when not answered automatically, GOODBYE). */
    Frame nodeRequest(Class<? extends Request> type) {
        return await("node's " + type.getSimpleName(), f -> type.isInstance(f.body()));
    }

    /** Frames received and not taken yet, after a PING round trip (so everything sent before it is in). */
    List<Frame> drain() {
        call(new Request.Ping(-1), Reply.Ping.class);
        List<Frame> all = new ArrayList<>(stash);
        stash.clear();
        incoming.drainTo(all);
        checkDecodable();
        return all;
    }

    /** Frames received and not taken yet, once the connection has closed. */
    List<Frame> drainAfterClose() {
        awaitClosed();
        List<Frame> all = new ArrayList<>(stash);
        stash.clear();
        incoming.drainTo(all);
        checkDecodable();
        return all;
    }

    /** Waits until the node closed the connection. */
    void awaitClosed() {
        try {
            closed.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("connection still open after " + WAIT, e);
        }
    }

    boolean isClosed() {
        return closed.isDone();
    }

    private void checkDecodable() {
        if (!undecodable.isEmpty()) {
            fail("received frames the codec refuses: " + undecodable);
        }
    }

    // ---- session ----

    /** HELLO on a node without authentication: returns the reply, checks the SERVER_INFO push. */
    Reply.Hello hello() {
        Reply.Hello hello = call(new Request.Hello(1, 1, "", "raw-client"), Reply.Hello.class);
        assertTrue(!hello.authRequired(), "this node requires authentication");
        nextPush(Push.ServerInfo.class);
        return hello;
    }

    /** HELLO and AUTH with {@code secret}; checks the node's proof and the SERVER_INFO push. */
    Reply.Hello helloAndAuth(String secret) {
        Reply.Hello hello = call(new Request.Hello(1, 1, "", "raw-client"), Reply.Hello.class);
        assertTrue(hello.authRequired());
        byte[] clientNonce = new byte[32];
        new java.security.SecureRandom().nextBytes(clientNonce);
        byte[] key = secret.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Reply.Auth auth = call(new Request.Auth(clientNonce, AuthProofs.clientProof(key, hello.serverNonce(), clientNonce)),
                Reply.Auth.class);
        assertArrayEquals(AuthProofs.serverProof(key, clientNonce, hello.serverNonce()), auth.serverProof());
        nextPush(Push.ServerInfo.class);
        return hello;
    }

    @Override
    public void close() {
        connection.close();
        transport.close();
    }
}
