package io.shoal.transport.tcp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.shoal.ShoalException;
import io.shoal.spi.Connection;
import io.shoal.spi.Transport;
import io.shoal.testing.TransportContractTest;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The transport contract over plain TCP, then what is particular to TCP: framing, limits, addresses. */
class TcpTransportTest extends TransportContractTest {

    private final List<Transport> customTransports = Collections.synchronizedList(new ArrayList<>());

    @Override
    protected Transport newTransport() {
        return TestSettings.transport();
    }

    private final List<java.net.Socket> heldPorts = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    protected String refusingAddress() {
        return TestSettings.refusingAddress(heldPorts);
    }

    @AfterEach
    void releaseHeldPorts() throws java.io.IOException {
        for (java.net.Socket socket : heldPorts) {
            socket.close();
        }
        heldPorts.clear();
    }

    @Override
    protected String listenAddress() {
        return "127.0.0.1:0";
    }

    @AfterEach
    void closeCustomTransports() {
        List<Transport> toClose;
        synchronized (customTransports) {
            toClose = new ArrayList<>(customTransports);
            customTransports.clear();
        }
        toClose.forEach(Transport::close);
    }

    /** A transport with some defaults changed ({@code "maxConnections", 2}), closed after the test. */
    private TcpTransport custom(Object... keysAndValues) {
        TcpTransport transport = TestSettings.transport(keysAndValues);
        customTransports.add(transport);
        return transport;
    }

    @Test
    void addressesNameTheBoundPortAndThePeers() {
        Pair pair = connectPair();
        assertTrue(pair.server.address().matches("127\\.0\\.0\\.1:[1-9][0-9]*"), pair.server.address());
        assertEquals(pair.server.address(), pair.client.remoteAddress());
        String clientSide = pair.serverSide().remoteAddress();
        assertTrue(clientSide.matches("127\\.0\\.0\\.1:[1-9][0-9]*"), clientSide);
        assertNotEquals(pair.server.address(), clientSide);
    }

    @Test
    void malformedAddressesAreRejectedNamingThem() {
        Transport transport = transport();
        for (String bad : List.of("127.0.0.1", "127.0.0.1:", ":7000", "127.0.0.1:65536", "127.0.0.1:-1",
                "127.0.0.1:http", "::1:7000", "[::1]")) {
            ShoalException listening = assertThrows(ShoalException.class, () -> transport.listen(bad, new RecordingHandler() { }));
            assertTrue(listening.getMessage().contains("\"" + bad + "\""), listening.getMessage());
            Throwable connecting = failure(transport.connect(bad, new RecordingHandler() { }, CONNECT_TIMEOUT));
            assertInstanceOf(ShoalException.class, connecting);
            assertTrue(connecting.getMessage().contains("\"" + bad + "\""), connecting.getMessage());
        }
        Throwable portZero = failure(transport.connect("127.0.0.1:0", new RecordingHandler() { }, CONNECT_TIMEOUT));
        assertTrue(portZero.getMessage().contains("127.0.0.1:0"), portZero.getMessage());
    }

    @Test
    void listenOnAnAddressInUseFailsNamingIt() {
        Transport.Server server = transport().listen(listenAddress(), new RecordingHandler() { });
        ShoalException inUse = assertThrows(ShoalException.class,
                () -> transport().listen(server.address(), new RecordingHandler() { }));
        assertTrue(inUse.getMessage().contains(server.address()), inUse.getMessage());
    }

