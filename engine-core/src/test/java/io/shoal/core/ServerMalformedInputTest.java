package io.shoal.core;

import io.shoal.ShoalNode;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.Frame;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.stream.Stream;

import static io.shoal.core.RawSocket.Wire;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input from a raw socket (docs/protocol.md section 3): every malformed field gets its specific
 * error and a closed connection, frames over the limit and stalled peers are cut off, and the node
 * goes on serving a well-behaved client meanwhile.
 */
class ServerMalformedInputTest {
    private static final long AUTH_TIMEOUT_MS = 1500;
    private static final long DEAD_PEER_MS = 500;
    private static ShoalNode node;
    private RawClient bystander;

    @BeforeAll
    static void startNode() {
        node = ServerNodes.start(Map.of("server.authTimeoutMs", AUTH_TIMEOUT_MS));
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @BeforeEach
    void connectBystander() {
        bystander = RawClient.connect(ServerNodes.address(node));
        bystander.hello();
    }

    @AfterEach
    void bystanderIsStillServed() {
        try {
            byte[] key = {1, 2, 3};
            bystander.call(new Request.Put("bystander", key, key, 0), Reply.Put.class);
            assertEquals(3, bystander.call(new Request.Get("bystander", key), Reply.Get.class).value().length);
        } finally {
            bystander.close();
        }
    }

    private static String address() {
        return ServerNodes.address(node);
    }

    private static Wire ready(int opcode) {
        return Wire.request(opcode);
    }

    static Stream<Arguments> malformed() {
        byte[] huge32 = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
        return Stream.of(
                // before HELLO
                bad("empty frame", false, new byte[0], ErrorCode.MALFORMED_FRAME, 0),
                bad("shorter than the header", false, new byte[] {1, 0, 0}, ErrorCode.MALFORMED_FRAME, 0),
                bad("reserved field set", false, new byte[] {3, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1},
                        ErrorCode.MALFORMED_FRAME, 3),
                bad("flag bit 7", false, Wire.frame(3, 0x80, 5).i64(1).build(), ErrorCode.MALFORMED_FRAME, 3),
                bad("PUSH flag on a request", false, Wire.frame(3, 4, 0).i64(1).build(), ErrorCode.MALFORMED_FRAME, 3),
                bad("ERROR without REPLY", false, Wire.frame(3, 2, 5).i64(1).build(), ErrorCode.MALFORMED_FRAME, 3),
                bad("unknown opcode", false, Wire.frame(0x7E, 0, 5).build(), ErrorCode.UNKNOWN_OPCODE, 0x7E),
                bad("HELLO clusterName length past the end", false,
                        Wire.request(1).u16(1).u16(1).u16(100).raw(new byte[3]).build(), ErrorCode.MALFORMED_FRAME, 1),
                bad("HELLO clusterName length 0xFFFF", false,
                        Wire.request(1).u16(1).u16(1).u16(0xFFFF).build(), ErrorCode.MALFORMED_FRAME, 1),
                bad("HELLO clientName length too short", false,
                        Wire.request(1).u16(1).u16(1).str("").u16(1).raw(new byte[3]).build(), ErrorCode.MALFORMED_FRAME, 1),
                bad("HELLO without clientName", false, Wire.request(1).u16(1).u16(1).str("").build(),
                        ErrorCode.MALFORMED_FRAME, 1),
                bad("HELLO clientName not UTF-8", false,
                        Wire.request(1).u16(1).u16(1).str("").u16(2).u8(0xC3).u8(0x28).build(), ErrorCode.MALFORMED_FRAME, 1),
                bad("HELLO with a byte left over", false, Wire.request(1).u16(1).u16(1).str("").str("x").u8(0).build(),
                        ErrorCode.MALFORMED_FRAME, 1),
                bad("AUTH nonce one byte short", false, Wire.request(2).raw(new byte[63]).build(), ErrorCode.MALFORMED_FRAME, 2),
                bad("GOODBYE reason overlong UTF-8", false, Wire.request(4).u16(2).u8(0xC0).u8(0xAF).build(),
                        ErrorCode.MALFORMED_FRAME, 4),
                bad("PING payload of 7 bytes", false, Wire.request(3).raw(new byte[7]).build(), ErrorCode.MALFORMED_FRAME, 3),
                bad("GET before HELLO with a huge key length", false, Wire.request(0x10).str("m").raw(huge32).build(),
                        ErrorCode.MALFORMED_FRAME, 0x10),
                // READY
                bad("GET map length past the end", true, Wire.request(0x10).u16(200).raw(new byte[20]).build(),
                        ErrorCode.MALFORMED_FRAME, 0x10),
                bad("GET key length 0xFFFFFFFF", true, Wire.request(0x10).str("m").raw(huge32).raw(new byte[4]).build(),
                        ErrorCode.MALFORMED_FRAME, 0x10),
                bad("GET key length one too long", true, Wire.request(0x10).str("m").u32(4).raw(new byte[3]).build(),
                        ErrorCode.MALFORMED_FRAME, 0x10),
                bad("GET key length one too short", true, Wire.request(0x10).str("m").u32(2).raw(new byte[3]).build(),
                        ErrorCode.MALFORMED_FRAME, 0x10),
                bad("PUT value length 0x80000000", true,
                        Wire.request(0x13).str("m").bytes("k").u32(0x8000_0000L).raw(new byte[8]).build(),
                        ErrorCode.MALFORMED_FRAME, 0x13),
                bad("PUT without ttlMs", true, Wire.request(0x13).str("m").bytes("k").bytes("v").build(),
                        ErrorCode.MALFORMED_FRAME, 0x13),
                bad("PUT ttlMs cut short", true, Wire.request(0x13).str("m").bytes("k").bytes("v").raw(new byte[5]).build(),
                        ErrorCode.MALFORMED_FRAME, 0x13),
                bad("PUT with a bad map name and a byte left over", true,
                        Wire.request(0x13).str("").bytes("k").bytes("v").i64(-1).u8(0).build(), ErrorCode.MALFORMED_FRAME, 0x13),
                bad("REPLACE condition 3", true,
                        Wire.request(0x15).str("m").bytes("k").bytes("v").i64(0).u8(3).i64(0).build(),
                        ErrorCode.MALFORMED_FRAME, 0x15),
                bad("REMOVE condition 255", true, Wire.request(0x16).str("m").bytes("k").u8(255).i64(0).build(),
                        ErrorCode.MALFORMED_FRAME, 0x16),
                bad("REMOVE without expected", true, Wire.request(0x16).str("m").bytes("k").u8(0).build(),
                        ErrorCode.MALFORMED_FRAME, 0x16),
                bad("SIZE map name not UTF-8", true, Wire.request(0x17).u16(1).u8(0xFF).build(), ErrorCode.MALFORMED_FRAME, 0x17),
                bad("SCAN hasCursor 2", true, Wire.request(0x19).str("m").u32(0).u8(2).u32(10).build(),
                        ErrorCode.MALFORMED_FRAME, 0x19),
                bad("SCAN afterKey length huge", true,
                        Wire.request(0x19).str("m").u32(0).u8(1).i64(5).raw(huge32).u32(10).build(),
                        ErrorCode.MALFORMED_FRAME, 0x19),
                bad("SCAN without maxEntries", true, Wire.request(0x19).str("m").u32(0).u8(0).build(),
                        ErrorCode.MALFORMED_FRAME, 0x19),
                bad("HASH_CHECK data length huge", true, Wire.request(0x20).raw(huge32).build(), ErrorCode.MALFORMED_FRAME, 0x20),
                bad("SUBSCRIBE kind 3", true, Wire.request(0x30).str("m").u8(3).bytes("").build(), ErrorCode.MALFORMED_FRAME, 0x30),
                bad("SUBSCRIBE match length huge", true, Wire.request(0x30).str("m").u8(2).raw(huge32).build(),
                        ErrorCode.MALFORMED_FRAME, 0x30),
                bad("UNSUBSCRIBE id of 3 bytes", true, Wire.request(0x31).raw(new byte[3]).build(), ErrorCode.MALFORMED_FRAME, 0x31),
                bad("STATS with a byte left over", true, Wire.request(0x41).u8(0).build(), ErrorCode.MALFORMED_FRAME, 0x41),
                bad("LOAD_LEVELS with bytes left over", true, Wire.request(0x42).i64(0).build(), ErrorCode.MALFORMED_FRAME, 0x42),
                bad("error reply with a code not in section 5", true, Wire.frame(0x10, 3, 5).u16(77).str("x").build(),
                        ErrorCode.MALFORMED_FRAME, 0x10),
                bad("push with a request id", true, Wire.frame(0x33, 4, 5).u32(1).i64(1).build(), ErrorCode.MALFORMED_FRAME, 0x33),
                bad("EVENT opcode with REPLY", true, Wire.frame(0x32, 1, 5).build(), ErrorCode.MALFORMED_FRAME, 0x32),
                bad("a push from the client", true, Wire.frame(0x33, 4, 0).u32(1).i64(1).build(),
                        ErrorCode.PROTOCOL_VIOLATION, 0x33),
                bad("a reply to a request the node never sent", true, Wire.frame(0x10, 1, 5).u8(0).build(),
                        ErrorCode.PROTOCOL_VIOLATION, 0x10),
                bad("a GOODBYE reply without the node's GOODBYE", true, Wire.frame(0x04, 1, 5).build(),
                        ErrorCode.PROTOCOL_VIOLATION, 0x04));
    }

    private static Arguments bad(String name, boolean ready, byte[] frame, ErrorCode code, int opcode) {
        return Arguments.of(name, ready, frame, code, opcode);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedFramesGetTheirErrorAndACloseConnection(String name, boolean ready, byte[] frame, ErrorCode code,
                                                        int opcode) {
        try (RawSocket socket = RawSocket.connect(address())) {
            if (ready) {
                socket.hello();
            }
            socket.writeFrame(frame);
            ErrorReply error = socket.expectErrorAndClose(code);
            assertEquals(opcode, error.opcode(), error::toString);
            assertTrue(!error.message().isEmpty());
        }
    }

    @Test
    void theErrorEchoesTheRequestIdWhenTheHeaderCanBeRead() {
        try (RawSocket socket = RawSocket.connect(address())) {
            socket.hello();
            socket.writeFrame(Wire.frame(0x10, 0, 0xCAFE).str("m").u32(9).build());
            Frame frame = socket.read();
            assertEquals(0xCAFE, frame.requestId());
            assertEquals(ErrorCode.MALFORMED_FRAME, assertInstanceOf(ErrorReply.class, frame.body()).code());
            socket.expectClosed();
        }
    }

    @Test
    void commandsBeforeHelloGetNotAuthenticated() {
        try (RawSocket socket = RawSocket.connect(address())) {
            socket.writeFrame(Wire.request(0x10).str("m").bytes("k").build());
            socket.expectErrorAndClose(ErrorCode.NOT_AUTHENTICATED);
        }
    }

    @Test
    void aFrameOverTheLimitBeforeReadyIsRefusedByItsLengthWithFrameTooLarge() {
        try (RawSocket socket = RawSocket.connect(address())) {
            socket.writeRaw(ByteBuffer.allocate(4 + 1025).putInt(1025).array());
            ErrorReply error = socket.expectErrorAndClose(ErrorCode.FRAME_TOO_LARGE);
            assertEquals(0, error.opcode(), "refused by its length: the header was never read");
            assertTrue(error.message().contains("1025") && error.message().contains("1024"), error.message());
        }
        try (RawSocket socket = RawSocket.connect(address())) {
            // exactly 1,024 bytes is allowed
            String clientName = "x".repeat(1024 - 8 - 4 - 2 - 2);
            socket.writeFrame(Wire.request(1).u16(1).u16(1).str("").str(clientName).build());
            assertInstanceOf(Reply.Hello.class, socket.read().body());
        }
    }

    @Test
    void aFrameOverTheLimitBeforeReadyGetsFrameTooLargeWhenTheTransportDeliversIt() {
        try (ShoalNode unlimited = ServerNodes.start(Map.of("transport", "tcp-unlimited"))) {
            try (RawSocket socket = RawSocket.connect(ServerNodes.address(unlimited))) {
                byte[] frame = Wire.request(3).raw(new byte[1025 - 8]).build();
                socket.writeFrame(frame);
                ErrorReply error = socket.expectErrorAndClose(ErrorCode.FRAME_TOO_LARGE);
                assertEquals(3, error.opcode());
                assertTrue(error.message().contains("1024"), error.message());
            }
            try (RawSocket socket = RawSocket.connect(ServerNodes.address(unlimited))) {
                socket.writeFrame(new byte[2000]);
                ErrorReply error = socket.expectErrorAndClose(ErrorCode.FRAME_TOO_LARGE);
                assertEquals(0, error.opcode(), "a header of zeros: opcode 0 is not readable as a command, still echoed");
            }
            try (RawSocket socket = RawSocket.connect(ServerNodes.address(unlimited))) {
                socket.hello();
                socket.send(new Frame(9, new Request.Put("m", new byte[4000], new byte[4000], 0)));
                assertInstanceOf(Reply.Put.class, socket.read().body(), "large frames are fine once READY");
            }
        }
    }

    @Test
    void aFrameOverMaxFrameBytesAfterReadyGetsFrameTooLarge() {
        try (RawSocket socket = RawSocket.connect(address())) {
            socket.hello();
            socket.writeRaw(ByteBuffer.allocate(4).putInt((16 << 20) + 1).array());
            ErrorReply error = socket.expectErrorAndClose(ErrorCode.FRAME_TOO_LARGE);
            assertTrue(error.message().contains(Integer.toString((16 << 20) + 1)), error.message());
        }
    }

    @Test
    void aHugeLengthPrefixGetsFrameTooLarge() {
        try (RawSocket socket = RawSocket.connect(address())) {
            socket.writeRaw(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1, 2, 3});
            ErrorReply error = socket.expectErrorAndClose(ErrorCode.FRAME_TOO_LARGE);
            assertTrue(error.message().contains("4294967295"), error.message());
        }
    }

    @Test
    void aTruncatedFrameFollowedByAClosedSocketHarmsNothing() {
        try (RawSocket socket = RawSocket.connect(address())) {
            socket.hello();
            socket.writeRaw(ByteBuffer.allocate(4 + 10).putInt(100).put(new byte[10]).array());
        }
        try (RawSocket socket = RawSocket.connect(address())) {
            socket.writeRaw(new byte[] {0, 0});
        }
    }

    @Test
    void aClientThatNeverFinishesAFrameBeforeReadyGetsAuthTimeout() {
        try (RawSocket socket = RawSocket.connect(address())) {
            long started = System.nanoTime();
            socket.writeRaw(new byte[] {0, 0, 0});
            ErrorReply error = socket.expectErrorAndClose(ErrorCode.AUTH_TIMEOUT);
            assertEquals(0, error.opcode(), "a connection error");
            long tookMs = (System.nanoTime() - started) / 1_000_000;
            assertTrue(tookMs >= AUTH_TIMEOUT_MS - 50, "closed after " + tookMs + " ms");
        }
    }

    @Test
    void aReadyClientThatStopsInTheMiddleOfAFrameIsClosedAsDead() {
        try (ShoalNode keepingAlive = ServerNodes.start(Map.of("server.keepAliveIntervalMs", 100,
                "server.deadPeerTimeoutMs", DEAD_PEER_MS));
             RawSocket socket = RawSocket.connect(ServerNodes.address(keepingAlive))) {
            socket.hello();
            long started = System.nanoTime();
            socket.writeRaw(ByteBuffer.allocate(4 + 10).putInt(100).put(new byte[10]).array());
            socket.expectClosed(); // the node PINGs it, gets nothing back, and closes it
            long tookMs = (System.nanoTime() - started) / 1_000_000;
            assertTrue(tookMs >= DEAD_PEER_MS - 50 && tookMs < DEAD_PEER_MS + 5_000, "closed after " + tookMs + " ms");
        }
    }
}
