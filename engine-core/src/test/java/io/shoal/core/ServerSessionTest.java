package io.shoal.core;

import io.shoal.ShoalNode;
import io.shoal.protocol.AuthProofs;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.Frame;
import io.shoal.protocol.Push;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The connection life cycle over TCP: HELLO, AUTH, states, PING, GOODBYE (docs/protocol.md 3, 4.1). */
class ServerSessionTest {
    private static final String SECRET = "correct horse";
    private static ShoalNode open;
    private static ShoalNode secured;
    private final List<RawClient> clients = new ArrayList<>();

    @BeforeAll
    static void startNodes() {
        open = ServerNodes.start(Map.of("node.id", "open-1", "server.authTimeoutMs", 10_000));
        secured = ServerNodes.start(Map.of("node.id", "secured-1", "server.auth.secret", SECRET,
                "cluster.name", "blue", "server.authTimeoutMs", 10_000));
    }

    @AfterAll
    static void stopNodes() {
        if (open != null) {
            open.close();
        }
        if (secured != null) {
            secured.close();
        }
    }

    @AfterEach
    void closeClients() {
        clients.forEach(RawClient::close);
    }

    private RawClient client(ShoalNode node) {
        RawClient client = RawClient.connect(ServerNodes.address(node));
        clients.add(client);
        return client;
    }

    @Test
    void helloWithoutAuthenticationMakesTheConnectionReadyAndPushesServerInfo() {
        RawClient client = client(open);
        int id = client.send(new Request.Hello(1, 1, "", "test"));
        Frame reply = client.replyTo(id);
        Reply.Hello hello = assertInstanceOf(Reply.Hello.class, reply.body());
        assertEquals(1, hello.version());
        assertEquals("open-1", hello.nodeId());
        assertEquals("shoal", hello.clusterName());
        assertFalse(hello.authRequired());
        assertArrayEquals(new byte[32], hello.serverNonce(), "no nonce without authentication");
        assertEquals(16 << 20, hello.maxFrameBytes());
        assertEquals(16, hello.bucketCount());
        Push.ServerInfo info = client.nextPush(Push.ServerInfo.class);
        assertEquals(1, info.tableVersion());
        assertEquals(List.of(new Push.NodeAddress("open-1", ServerNodes.address(open))), info.nodes());
        assertEquals(42, client.call(new Request.Ping(42), Reply.Ping.class).payload());
        assertEquals(0, client.call(new Request.Size("m"), Reply.Size.class).entries());
    }

    @Test
    void helloPicksTheHighestCommonVersionAndMatchesAnyOrTheSameCluster() {
        assertEquals(1, client(open).call(new Request.Hello(1, 9, "", "x"), Reply.Hello.class).version());
        assertEquals(1, client(open).call(new Request.Hello(0, 1, "shoal", "x"), Reply.Hello.class).version());
    }

    @Test
    void helloWithoutACommonVersionGetsUnsupportedVersion() {
        ErrorReply error = client(open).expectError(new Request.Hello(2, 5, "", "future"), ErrorCode.UNSUPPORTED_VERSION);
        assertTrue(error.message().contains("1 to 1"), error.message());
        client(open).expectError(new Request.Hello(0, 0, "", "past"), ErrorCode.UNSUPPORTED_VERSION);
        client(open).expectError(new Request.Hello(3, 1, "", "inverted"), ErrorCode.UNSUPPORTED_VERSION);
    }

    @Test
    void helloNamingAnotherClusterGetsClusterMismatch() {
        ErrorReply error = client(open).expectError(new Request.Hello(1, 1, "other", "x"), ErrorCode.CLUSTER_MISMATCH);
        assertTrue(error.message().contains("shoal"), error.message());
        assertEquals("blue", client(secured).call(new Request.Hello(1, 1, "blue", "x"), Reply.Hello.class).clusterName());
    }

    @Test
    void secondHelloIsAProtocolViolation() {
        RawClient client = client(open);
        client.hello();
        client.expectError(new Request.Hello(1, 1, "", "again"), ErrorCode.PROTOCOL_VIOLATION);
    }

