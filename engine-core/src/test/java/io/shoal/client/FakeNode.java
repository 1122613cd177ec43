package io.shoal.client;

import io.shoal.protocol.AuthProofs;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.EventType;
import io.shoal.protocol.Frame;
import io.shoal.protocol.Message;
import io.shoal.protocol.ProtocolCodec;
import io.shoal.protocol.ProtocolException;
import io.shoal.protocol.Push;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import io.shoal.protocol.SubscriptionKind;
import io.shoal.spi.Connection;
import io.shoal.spi.FrameHandler;
import io.shoal.spi.Transport;
import io.shoal.spi.TransportProvider;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scriptable stand-in for a node, for the client's tests: the protocol's server side over the
 * real TCP transport and the real codec, with its data in a {@link FakeStore}. By default it
 * behaves like a well-mannered node (handshake with optional authentication, SERVER_INFO, every
 * data command, subscriptions with events, PING, GOODBYE); a {@link Script} can take over any
 * request to delay its reply, drop it, answer an error, say GOODBYE or close. {@link #kill()}
 * closes the transport (every connection drops), {@link #restart()} listens again on the same port.
 */
final class FakeNode implements AutoCloseable {

    /** Sees every request after the handshake (and HELLO/AUTH too); returns true if it dealt with it. */
    @FunctionalInterface
    interface Script {
        boolean onRequest(FakeConnection connection, Frame request);
    }

    final String nodeId;
    final FakeStore store;
    final Set<FakeConnection> connections = ConcurrentHashMap.newKeySet();
    final java.util.Queue<Frame> received = new java.util.concurrent.ConcurrentLinkedQueue<>();
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicInteger goodbyesReceived = new AtomicInteger();
    final AtomicInteger goodbyeRepliesReceived = new AtomicInteger();
    volatile String secret;
    volatile String clusterName = "";
    volatile boolean wrongServerProof;
    volatile long maxFrameBytes = 16 << 20;
    volatile List<Push.NodeAddress> serverInfo = List.of();
    volatile Script script;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fake-node-timer");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger nextSubscriptionId = new AtomicInteger();
    private Transport transport;
    private Transport.Server server;
    private int port;

    private FakeNode(String nodeId, int bucketCount) {
        this.nodeId = nodeId;
        this.store = new FakeStore(bucketCount, this::publish);
    }

    static FakeNode start(String nodeId) {
        return start(nodeId, 16);
    }

    static FakeNode start(String nodeId, int bucketCount) {
        FakeNode node = new FakeNode(nodeId, bucketCount);
        node.listen(0);
        return node;
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    /** Closes the transport: every connection drops at once, as when the process dies. */
    synchronized void kill() {
        if (transport != null) {
            transport.close();
            transport = null;
            server = null;
        }
        connections.clear();
    }

    /** Listens again on the same port (after {@link #kill()}). */
    synchronized void restart() {
        listen(port);
    }

    /** Sends GOODBYE on every connection, as a node that shuts down. */
    void goodbyeAll(String reason) {
        for (FakeConnection c : connections) {
            c.sendGoodbye(reason);
        }
    }

    int openConnections() {
        return (int) connections.stream().filter(c -> c.connection.isOpen()).count();
    }

    long requestsOf(Class<? extends Request> type) {
        return received.stream().filter(f -> type.isInstance(f.body())).count();
    }

    @Override
    public void close() {
        kill();
        timer.shutdownNow();
    }

    private synchronized void listen(int onPort) {
        TransportProvider provider = Transports.provider("tcp");
        transport = provider.create(Transports.settings(provider, Map.of()));
        server = transport.listen("127.0.0.1:" + onPort, new FrameHandler() {
            @Override
            public void onOpen(Connection connection) {
                accepted.incrementAndGet();
                connections.add(new FakeConnection(connection));
            }

            @Override
            public void onFrame(Connection connection, ByteBuffer frame) {
                find(connection).onFrame(frame);
            }

            @Override
            public void onClose(Connection connection, Throwable cause) {
                connections.removeIf(c -> c.connection == connection);
            }
        });
        String bound = server.address();
        port = Integer.parseInt(bound.substring(bound.lastIndexOf(':') + 1));
    }

    private FakeConnection find(Connection connection) {
        for (FakeConnection c : connections) {
            if (c.connection == connection) {
                return c;
            }
        }
        throw new IllegalStateException("unknown connection " + connection);
    }

    /** Under the store's lock: pushes an EVENT to every matching subscription of every connection. */
    private void publish(String map, EventType type, long bucket, long sequence, long timestampMs, byte[] key, byte[] value,
                         long expiresAtMs) {
        for (FakeConnection c : connections) {
            for (Map.Entry<Integer, Request.Subscribe> s : c.subscriptions.entrySet()) {
                Request.Subscribe sub = s.getValue();
                if (!sub.map().equals(map) || !matches(sub, key)) {
                    continue;
                }
                c.send(new Frame(0, new Push.Event(s.getKey(), type, bucket, sequence, timestampMs, key, value != null,
                        value, value != null ? expiresAtMs : 0)));
            }
        }
    }

    private static boolean matches(Request.Subscribe sub, byte[] key) {
        return switch (sub.kind()) {
            case ALL -> true;
            case KEY -> Arrays.equals(sub.match(), key);
            case PREFIX -> key.length >= sub.match().length
                    && Arrays.equals(key, 0, sub.match().length, sub.match(), 0, sub.match().length);
        };
    }

    /** One accepted connection. Its methods may be called from scripts, on the I/O thread or any other. */
    final class FakeConnection {
        final Connection connection;
        final Map<Integer, Request.Subscribe> subscriptions = new ConcurrentHashMap<>();
        private volatile boolean ready;
        private volatile boolean greeted;
        private byte[] serverNonce;
        private final AtomicInteger nextRequestId = new AtomicInteger(1_000_000);

        FakeConnection(Connection connection) {
            this.connection = connection;
        }

        void send(Frame frame) {
            if (connection.isOpen()) {
                connection.send(ProtocolCodec.encode(frame));
            }
        }

        void reply(Frame request, Message body) {
            send(new Frame(request.requestId(), body));
        }

        void replyError(Frame request, ErrorCode code, String message) {
            send(new Frame(request.requestId(), new ErrorReply(((Request) request.body()).opcode().code(), code, message)));
        }

        /** The reply the node would send, without sending it. */
        Frame process(Frame request) {
            Message body = answer((Request) request.body());
            return body == null ? null : new Frame(request.requestId(), body);
        }

        /** Sends the usual reply after {@code delayMs}. */
        void replyLater(Frame request, long delayMs) {
            Frame reply = process(request);
            timer.schedule(() -> send(reply), delayMs, TimeUnit.MILLISECONDS);
        }

        void sendGoodbye(String reason) {
            send(new Frame(nextRequestId.incrementAndGet(), new Request.Goodbye(reason)));
        }

        void close() {
            connection.close();
        }

        void onFrame(ByteBuffer bytes) {
            Frame frame;
            try {
                frame = ProtocolCodec.decode(bytes);
            } catch (ProtocolException e) {
                send(e.toErrorFrame());
                if (e.code().closesConnection()) {
                    connection.close();
                }
                return;
            }
            received.add(frame);
            if (frame.body() instanceof Reply.Goodbye) {
                goodbyeRepliesReceived.incrementAndGet();
                connection.close();
                return;
            }
            if (!(frame.body() instanceof Request request)) {
                return; // replies to our PINGs
            }
            Script s = script;
            if (s != null && s.onRequest(this, frame)) {
                return;
            }
            handle(frame, request);
        }

        private void handle(Frame frame, Request request) {
            if (request instanceof Request.Goodbye) {
                goodbyesReceived.incrementAndGet();
                reply(frame, new Reply.Goodbye());
                connection.close();
                return;
            }
            if (request instanceof Request.Hello hello) {
                if (greeted || ready) {
                    replyError(frame, ErrorCode.PROTOCOL_VIOLATION, "second HELLO");
                    connection.close();
                    return;
                }
                if (!hello.clusterName().isEmpty() && !hello.clusterName().equals(clusterName)) {
                    replyError(frame, ErrorCode.CLUSTER_MISMATCH, "this node is in cluster \"" + clusterName + "\"");
                    connection.close();
                    return;
                }
                boolean auth = secret != null;
                serverNonce = new byte[32];
                if (auth) {
                    new java.security.SecureRandom().nextBytes(serverNonce);
                }
                reply(frame, new Reply.Hello(1, nodeId, clusterName, auth, serverNonce, maxFrameBytes, store.bucketCount));
                if (auth) {
                    greeted = true;
                } else {
                    becomeReady();
                }
                return;
            }
            if (request instanceof Request.Auth auth) {
                if (!greeted) {
                    replyError(frame, ErrorCode.PROTOCOL_VIOLATION, "AUTH out of order");
                    connection.close();
                    return;
                }
                byte[] key = secret.getBytes(StandardCharsets.UTF_8);
                byte[] expected = AuthProofs.clientProof(key, serverNonce, auth.clientNonce());
                if (!MessageDigest.isEqual(expected, auth.clientProof())) {
                    replyError(frame, ErrorCode.AUTH_FAILED, "wrong proof");
                    connection.close();
                    return;
                }
                byte[] proof = AuthProofs.serverProof(key, auth.clientNonce(), serverNonce);
                if (wrongServerProof) {
                    proof = new byte[32];
                }
                reply(frame, new Reply.Auth(proof));
                greeted = false;
                becomeReady();
                return;
            }
            if (request instanceof Request.Ping ping) {
                reply(frame, new Reply.Ping(ping.payload()));
                return;
            }
            if (!ready) {
                replyError(frame, ErrorCode.NOT_AUTHENTICATED, request.opcode() + " before READY");
                connection.close();
                return;
            }
            Message answer = answer(request);
            if (answer != null) {
                reply(frame, answer);
            }
        }

        private void becomeReady() {
            ready = true;
            List<Push.NodeAddress> nodes = serverInfo;
            if (!nodes.isEmpty()) {
                send(new Frame(0, new Push.ServerInfo(1, nodes)));
            }
        }

        private Message answer(Request request) {
            if (request instanceof Request.Subscribe sub) {
                int id = nextSubscriptionId.incrementAndGet();
                synchronized (store) { // no change slips between the reply and the first event
                    subscriptions.put(id, sub);
                    return new Reply.Subscribe(id);
                }
            }
            if (request instanceof Request.Unsubscribe unsub) {
                return new Reply.Unsubscribe(subscriptions.remove(unsub.subscriptionId()) != null);
            }
            if (request instanceof Request.Stats) {
                return new Reply.Stats(List.of(new Reply.Stat("entries", store.liveEntries()),
                        new Reply.Stat("connections", connections.size()), new Reply.Stat("someFutureCounter", 7)));
            }
            if (request instanceof Request.Ping ping) {
                return new Reply.Ping(ping.payload());
            }
            if (request instanceof Request.Goodbye) {
                return new Reply.Goodbye();
            }
            Message data = store.apply(request);
            if (data != null) {
                return data;
            }
            return new ErrorReply(request.opcode().code(), ErrorCode.INTERNAL_ERROR, "the fake node does not serve "
                    + request.opcode());
        }
    }

    /** Node addresses for SERVER_INFO. */
    static List<Push.NodeAddress> nodes(String... idAndAddress) {
        List<Push.NodeAddress> nodes = new ArrayList<>();
        for (int i = 0; i < idAndAddress.length; i += 2) {
            nodes.add(new Push.NodeAddress(idAndAddress[i], idAndAddress[i + 1]));
        }
        return nodes;
    }

    static SubscriptionKind kindOf(Frame frame) {
        return ((Request.Subscribe) frame.body()).kind();
    }
}
