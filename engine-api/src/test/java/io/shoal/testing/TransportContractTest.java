package io.shoal.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.shoal.ShoalException;
import io.shoal.spi.Connection;
import io.shoal.spi.FrameHandler;
import io.shoal.spi.Transport;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@link Transport}, {@link Transport.Server}, {@link Connection} and
 * {@link FrameHandler}, run against one transport implementation.
 *
 * <p>To use it, extend it once per transport and implement {@link #newTransport()} and
 * {@link #listenAddress()}. A test may create several transports (one listening, one connecting)
 * and they must reach each other, so an in-memory subclass hands them a shared network. Every
 * transport is created through {@link #transport()} and closed after each test; subclasses can use
 * the same helpers ({@link #connectPair()}, {@link RecordingHandler}) for their own tests.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class TransportContractTest {

    /** How long any awaited condition may take. */
    protected static final Duration DEADLINE = Duration.ofSeconds(10);
    /** The connect timeout the tests pass. */
    protected static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** The largest maxFrameBytes() this suite agrees to allocate frames for. */
    private static final int LARGEST_TESTABLE_FRAME = 256 << 20;

    private final List<Transport> transports = Collections.synchronizedList(new ArrayList<>());

    /**
     * A new transport. Transports returned to one test must be able to connect to each other's
     * servers. The suite closes it after the test.
     */
    protected abstract Transport newTransport();

    /** An address to listen on that asks for an ephemeral port or name, e.g. {@code "mem:*"} or {@code "127.0.0.1:0"}. */
    protected abstract String listenAddress();

    /**
     * An address nobody listens on for the rest of the test. Default: where a server of this
     * transport listened and then closed. A transport whose freed addresses another socket can take
     * at once (a TCP port, even by the connecting socket itself) returns one it keeps occupied.
     */
    protected String refusingAddress() {
        Transport.Server server = transport().listen(listenAddress(), new RecordingHandler());
        String address = server.address();
        server.close();
        return address;
    }

    @AfterEach
    void closeTransports() {
        List<Transport> toClose;
        synchronized (transports) {
            toClose = new ArrayList<>(transports);
            transports.clear();
        }
        for (Transport transport : toClose) {
            transport.close();
        }
    }

    /** {@link #newTransport()}, closed after the test. */
    protected final Transport transport() {
        Transport transport = newTransport();
        assertNotNull(transport, "newTransport() returned null");
        transports.add(transport);
        return transport;
    }

    @Test
    void connectsAndCarriesFramesBothWays() {
        Pair pair = connectPair();
        assertFalse(pair.server.address().isBlank(), "server address");
        assertTrue(pair.client.isOpen());
        assertNotNull(pair.client.remoteAddress(), "remoteAddress()");

        complete(pair.client.send(utf8("ping")));
        pair.serverHandler.awaitFrames(1);
        assertArrayEquals(utf8Bytes("ping"), pair.serverHandler.frames().get(0));

        Connection serverSide = pair.serverSide();
        assertTrue(serverSide.isOpen());
        complete(serverSide.send(utf8("pong")));
        pair.clientHandler.awaitFrames(1);
        assertArrayEquals(utf8Bytes("pong"), pair.clientHandler.frames().get(0));
        pair.assertNoViolations();
    }

    @Test
    void tenThousandFramesFromOneSenderArriveWholeAndInOrder() {
        int count = 10_000;
        Pair pair = connectPair();
        List<CompletableFuture<Void>> sends = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            sends.add(pair.client.send(ByteBuffer.wrap(numberedFrame(i))));
        }
        completeAll(sends);
        pair.serverHandler.awaitFrames(count);
        List<byte[]> frames = pair.serverHandler.frames();
        for (int i = 0; i < count; i++) {
            assertArrayEquals(numberedFrame(i), frames.get(i), "frame " + i);
        }
        pair.assertNoViolations();
    }

    @Test
    void framesOfEdgeSizesArriveIntact() {
        Pair pair = connectPair();
        int max = testableMaxFrameBytes(pair.clientTransport);
        int[] sizes = IntStream.of(0, 1, 1000, max).filter(size -> size <= max).distinct().toArray();
        for (int size : sizes) {
            complete(pair.client.send(ByteBuffer.wrap(randomBytes(size, size))));
        }
        pair.serverHandler.awaitFrames(sizes.length);
        List<byte[]> frames = pair.serverHandler.frames();
        for (int i = 0; i < sizes.length; i++) {
            assertArrayEquals(randomBytes(sizes[i], sizes[i]), frames.get(i), "frame of " + sizes[i] + " bytes");
        }
        pair.assertNoViolations();
    }

    /**
     * {@link Connection#send} says only that the future fails; it does not say the connection
     * closes, so either is accepted, but the frame must never arrive.
     */
    @Test
    void frameOverMaxFrameBytesFailsTheSendAndIsNotDelivered() {
        Pair pair = connectPair();
        int tooLarge = testableMaxFrameBytes(pair.clientTransport) + 1;

        CompletableFuture<Void> oversized = pair.client.send(ByteBuffer.allocate(tooLarge));
        Throwable cause = failure(oversized);
        assertTrue(String.valueOf(cause.getMessage()).contains(String.valueOf(tooLarge)),
                "the error should name the frame's size " + tooLarge + ": " + cause);

        // Frames arrive in order, so if the oversized frame went out it arrives before this marker.
        CompletableFuture<Void> marker = pair.client.send(utf8("marker"));
        awaiting().alias("the marker's send completes").until(marker::isDone);
        if (marker.isCompletedExceptionally()) {
            pair.serverHandler.assertClosedOnce();
            assertEquals(0, pair.serverHandler.frameCount(), "frames delivered although the connection closed");
        } else {
            pair.serverHandler.awaitFrames(1);
            assertArrayEquals(utf8Bytes("marker"), pair.serverHandler.frames().get(0),
                    "only the marker sent after the oversized frame may arrive");
        }
        pair.assertNoViolations();
    }

    @Test
    void reusingTheBufferAfterSendDoesNotChangeWhatArrives() {
        int count = 200;
        Pair pair = connectPair();
        ByteBuffer buffer = ByteBuffer.allocate(64);
        List<CompletableFuture<Void>> sends = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            buffer.clear();
            for (int j = 0; j <= i % 64; j++) {
                buffer.put((byte) i);
            }
            buffer.flip();
            sends.add(pair.client.send(buffer));
            buffer.clear();
            while (buffer.hasRemaining()) {
                buffer.put((byte) 0xEE);
            }
        }
        completeAll(sends);
        pair.serverHandler.awaitFrames(count);
        List<byte[]> frames = pair.serverHandler.frames();
        for (int i = 0; i < count; i++) {
            byte[] expected = new byte[i % 64 + 1];
            Arrays.fill(expected, (byte) i);
            assertArrayEquals(expected, frames.get(i), "frame " + i);
        }
        pair.assertNoViolations();
    }

    @Test
    void sendsTheRemainingBytesOfAnyKindOfBuffer() {
        Pair pair = connectPair();
        ByteBuffer heap = ByteBuffer.wrap(utf8Bytes("xxheapyy"));
        heap.position(2).limit(6);
        ByteBuffer direct = ByteBuffer.allocateDirect(16);
        direct.put(utf8Bytes("xxdirectyy")).flip();
        direct.position(2).limit(8);
        ByteBuffer readOnly = utf8("read-only").asReadOnlyBuffer();
        ByteBuffer slice = ByteBuffer.wrap(utf8Bytes("123slice")).position(3).slice();

        for (ByteBuffer frame : List.of(heap, direct, readOnly, slice)) {
            complete(pair.client.send(frame));
        }
        pair.serverHandler.awaitFrames(4);
        List<String> received = pair.serverHandler.frames().stream()
                .map(bytes -> new String(bytes, StandardCharsets.UTF_8)).toList();
        assertEquals(List.of("heap", "direct", "read-only", "slice"), received);
        pair.assertNoViolations();
    }

    @Test
    void concurrentSendersOnOneConnectionKeepEachSendersOrder() throws Exception {
        int threads = 8;
        int perThread = 1000;
        Pair pair = connectPair();
        ExecutorService senders = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<CompletableFuture<Void>>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int sender = t;
                results.add(senders.submit(() -> {
                    start.await();
                    List<CompletableFuture<Void>> sends = new ArrayList<>(perThread);
                    for (int seq = 0; seq < perThread; seq++) {
                        sends.add(pair.client.send(ByteBuffer.allocate(8).putInt(sender).putInt(seq).flip()));
                    }
                    return sends;
                }));
            }
            start.countDown();
            for (Future<List<CompletableFuture<Void>>> result : results) {
                completeAll(result.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
            }
        } finally {
            senders.shutdownNow();
        }
        pair.serverHandler.awaitFrames(threads * perThread);
        int[] next = new int[threads];
        for (byte[] frame : pair.serverHandler.frames()) {
            assertEquals(8, frame.length, "frame length");
            ByteBuffer in = ByteBuffer.wrap(frame);
            int sender = in.getInt();
            int seq = in.getInt();
            assertEquals(next[sender], seq, "frame order of sender " + sender);
            next[sender]++;
        }
        for (int t = 0; t < threads; t++) {
            assertEquals(perThread, next[t], "frames of sender " + t);
        }
        pair.assertNoViolations();
    }

    @Test
    void clientCloseClosesBothSidesOnceAfterOnOpen() {
        Pair pair = connectPair();
        Connection serverSide = pair.serverSide();
        pair.client.close();
        pair.client.close();
        pair.clientHandler.assertClosedOnce();
        pair.serverHandler.assertClosedOnce();
        assertNull(pair.clientHandler.closeCause(), "cause of an orderly close");
        assertNull(pair.serverHandler.closeCause(), "cause of an orderly close at the peer");
        assertFalse(pair.client.isOpen());
        awaiting().alias("server side reports closed").until(() -> !serverSide.isOpen());
        pair.assertNoViolations();
    }

    @Test
    void serverSideCloseClosesBothSidesOnceAfterOnOpen() {
        Pair pair = connectPair();
        Connection serverSide = pair.serverSide();
        serverSide.close();
        serverSide.close();
        pair.serverHandler.assertClosedOnce();
        pair.clientHandler.assertClosedOnce();
        assertNull(pair.serverHandler.closeCause(), "cause of an orderly close");
        assertNull(pair.clientHandler.closeCause(), "cause of an orderly close at the peer");
        assertFalse(serverSide.isOpen());
        awaiting().alias("client reports closed").until(() -> !pair.client.isOpen());
        pair.assertNoViolations();
    }

    @Test
    void closeDeliversTheFramesAlreadyQueued() {
        int count = 100;
        Pair pair = connectPair();
        List<CompletableFuture<Void>> sends = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            sends.add(pair.client.send(ByteBuffer.wrap(numberedFrame(i))));
        }
        pair.client.close();
        completeAll(sends);
        pair.serverHandler.assertClosedOnce();
        List<byte[]> frames = pair.serverHandler.frames();
        assertEquals(count, frames.size(), "frames delivered before onClose");
        for (int i = 0; i < count; i++) {
            assertArrayEquals(numberedFrame(i), frames.get(i), "frame " + i);
        }
        pair.assertNoViolations();
    }

    @Test
    void sendAfterCloseFails() {
        Pair pair = connectPair();
        pair.client.close();
        pair.clientHandler.assertClosedOnce();
        failure(pair.client.send(utf8("too late")));
        pair.serverHandler.assertClosedOnce();
        assertEquals(0, pair.serverHandler.frameCount(), "frames delivered after close");
        pair.assertNoViolations();
    }

    @Test
    void connectToAnAddressNobodyListensOnFailsWithinTheTimeout() {
        String address = refusingAddress();

        RecordingHandler handler = new RecordingHandler();
        long startNanos = System.nanoTime();
        CompletableFuture<Connection> connecting = transport().connect(address, handler, CONNECT_TIMEOUT);
        Duration allowed = CONNECT_TIMEOUT.plus(DEADLINE);
        ExecutionException failed = assertThrows(ExecutionException.class,
                () -> connecting.get(allowed.toMillis(), TimeUnit.MILLISECONDS),
                "connect to " + address + " after its server closed should fail");
        assertInstanceOf(ShoalException.class, failed.getCause());
        assertTrue(String.valueOf(failed.getCause().getMessage()).contains(address),
                "the failure should name " + address + ": " + failed.getCause());
        Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
        assertTrue(took.compareTo(allowed) <= 0, "connect failed only after " + took);
        assertEquals(0, handler.opens(), "onOpen of a connection that never opened");
        handler.assertNoViolations();
    }

    @Test
    void afterCloseListenThrowsAndConnectFailsWithIllegalState() {
        Transport closed = transport();
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.listen(listenAddress(), new RecordingHandler()));
        Transport.Server server = transport().listen(listenAddress(), new RecordingHandler());
        assertInstanceOf(IllegalStateException.class,
                failure(closed.connect(server.address(), new RecordingHandler(), CONNECT_TIMEOUT)));
    }

    @Test
    void aFrameOverTheInboundLimitClosesTheConnectionNamingItsSize() {
        java.util.concurrent.atomic.AtomicLong declared = new java.util.concurrent.atomic.AtomicLong();
        Pair pair = connectPair(new RecordingHandler() {
            @Override
            public void onFrameTooLarge(Connection connection, long declaredBytes, int limitBytes) {
                declared.set(declaredBytes);
                connection.send(ByteBuffer.wrap(("too large: " + declaredBytes + " > " + limitBytes)
                        .getBytes(StandardCharsets.UTF_8)));
            }
        });
        Connection serverSide = pair.serverHandler.awaitOpen();
        assertThrows(IllegalArgumentException.class, () -> serverSide.limitInboundFrameBytes(0));
        assertThrows(IllegalArgumentException.class,
                () -> serverSide.limitInboundFrameBytes(pair.serverTransport.maxFrameBytes() + 1));
        serverSide.limitInboundFrameBytes(100);
        complete(pair.client.send(ByteBuffer.wrap(new byte[100])));
        pair.serverHandler.awaitFrames(1);
        pair.client.send(ByteBuffer.wrap(new byte[101]));
        pair.serverHandler.assertClosedOnce();
        pair.clientHandler.assertClosedOnce();
        assertEquals(1, pair.serverHandler.frameCount(), "the oversized frame must not be delivered");
        assertEquals(101, declared.get(), "onFrameTooLarge names the declared size");
        assertEquals(List.of("too large: 101 > 100"), pair.clientHandler.frames().stream()
                .map(f -> new String(f, StandardCharsets.UTF_8)).toList(),
                "what onFrameTooLarge sends reaches the peer before the close");
        Throwable cause = pair.serverHandler.closeCause();
        assertNotNull(cause, "the side that refused the frame closes with a cause");
        assertTrue(String.valueOf(cause.getMessage()).contains("101"), "the cause should name the size: " + cause);
        pair.assertNoViolations();
    }

    @Test
    void queuedBytesFallBackToZeroOnceFramesAreWritten() {
        Pair pair = connectPair();
        List<CompletableFuture<Void>> sends = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sends.add(pair.client.send(ByteBuffer.wrap(new byte[1000])));
        }
        assertTrue(pair.client.queuedBytes() >= 0);
        completeAll(sends);
        awaiting().alias("queued bytes back to 0").until(() -> pair.client.queuedBytes() == 0);
        pair.serverHandler.awaitFrames(50);
        pair.assertNoViolations();
    }

    @Test
    void serverCloseClosesItsAcceptedConnections() {
        Pair pair = connectPair();
        pair.server.close();
        pair.server.close();
        pair.serverHandler.assertClosedOnce();
        pair.clientHandler.assertClosedOnce();
        awaiting().alias("client reports closed").until(() -> !pair.client.isOpen());

        CompletableFuture<Connection> again = pair.clientTransport.connect(pair.server.address(), new RecordingHandler(), CONNECT_TIMEOUT);
        assertThrows(ExecutionException.class, () -> again.get(CONNECT_TIMEOUT.plus(DEADLINE).toMillis(), TimeUnit.MILLISECONDS),
                "connect to a closed server");
        pair.assertNoViolations();
    }

    @Test
    void transportCloseEndsItsServersAndConnections() {
        Transport closing = transport();
        Transport other = transport();
        RecordingHandler closingServerHandler = new RecordingHandler();
        RecordingHandler otherServerHandler = new RecordingHandler();
        Transport.Server closingServer = closing.listen(listenAddress(), closingServerHandler);
        Transport.Server otherServer = other.listen(listenAddress(), otherServerHandler);
        RecordingHandler inbound = new RecordingHandler();
        RecordingHandler outbound = new RecordingHandler();
        Connection inboundConnection = complete(other.connect(closingServer.address(), inbound, CONNECT_TIMEOUT));
        Connection outboundConnection = complete(closing.connect(otherServer.address(), outbound, CONNECT_TIMEOUT));
        for (RecordingHandler handler : List.of(closingServerHandler, otherServerHandler, inbound, outbound)) {
            handler.awaitOpen();
        }

        closing.close();
        closing.close();
        for (RecordingHandler handler : List.of(closingServerHandler, otherServerHandler, inbound, outbound)) {
            handler.assertClosedOnce();
            handler.assertNoViolations();
        }
        assertFalse(outboundConnection.isOpen());
        awaiting().alias("inbound connection reports closed").until(() -> !inboundConnection.isOpen());
        CompletableFuture<Connection> toClosed = other.connect(closingServer.address(), new RecordingHandler(), CONNECT_TIMEOUT);
        assertThrows(ExecutionException.class,
                () -> toClosed.get(CONNECT_TIMEOUT.plus(DEADLINE).toMillis(), TimeUnit.MILLISECONDS),
                "connect to a server of a closed transport");

        RecordingHandler stillServed = new RecordingHandler();
        complete(transport().connect(otherServer.address(), stillServed, CONNECT_TIMEOUT));
        stillServed.awaitOpen();
    }

    @Test
    void handlerExceptionClosesTheConnectionWithThatCause() {
        IllegalStateException boom = new IllegalStateException("thrown by the test's handler");
        RecordingHandler throwing = new RecordingHandler() {
            @Override
            protected void received(Connection connection, byte[] frame) {
                throw boom;
            }
        };
        Pair pair = connectPair(throwing);
        complete(pair.client.send(utf8("boom")));
        throwing.assertClosedOnce();
        assertTrue(causeChainContains(throwing.closeCause(), boom),
                "onClose cause should be the handler's exception, was " + throwing.closeCause());
        pair.clientHandler.assertClosedOnce();
        awaiting().alias("client reports closed").until(() -> !pair.client.isOpen());
        pair.assertNoViolations();
    }

    // ---------------------------------------------------------------- helpers for this and subclasses

    /** Awaitility with this suite's deadline and a short poll interval. */
    protected static ConditionFactory awaiting() {
        return await().atMost(DEADLINE).pollInterval(Duration.ofMillis(10));
    }

    /** Listens on a new transport and connects to it from another one; waits until both sides are open. */
    protected final Pair connectPair() {
        return connectPair(new RecordingHandler());
    }

    protected final Pair connectPair(RecordingHandler serverHandler) {
        Transport serverTransport = transport();
        Transport clientTransport = transport();
        Transport.Server server = serverTransport.listen(listenAddress(), serverHandler);
        RecordingHandler clientHandler = new RecordingHandler();
        Connection client = complete(clientTransport.connect(server.address(), clientHandler, CONNECT_TIMEOUT));
        clientHandler.awaitOpen();
        serverHandler.awaitOpen();
        return new Pair(serverTransport, clientTransport, server, serverHandler, clientHandler, client);
    }

    /** The future's value, failing the test if it does not complete normally within {@link #DEADLINE}. */
    protected static <T> T complete(CompletableFuture<T> future) {
        try {
            return future.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("expected success, failed with " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("not completed within " + DEADLINE, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    protected static void completeAll(List<CompletableFuture<Void>> futures) {
        complete(CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])));
    }

    /** The cause the future fails with within {@link #DEADLINE}; fails the test if it succeeds. */
    protected static Throwable failure(CompletableFuture<?> future) {
        ExecutionException failed = assertThrows(ExecutionException.class,
                () -> future.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS), "expected the future to fail");
        assertNotNull(failed.getCause(), "failure cause");
        return failed.getCause();
    }

    protected static boolean causeChainContains(Throwable chain, Throwable wanted) {
        for (Throwable t = chain; t != null; t = t.getCause()) {
            if (t == wanted) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    protected static ByteBuffer utf8(String text) {
        return ByteBuffer.wrap(utf8Bytes(text));
    }

    protected static byte[] utf8Bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Frame {@code i}: its index, then {@code i % 97} bytes derived from it. */
    protected static byte[] numberedFrame(int i) {
        ByteBuffer frame = ByteBuffer.allocate(4 + i % 97).putInt(i);
        while (frame.hasRemaining()) {
            frame.put((byte) (i + frame.position()));
        }
        return frame.array();
    }

    protected static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) random.nextInt(256);
        }
        return bytes;
    }

    private static int testableMaxFrameBytes(Transport transport) {
        int max = transport.maxFrameBytes();
        assertTrue(max >= 1 && max < LARGEST_TESTABLE_FRAME, "this suite allocates frames of maxFrameBytes() = "
                + max + "; configure the transport under test with 1 to " + (LARGEST_TESTABLE_FRAME - 1) + " bytes");
        return max;
    }

    /** A connected client and server, with the handlers of both sides. */
    protected static final class Pair {
        public final Transport serverTransport;
        public final Transport clientTransport;
        public final Transport.Server server;
        public final RecordingHandler serverHandler;
        public final RecordingHandler clientHandler;
        public final Connection client;

        Pair(Transport serverTransport, Transport clientTransport, Transport.Server server,
             RecordingHandler serverHandler, RecordingHandler clientHandler, Connection client) {
            this.serverTransport = serverTransport;
            this.clientTransport = clientTransport;
            this.server = server;
            this.serverHandler = serverHandler;
            this.clientHandler = clientHandler;
            this.client = client;
        }

        /** The accepted connection, as the server's handler saw it in {@code onOpen}. */
        public Connection serverSide() {
            return serverHandler.awaitOpen();
        }

        public void assertNoViolations() {
            serverHandler.assertNoViolations();
            clientHandler.assertNoViolations();
        }
    }

    /**
     * Records the callbacks of <em>one</em> connection and checks the {@link FrameHandler} contract
     * as they happen: {@code onOpen} first and once, frames only while open, {@code onClose} once and
     * last, one callback at a time, never on the thread that created the handler (the test's
     * thread, which also sends). Override {@link #received} to act on frames.
     */
    protected static class RecordingHandler extends FrameHandler {
        public RecordingHandler() {
        }

        private final Thread testThread = Thread.currentThread();
        private final AtomicBoolean inCallback = new AtomicBoolean();
        private final List<byte[]> frames = Collections.synchronizedList(new ArrayList<>());
        private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
        private final AtomicInteger opens = new AtomicInteger();
        private final AtomicInteger closes = new AtomicInteger();
        private volatile Connection connection;
        private volatile Throwable closeCause;

        @Override
        public final void onOpen(Connection connection) {
            enter("onOpen");
            try {
                if (opens.incrementAndGet() != 1) {
                    violation("onOpen called " + opens.get() + " times");
                }
                if (closes.get() > 0 || !frames.isEmpty()) {
                    violation("onOpen after onClose or a frame");
                }
                this.connection = connection;
            } finally {
                exit();
            }
        }

        @Override
        public final void onFrame(Connection connection, ByteBuffer frame) {
            enter("onFrame");
            try {
                if (opens.get() == 0) {
                    violation("frame before onOpen");
                }
                if (closes.get() > 0) {
                    violation("frame after onClose");
                }
                byte[] copy = new byte[frame.remaining()];
                frame.get(copy);
                frames.add(copy);
                received(connection, copy);
            } finally {
                exit();
            }
        }

        @Override
        public final void onClose(Connection connection, Throwable cause) {
            enter("onClose");
            try {
                if (opens.get() == 0) {
                    violation("onClose without onOpen");
                }
                closeCause = cause;
                if (closes.incrementAndGet() != 1) {
                    violation("onClose called " + closes.get() + " times");
                }
            } finally {
                exit();
            }
        }

        /** Called with each frame (already recorded) on the transport's thread. */
        protected void received(Connection connection, byte[] frame) {
        }

        public List<byte[]> frames() {
            synchronized (frames) {
                return new ArrayList<>(frames);
            }
        }

        public int frameCount() {
            return frames.size();
        }

        public int opens() {
            return opens.get();
        }

        public int closes() {
            return closes.get();
        }

        public Throwable closeCause() {
            return closeCause;
        }

        /** Waits until {@code count} frames arrived and checks no more did. */
        public void awaitFrames(int count) {
            awaiting().alias(count + " frames arrive").until(frames::size, n -> n >= count);
            assertEquals(count, frames.size(), "frames received");
        }

        /** Waits for {@code onOpen} and returns its connection. */
        public Connection awaitOpen() {
            awaiting().alias("onOpen is called").until(opens::get, n -> n > 0);
            return connection;
        }

        /** Waits for {@code onClose} and checks it is not called again for a short while. */
        public void assertClosedOnce() {
            awaiting().alias("onClose is called").until(closes::get, n -> n > 0);
            await().alias("onClose is called exactly once").atMost(DEADLINE).pollInterval(Duration.ofMillis(10))
                    .during(Duration.ofMillis(200)).until(closes::get, n -> n == 1);
        }

        public void assertNoViolations() {
            synchronized (violations) {
                if (!violations.isEmpty()) {
                    fail("FrameHandler contract violated: " + violations);
                }
            }
        }

        private void enter(String callback) {
            if (Thread.currentThread() == testThread) {
                violation(callback + " ran on the test's thread");
            }
            if (!inCallback.compareAndSet(false, true)) {
                violation(callback + " overlapped another callback of the same connection");
            }
        }

        private void exit() {
            inCallback.set(false);
        }

        private void violation(String what) {
            violations.add(what + " (on " + Thread.currentThread().getName() + ")");
        }
    }
}