    @Test
    void authWithoutAuthenticationIsAProtocolViolation() {
        RawClient client = client(open);
        client.hello();
        client.expectError(new Request.Auth(new byte[32], new byte[32]), ErrorCode.PROTOCOL_VIOLATION);
        client(open).expectError(new Request.Auth(new byte[32], new byte[32]), ErrorCode.PROTOCOL_VIOLATION);
    }

    @Test
    void commandsBeforeReadyGetNotAuthenticated() {
        client(open).expectError(new Request.Get("m", new byte[1]), ErrorCode.NOT_AUTHENTICATED);
        client(open).expectError(new Request.Stats(), ErrorCode.NOT_AUTHENTICATED);
        client(open).expectError(new Request.Subscribe("m", io.shoal.protocol.SubscriptionKind.ALL, new byte[0]),
                ErrorCode.NOT_AUTHENTICATED);
        RawClient greeted = client(secured);
        greeted.call(new Request.Hello(1, 1, "", "x"), Reply.Hello.class);
        greeted.expectError(new Request.Put("m", new byte[1], new byte[1], 0), ErrorCode.NOT_AUTHENTICATED);
    }

    @Test
    void aBadValueBeforeReadyIsRefusedForTheStateNotTheValue() {
        client(open).expectError(new Request.Scan("m", 99, null, 1), ErrorCode.NOT_AUTHENTICATED);
    }

    @Test
    void pingAndGoodbyeWorkBeforeHello() {
        RawClient client = client(open);
        assertEquals(7, client.call(new Request.Ping(7), Reply.Ping.class).payload());
        client.call(new Request.Goodbye("bye"), Reply.Goodbye.class);
        client.awaitClosed();
    }

    @Test
    void sharedSecretAuthenticationMakesTheConnectionReady() {
        RawClient client = client(secured);
        Reply.Hello hello = client.helloAndAuth(SECRET);
        assertEquals("secured-1", hello.nodeId());
        assertFalse(java.util.Arrays.equals(new byte[32], hello.serverNonce()), "a random nonce");
        assertEquals(0, client.call(new Request.Size("m"), Reply.Size.class).entries());
        client.expectError(new Request.Auth(new byte[32], new byte[32]), ErrorCode.PROTOCOL_VIOLATION);
    }

    @Test
    void eachConnectionGetsItsOwnNonce() {
        byte[] first = client(secured).call(new Request.Hello(1, 1, "", "a"), Reply.Hello.class).serverNonce();
        byte[] second = client(secured).call(new Request.Hello(1, 1, "", "b"), Reply.Hello.class).serverNonce();
        assertFalse(java.util.Arrays.equals(first, second));
    }

    @Test
    void aWrongProofGetsAuthFailed() {
        RawClient client = client(secured);
        Reply.Hello hello = client.call(new Request.Hello(1, 1, "", "x"), Reply.Hello.class);
        byte[] clientNonce = new byte[32];
        byte[] wrong = AuthProofs.clientProof("wrong".getBytes(StandardCharsets.UTF_8), hello.serverNonce(), clientNonce);
        client.expectError(new Request.Auth(clientNonce, wrong), ErrorCode.AUTH_FAILED);
    }

    @Test
    void authBeforeHelloAndHelloAfterHelloAreProtocolViolations() {
        client(secured).expectError(new Request.Auth(new byte[32], new byte[32]), ErrorCode.PROTOCOL_VIOLATION);
        RawClient greeted = client(secured);
        greeted.call(new Request.Hello(1, 1, "", "x"), Reply.Hello.class);
        greeted.expectError(new Request.Hello(1, 1, "", "x"), ErrorCode.PROTOCOL_VIOLATION);
    }

    @Test
    void goodbyeFromTheClientIsAnsweredAndLaterFramesAreIgnored() {
        RawClient client = client(open);
        client.hello();
        int put = client.send(new Request.Put("goodbye", new byte[] {1}, new byte[] {2}, 0));
        int goodbye = client.send(new Request.Goodbye("done"));
        int ping = client.send(new Request.Ping(1));
        assertInstanceOf(Reply.Put.class, client.replyTo(put).body());
        assertInstanceOf(Reply.Goodbye.class, client.replyTo(goodbye).body());
        client.awaitClosed();
        assertTrue(client.drainAfterClose().stream().noneMatch(f -> f.requestId() == ping), "PING after GOODBYE ignored");
    }
}
