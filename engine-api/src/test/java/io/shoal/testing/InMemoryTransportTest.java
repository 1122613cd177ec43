package io.shoal.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.ShoalException;
import io.shoal.spi.Connection;
import io.shoal.spi.Transport;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

class InMemoryTransportTest extends TransportContractTest {

    private final InMemoryTransport.Network network = new InMemoryTransport.Network();

    @Override
    protected Transport newTransport() {
        return new InMemoryTransport(network);
    }

    @Override
    protected String listenAddress() {
        return "mem:*";
    }

    @Test
    void defaultMaxFrameIs16MiB() {
        assertEquals(16 << 20, transport().maxFrameBytes());
    }

    @Test
    void ephemeralAddressesGetFreshNames() {
        Transport transport = transport();
        String first = transport.listen("mem:*", new RecordingHandler()).address();
        String second = transport.listen("mem:", new RecordingHandler()).address();
        assertTrue(first.startsWith("mem:") && first.length() > 4, first);
        assertTrue(second.startsWith("mem:") && second.length() > 4, second);
        assertNotEquals(first, second);
        assertEquals(Set.of(first, second), network.addresses());
    }

    @Test
    void namedAddressIsUsedAsIsAndCannotBeTakenTwice() {
        Transport transport = transport();
        Transport.Server server = transport.listen("mem:node-1", new RecordingHandler());
        assertEquals("mem:node-1", server.address());
        ShoalException taken = assertThrows(ShoalException.class,
                () -> transport().listen("mem:node-1", new RecordingHandler()));
        assertTrue(taken.getMessage().contains("mem:node-1"), taken.getMessage());

        server.close();
        assertEquals("mem:node-1", transport.listen("mem:node-1", new RecordingHandler()).address(),
                "a closed server's name is free again");
    }

    @Test
    void listenOnAForeignAddressFails() {
        ShoalException wrong = assertThrows(ShoalException.class,
                () -> transport().listen("127.0.0.1:0", new RecordingHandler()));
        assertTrue(wrong.getMessage().contains("127.0.0.1:0"), wrong.getMessage());
    }

    @Test
    void connectToAnUnknownNameFailsAtOnceNamingIt() {
        CompletableFuture<Connection> connecting =
                transport().connect("mem:nobody", new RecordingHandler(), Duration.ofMinutes(5));
        assertTrue(connecting.isCompletedExceptionally(), "should fail at once, not after the timeout");
        Throwable cause = failure(connecting);
        assertInstanceOf(ShoalException.class, cause);
        assertTrue(cause.getMessage().contains("mem:nobody"), cause.getMessage());
    }

    @Test
    void oversizedSendFailsWithIllegalArgumentNamingTheSize() {
        InMemoryTransport small = new InMemoryTransport(network, 100);
        try {
            Transport.Server server = small.listen("mem:*", new RecordingHandler());
            Connection client = complete(small.connect(server.address(), new RecordingHandler(), CONNECT_TIMEOUT));
            Throwable cause = failure(client.send(ByteBuffer.allocate(101)));
            assertInstanceOf(IllegalArgumentException.class, cause);
            assertTrue(cause.getMessage().contains("101"), cause.getMessage());
            complete(client.send(ByteBuffer.allocate(100)));
        } finally {
            small.close();
        }
    }

    @Test
    void frameOverTheReceiversMaxClosesTheConnection() {
        InMemoryTransport receiving = new InMemoryTransport(network, 100);
        try {
            RecordingHandler serverHandler = new RecordingHandler();
            Transport.Server server = receiving.listen("mem:*", serverHandler);
            RecordingHandler clientHandler = new RecordingHandler();
            Connection client = complete(transport().connect(server.address(), clientHandler, CONNECT_TIMEOUT));

            Throwable cause = failure(client.send(ByteBuffer.allocate(500)));
            assertTrue(cause.getMessage().contains("500"), cause.getMessage());
            serverHandler.assertClosedOnce();
            assertTrue(serverHandler.closeCause().getMessage().contains("500"), String.valueOf(serverHandler.closeCause()));
            clientHandler.assertClosedOnce();
            assertEquals(0, serverHandler.frameCount());
        } finally {
            receiving.close();
        }
    }

    @Test
    void framesQueuedBehindAHandlerExceptionAreNotDelivered() {
        IllegalStateException boom = new IllegalStateException("first frame fails");
        RecordingHandler throwing = new RecordingHandler() {
            @Override
            protected void received(Connection connection, byte[] frame) {
                throw boom;
            }
        };
        Pair pair = connectPair(throwing);
        List<CompletableFuture<Void>> sends = List.of(pair.client.send(utf8("one")), pair.client.send(utf8("two")));
        throwing.assertClosedOnce();
        assertSame(boom, throwing.closeCause());
        assertEquals(1, throwing.frameCount(), "frames delivered after the handler threw");
        complete(sends.get(0));
        failure(sends.get(1));
        pair.clientHandler.assertClosedOnce();
        assertNull(pair.clientHandler.closeCause(), "the peer sees an orderly close");
    }

    @Test
    void closingTheTransportFromItsOwnHandlerDoesNotDeadlock() {
        InMemoryTransport serverTransport = new InMemoryTransport(network);
        try {
            RecordingHandler closingHandler = new RecordingHandler() {
                @Override
                protected void received(Connection connection, byte[] frame) {
                    serverTransport.close();
                }
            };
            Transport.Server server = serverTransport.listen("mem:*", closingHandler);
            RecordingHandler clientHandler = new RecordingHandler();
            Connection client = complete(transport().connect(server.address(), clientHandler, CONNECT_TIMEOUT));
            complete(client.send(utf8("close your transport")));
            closingHandler.assertClosedOnce();
            clientHandler.assertClosedOnce();
            closingHandler.assertNoViolations();
            clientHandler.assertNoViolations();
        } finally {
            serverTransport.close();
        }
    }

    @Test
    void closeLeavesNoLiveThreadsStartedByTheTransport() {
        InMemoryTransport serverTransport = new InMemoryTransport(network);
        InMemoryTransport clientTransport = new InMemoryTransport(network);
        Transport.Server server = serverTransport.listen("mem:*", new RecordingHandler());
        for (int i = 0; i < 5; i++) {
            Connection client = complete(clientTransport.connect(server.address(), new RecordingHandler(), CONNECT_TIMEOUT));
            complete(client.send(utf8("hello " + i)));
        }
        List<String> live = liveThreadsNamed(serverTransport, clientTransport);
        assertTrue(live.size() >= 10, "expected a thread per connection side, saw " + live);

        clientTransport.close();
        serverTransport.close();
        awaiting().alias("threads of the closed transports end")
                .until(() -> liveThreadsNamed(serverTransport, clientTransport), List::isEmpty);
    }

    private static List<String> liveThreadsNamed(InMemoryTransport... transports) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(name -> Arrays.stream(transports).anyMatch(t -> name.startsWith(t.threadNamePrefix())))
                .toList();
    }
}