    @Test
    void connectToAClosedPortFailsWithAShoalExceptionNamingTheAddress() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        String address = "127.0.0.1:" + port;
        Duration timeout = Duration.ofSeconds(5);
        long startNanos = System.nanoTime();
        Throwable cause = failure(transport().connect(address, new RecordingHandler() { }, timeout));
        Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
        assertInstanceOf(ShoalException.class, cause);
        assertTrue(cause.getMessage().contains(address), cause.getMessage());
        assertTrue(took.compareTo(timeout) < 0, "failed only after " + took);
    }

    @Test
    void sendOverMaxFrameBytesFailsNamingTheSizeAndTheConnectionStaysOpen() {
        TcpTransport server = custom("maxFrameBytes", 1024);
        RecordingHandler serverHandler = new RecordingHandler() { };
        Transport.Server listening = server.listen(listenAddress(), serverHandler);
        Connection client = complete(custom("maxFrameBytes", 1024).connect(listening.address(), new RecordingHandler() { }, CONNECT_TIMEOUT));

        Throwable tooLarge = failure(client.send(ByteBuffer.allocate(1025)));
        assertInstanceOf(IllegalArgumentException.class, tooLarge);
        assertTrue(tooLarge.getMessage().contains("1025") && tooLarge.getMessage().contains("1024"), tooLarge.getMessage());
        assertTrue(client.isOpen());

        complete(client.send(ByteBuffer.allocate(1024)));
        serverHandler.awaitFrames(1);
        assertEquals(1024, serverHandler.frames().get(0).length);
        serverHandler.assertNoViolations();
    }

    @Test
    void connectionsOverTheLimitAreClosedAtOnceAndTheOthersKeepWorking() {
        TcpTransport clients = custom();
        ServerRecorder serverHandler = new ServerRecorder(true);
        TcpServer server = (TcpServer) custom("maxConnections", 2).listen(listenAddress(), serverHandler);
        RecordingHandler first = new RecordingHandler() { };
        RecordingHandler second = new RecordingHandler() { };
        Connection one = complete(clients.connect(server.address(), first, CONNECT_TIMEOUT));
        Connection two = complete(clients.connect(server.address(), second, CONNECT_TIMEOUT));
        awaiting().alias("both connections open at the server").until(() -> serverHandler.opened.size() == 2);

        RecordingHandler third = new RecordingHandler() { };
        CompletableFuture<Connection> refused = clients.connect(server.address(), third, CONNECT_TIMEOUT);
        awaiting().alias("the third connect finishes").until(refused::isDone);
        if (!refused.isCompletedExceptionally()) { // TCP accepted it before the server closed it
            third.assertClosedOnce();
        }
        awaiting().alias("the refusal is counted").until(server::refusedConnections, n -> n == 1);
        assertEquals(2, serverHandler.opened.size(), "connections the server's handler saw");

        complete(one.send(utf8("one")));
        complete(two.send(utf8("two")));
        first.awaitFrames(1);
        second.awaitFrames(1);
        assertArrayEquals(utf8Bytes("one"), first.frames().get(0));
        assertArrayEquals(utf8Bytes("two"), second.frames().get(0));

        one.close();
        awaiting().alias("the server sees the first connection close").until(() -> serverHandler.closed.size() == 1);
        RecordingHandler fourth = new RecordingHandler() { };
        Connection four = complete(clients.connect(server.address(), fourth, CONNECT_TIMEOUT));
        complete(four.send(utf8("four")));
        fourth.awaitFrames(1);
        assertEquals(1, server.refusedConnections(), "a closed connection gives its place back");
        for (RecordingHandler handler : List.of(first, second, third, fourth)) {
            handler.assertNoViolations();
        }
    }

    /** The length is unsigned on the wire: -1 is 2^32 - 1 bytes, {@code Integer.MIN_VALUE} 2^31. */
    @ParameterizedTest(name = "declared length {0}")
    @ValueSource(ints = {1025, Integer.MAX_VALUE, -1, Integer.MIN_VALUE})
    void aLengthOverTheLimitClosesThatConnectionOnly(int declaredLength) throws IOException {
        ServerRecorder serverHandler = new ServerRecorder(true);
        Transport.Server server = custom("maxFrameBytes", 1024).listen(listenAddress(), serverHandler);
        RecordingHandler wellBehaved = new RecordingHandler() { };
        Connection client = complete(custom("maxFrameBytes", 1024).connect(server.address(), wellBehaved, CONNECT_TIMEOUT));

        try (Socket raw = rawConnect(server)) {
            raw.getOutputStream().write(ByteBuffer.allocate(8).putInt(declaredLength).putInt(0x0BAD0BAD).array());
            assertClosedByPeer(raw);
            String rawAddress = "127.0.0.1:" + raw.getLocalPort();
            awaiting().alias("the server's handler sees the raw connection close")
                    .until(() -> Optional.ofNullable(serverHandler.openedFrom(rawAddress)).map(serverHandler.closed::get),
                            Optional::isPresent);
            Throwable cause = serverHandler.closed.get(serverHandler.openedFrom(rawAddress)).orElseThrow();
            assertTrue(cause.getMessage().contains(Integer.toUnsignedString(declaredLength)) && cause.getMessage().contains("1024"),
                    "the cause should name the length and the limit: " + cause);
            assertTrue(serverHandler.frames.get(serverHandler.openedFrom(rawAddress)).isEmpty());
        }

        complete(client.send(utf8("still served")));
        wellBehaved.awaitFrames(1);
        assertTrue(client.isOpen());
        wellBehaved.assertNoViolations();
    }

    @Test
    void framesSplitAcrossWritesOrSharingOneArriveWhole() throws IOException {
        ServerRecorder serverHandler = new ServerRecorder(false);
        Transport.Server server = transport().listen(listenAddress(), serverHandler);
        List<byte[]> expected = new ArrayList<>();
        try (Socket raw = rawConnect(server)) {
            OutputStream out = raw.getOutputStream();
            byte[] split = randomBytes(50, 1);
            expected.add(split);
            for (byte b : ByteBuffer.allocate(4 + split.length).putInt(split.length).put(split).array()) {
                out.write(b); // one write (and, with TCP_NODELAY, one segment) per byte
                out.flush();
            }
            ByteBuffer batch = ByteBuffer.allocate(10 * (4 + 97) + 4);
            for (int i = 0; i < 10; i++) {
                byte[] frame = numberedFrame(i);
                expected.add(frame);
                batch.putInt(frame.length).put(frame);
            }
            expected.add(new byte[0]);
            batch.putInt(0);
            out.write(batch.array(), 0, batch.position());
            out.flush();

            String rawAddress = "127.0.0.1:" + raw.getLocalPort();
            awaiting().alias("12 frames arrive").until(() -> Optional.ofNullable(serverHandler.openedFrom(rawAddress))
                    .map(c -> serverHandler.frames.get(c).size()).orElse(0), n -> n >= 12);
            List<byte[]> received = serverHandler.frames.get(serverHandler.openedFrom(rawAddress));
            assertEquals(expected.size(), received.size());
            for (int i = 0; i < expected.size(); i++) {
                assertArrayEquals(expected.get(i), received.get(i), "frame " + i);
            }
        }
    }

    @Test
    void aPeerThatSendsHalfAFrameAndStallsDoesNotHoldUpOthers() throws IOException {
        // One event-loop thread on each side: the stalled peer and the others share it.
        ServerRecorder serverHandler = new ServerRecorder(true);
        Transport.Server server = custom("ioThreads", 1).listen(listenAddress(), serverHandler);
        try (Socket raw = rawConnect(server)) {
            byte[] payload = randomBytes(100, 7);
            byte[] frame = ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array();
            raw.getOutputStream().write(frame, 0, 14);
            raw.getOutputStream().flush();

            RecordingHandler other = new RecordingHandler() { };
            Connection client = complete(custom("ioThreads", 1).connect(server.address(), other, CONNECT_TIMEOUT));
            List<CompletableFuture<Void>> sends = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                sends.add(client.send(ByteBuffer.wrap(numberedFrame(i))));
            }
            completeAll(sends);
            other.awaitFrames(100);
            for (int i = 0; i < 100; i++) {
                assertArrayEquals(numberedFrame(i), other.frames().get(i), "echo " + i);
            }

            raw.getOutputStream().write(frame, 14, frame.length - 14);
            raw.getOutputStream().flush();
            byte[] echoed = raw.getInputStream().readNBytes(frame.length);
            assertArrayEquals(frame, echoed, "the stalled frame, completed, arrives whole and is echoed");
            other.assertNoViolations();
        }
    }

    @Test
    void closingAConnectionWhosePeerStopsReadingEndsAfterTheCloseWaitAndFailsTheUnwrittenFrames() throws IOException {
        try (ServerSocket neverReads = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            RecordingHandler handler = new RecordingHandler() { };
            Connection client = complete(transport().connect("127.0.0.1:" + neverReads.getLocalPort(), handler, CONNECT_TIMEOUT));
            List<CompletableFuture<Void>> sends = new ArrayList<>();
            for (int i = 0; i < 8; i++) { // 64 MiB: far more than the socket buffers on both sides hold
                sends.add(client.send(ByteBuffer.allocate(8 << 20)));
            }
            client.close();
            await().atMost(DEADLINE.plusMillis(TcpTransport.CLOSE_WAIT_MS)).alias("the connection closes anyway")
                    .until(() -> handler.closes() == 1);
            awaiting().alias("every send finishes").until(() -> sends.stream().allMatch(CompletableFuture::isDone));
            assertTrue(sends.stream().anyMatch(CompletableFuture::isCompletedExceptionally),
                    "frames the peer never read should fail their sends");
            handler.assertNoViolations();
        }
    }

    @Test
    void framesSentFromHandlersOnTheEventLoopsAreFlushed() {
        int roundTrips = 2_000;
        Transport.Server server = transport().listen(listenAddress(), new ServerRecorder(true));
        CompletableFuture<Integer> done = new CompletableFuture<>();
        RecordingHandler bouncing = new RecordingHandler() {
            @Override
            protected void received(Connection connection, byte[] frame) {
                int count = ByteBuffer.wrap(frame).getInt();
                if (count == roundTrips) {
                    done.complete(count);
                } else {
                    connection.send(ByteBuffer.allocate(4).putInt(count + 1).flip());
                }
            }
        };
        Connection client = complete(transport().connect(server.address(), bouncing, CONNECT_TIMEOUT));
        complete(client.send(ByteBuffer.allocate(4).putInt(1).flip()));
        assertEquals(roundTrips, complete(done));
        bouncing.assertNoViolations();
    }

    @Test
    void creatingATransportStartsNoThreadAndClosingEndsThem() {
        TcpTransport transport = custom();
        assertEquals(List.of(), threadsOf(transport), "threads before the first listen or connect");
        Transport.Server server = transport.listen(listenAddress(), new RecordingHandler() { });
        complete(transport.connect(server.address(), new RecordingHandler() { }, CONNECT_TIMEOUT));
        assertFalse(threadsOf(transport).isEmpty(), "the transport's event-loop threads are named after it");

        transport.close();
        transport.close();
        awaiting().alias("the closed transport's threads end").until(() -> threadsOf(transport), List::isEmpty);
        assertThrows(IllegalStateException.class, () -> transport.listen(listenAddress(), new RecordingHandler() { }));
        assertInstanceOf(IllegalStateException.class,
                failure(transport.connect(server.address(), new RecordingHandler() { }, CONNECT_TIMEOUT)));
    }

    @Test
    void closingTheTransportFromItsOwnHandlerDoesNotDeadlock() {
        TcpTransport serverTransport = custom();
        RecordingHandler closingHandler = new RecordingHandler() {
            @Override
            protected void received(Connection connection, byte[] frame) {
                serverTransport.close();
            }
        };
        Transport.Server server = serverTransport.listen(listenAddress(), closingHandler);
        RecordingHandler clientHandler = new RecordingHandler() { };
        Connection client = complete(transport().connect(server.address(), clientHandler, CONNECT_TIMEOUT));
        complete(client.send(utf8("close your transport")));
        closingHandler.assertClosedOnce();
        clientHandler.assertClosedOnce();
        awaiting().alias("the closed transport's threads end").until(() -> threadsOf(serverTransport), List::isEmpty);
        closingHandler.assertNoViolations();
        clientHandler.assertNoViolations();
    }

    static List<String> threadsOf(TcpTransport transport) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(name -> name.startsWith(transport.threadNamePrefix()))
                .toList();
    }

    static Socket rawConnect(Transport.Server server) throws IOException {
        String address = server.address();
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), (int) CONNECT_TIMEOUT.toMillis());
        socket.setSoTimeout((int) DEADLINE.toMillis());
        socket.setTcpNoDelay(true);
        return socket;
    }

    /** The peer closed {@code socket} (an end of stream or a reset) within {@link #DEADLINE}. */
    static void assertClosedByPeer(Socket socket) throws IOException {
        try {
            byte[] rest = socket.getInputStream().readAllBytes();
            assertEquals(0, rest.length, "bytes from a peer that should have closed at once");
        } catch (SocketTimeoutException e) {
            fail("the peer did not close the connection within " + DEADLINE);
        } catch (SocketException e) {
            // reset: the peer closed with our bytes unread, which is closing too
        }
    }
}
