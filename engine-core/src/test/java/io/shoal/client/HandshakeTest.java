package io.shoal.client;

import io.shoal.ShoalException;
import io.shoal.ShoalMap;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.Frame;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HELLO and AUTH (protocol section 4.1): secrets, proofs, clusters, versions. */
@Timeout(60)
class HandshakeTest {
    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeAfter.size() - 1; i >= 0; i--) {
            closeAfter.get(i).close();
        }
    }

    private FakeNode node(String secret) {
        FakeNode node = FakeNode.start("n");
        node.secret = secret;
        closeAfter.add(node);
        return node;
    }

    private ShoalException refused(ClientConfig config) {
        return assertThrows(ShoalException.class, () -> closeAfter.add(ShoalClient.connect(config)));
    }

    @Test
    void theRightSecretAuthenticates() {
        FakeNode node = node("s3cret");
        ShoalClient client = ShoalClient.connect(Clients.config(node).secret("s3cret").build());
        closeAfter.add(client);
        ShoalMap<String, String> map = client.map("m", String.class, String.class);
        map.put("k", "v");
        assertEquals("v", map.get("k"));
        assertEquals(1, node.requestsOf(Request.Auth.class));
        // the secret never crosses the wire: no frame holds its bytes
        assertTrue(node.received.stream().noneMatch(f -> f.toString().contains("s3cret")));
    }

    @Test
    void aWrongSecretIsRefused() {
        FakeNode node = node("s3cret");
        ShoalException e = refused(Clients.config(node).secret("guess").build());
        assertTrue(e.getMessage().contains(node.address()) && e.getMessage().contains("secret is wrong"), e.getMessage());
    }

    @Test
    void aNodeWithAWrongProofIsRefused() {
        FakeNode node = node("s3cret");
        node.wrongServerProof = true;
        ShoalException e = refused(Clients.config(node).secret("s3cret").build());
        assertTrue(e.getMessage().contains("proof is wrong"), e.getMessage());
        await().atMost(Duration.ofSeconds(5)).until(() -> node.openConnections() == 0);
        assertEquals(0, node.requestsOf(Request.Get.class));
    }

    @Test
    void aNodeThatWantsASecretTheClientLacks() {
        FakeNode node = node("s3cret");
        ShoalException e = refused(Clients.config(node).build());
        assertTrue(e.getMessage().contains("requires authentication") && e.getMessage().contains("ClientConfig.secret"),
                e.getMessage());
    }

    @Test
    void aSecretForANodeWithoutAuthenticationIsRefused() {
        FakeNode node = node(null);
        ShoalException e = refused(Clients.config(node).secret("s3cret").build());
        assertTrue(e.getMessage().contains("does not ask for authentication"), e.getMessage());
    }

    @Test
    void clusterNames() {
        FakeNode node = node(null);
        node.clusterName = "blue";
        ShoalException e = refused(Clients.config(node).clusterName("green").build());
        assertTrue(e.getMessage().contains("CLUSTER_MISMATCH"), e.getMessage());
        ShoalClient any = ShoalClient.connect(Clients.config(node).build());
        closeAfter.add(any);
        ShoalClient blue = ShoalClient.connect(Clients.config(node).clusterName("blue").build());
        closeAfter.add(blue);
        assertTrue(blue.connectedNode().isPresent());
    }

    @Test
    void aNodeSpeakingAnotherVersionIsRefused() {
        FakeNode node = node(null);
        node.script = (c, frame) -> {
            if (frame.body() instanceof Request.Hello) {
                c.reply(frame, new Reply.Hello(2, "n", "", false, new byte[32], 1 << 20, 16));
                return true;
            }
            return false;
        };
        ShoalException e = refused(Clients.config(node).build());
        assertTrue(e.getMessage().contains("protocol version 2"), e.getMessage());
    }

    @Test
    void aConnectionErrorIsReported() {
        FakeNode node = node(null);
        node.script = (c, frame) -> {
            if (frame.body() instanceof Request.Hello) {
                c.send(new Frame(0, new ErrorReply(0, ErrorCode.AUTH_TIMEOUT, "too late")));
                c.close();
                return true;
            }
            return false;
        };
        ShoalException e = refused(Clients.config(node).build());
        assertTrue(e.getMessage().contains("AUTH_TIMEOUT") && e.getMessage().contains("too late"), e.getMessage());
    }

    @Test
    void helloCarriesTheClusterAndClientName() {
        FakeNode node = node(null);
        ShoalClient client = ShoalClient.connect(Clients.config(node).clientName("billing-app").build());
        closeAfter.add(client);
        Request.Hello hello = (Request.Hello) node.received.stream().filter(f -> f.body() instanceof Request.Hello)
                .findFirst().orElseThrow().body();
        assertEquals(new Request.Hello(1, 1, "", "billing-app"), hello);
        assertFalse(client.isClosed());
    }
}
