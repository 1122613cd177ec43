package io.shoal.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.ShoalException;
import io.shoal.spi.Connection;
import io.shoal.spi.Transport;
import io.shoal.testing.TransportContractTest;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transport contract over TLS, with self-signed certificates made for the test, then what is
 * particular to TLS: untrusted and misnamed certificates, client certificates, stalled handshakes.
 */
class TcpTlsTransportTest extends TransportContractTest {

    @TempDir
    static Path certificates;
    /** The certificate every transport of the contract presents and trusts; names 127.0.0.1. */
    private static TestCertificates.Pem node;
    /** A certificate nobody trusts. */
    private static TestCertificates.Pem stranger;
    /** A certificate for another host only. */
    private static TestCertificates.Pem elsewhere;
    /** A client's own certificate. */
    private static TestCertificates.Pem client;

    private final List<Transport> customTransports = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void makeCertificates() throws IOException, GeneralSecurityException, InterruptedException {
        node = TestCertificates.selfSigned(certificates, "shoal-node", "ip:127.0.0.1,dns:localhost");
        stranger = TestCertificates.selfSigned(certificates, "stranger", "ip:127.0.0.1,dns:localhost");
        elsewhere = TestCertificates.selfSigned(certificates, "elsewhere", "dns:elsewhere.invalid");
        client = TestCertificates.selfSigned(certificates, "shoal-client", "dns:client.invalid");
    }

    @Override
    protected Transport newTransport() {
        return TestSettings.transport(tls(node, node));
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

    /** TLS settings presenting {@code identity} (may be {@code null}) and trusting {@code trusted}. */
    private static Object[] tls(TestCertificates.Pem identity, TestCertificates.Pem trusted, Object... more) {
        List<Object> settings = new ArrayList<>(List.of("tls.enabled", true,
                "tls.trustFile", trusted.certificate().toString()));
        if (identity != null) {
            settings.addAll(List.of("tls.certificateFile", identity.certificate().toString(),
                    "tls.privateKeyFile", identity.privateKey().toString()));
        }
        settings.addAll(List.of(more));
        return settings.toArray();
    }

    private TcpTransport custom(Object... keysAndValues) {
        TcpTransport transport = TestSettings.transport(keysAndValues);
        customTransports.add(transport);
        return transport;
    }

    @Test
    void anUntrustedServerCertificateFailsTheConnectWithAClearError() {
        ServerRecorder serverHandler = new ServerRecorder(true);
        Transport.Server server = custom(tls(stranger, stranger)).listen(listenAddress(), serverHandler);
        RecordingHandler handler = new RecordingHandler() { };
        Throwable cause = failure(transport().connect(server.address(), handler, CONNECT_TIMEOUT));
        assertInstanceOf(ShoalException.class, cause);
        assertTrue(cause.getMessage().contains(server.address()) && cause.getMessage().contains("TLS handshake failed")
                && cause.getMessage().contains(TcpTransportProvider.TLS_TRUST_FILE_KEY), cause.getMessage());
        assertEquals(0, handler.opens(), "onOpen of a connection that never opened");
        assertTrue(serverHandler.opened.isEmpty(), "the server's handler saw a connection");
    }

    @Test
    void aCertificateForAnotherHostFailsUnlessHostnameVerificationIsOff() {
        Transport.Server server = custom(tls(elsewhere, elsewhere)).listen(listenAddress(), new ServerRecorder(true));

        Throwable cause = failure(custom(tls(null, elsewhere)).connect(server.address(), new RecordingHandler() { }, CONNECT_TIMEOUT));
        assertTrue(cause.getMessage().contains("TLS handshake failed")
                && cause.getMessage().contains(TcpTransportProvider.TLS_VERIFY_HOSTNAME_KEY), cause.getMessage());

        RecordingHandler handler = new RecordingHandler() { };
        Connection connection = complete(custom(tls(null, elsewhere, "tls.verifyHostname", false))
                .connect(server.address(), handler, CONNECT_TIMEOUT));
        complete(connection.send(utf8("hello")));
        handler.awaitFrames(1);
        handler.assertNoViolations();
    }

    @Test
    void withRequireClientAuthOnlyClientsWithATrustedCertificateOpen() {
        ServerRecorder serverHandler = new ServerRecorder(true);
        Transport.Server server = custom(tls(node, client, "tls.requireClientAuth", true))
                .listen(listenAddress(), serverHandler);

        RecordingHandler anonymous = new RecordingHandler() { };
        CompletableFuture<Connection> withoutCertificate = custom(tls(null, node)).connect(server.address(), anonymous, CONNECT_TIMEOUT);
        awaiting().alias("the connect without a certificate finishes").until(withoutCertificate::isDone);
        if (!withoutCertificate.isCompletedExceptionally()) {
            // TLS 1.3: the client finishes its handshake before the server checks its certificate.
            anonymous.assertClosedOnce();
            assertNotNull(anonymous.closeCause(), "the server's refusal should reach the client as an error");
        }

        RecordingHandler known = new RecordingHandler() { };
        Connection connection = complete(custom(tls(client, node)).connect(server.address(), known, CONNECT_TIMEOUT));
        complete(connection.send(utf8("it's me")));
        known.awaitFrames(1);
        assertEquals(1, serverHandler.opened.size(), "connections the server's handler saw");
        anonymous.assertNoViolations();
        known.assertNoViolations();
    }

    @Test
    void aPlainClientIsNeverOpenedByATlsServer() {
        ServerRecorder serverHandler = new ServerRecorder(true);
        Transport.Server server = transport().listen(listenAddress(), serverHandler);
        RecordingHandler plain = new RecordingHandler() { };
        Connection connection = complete(custom().connect(server.address(), plain, CONNECT_TIMEOUT));
        connection.send(utf8("not a TLS record"));
        plain.assertClosedOnce();
        assertTrue(serverHandler.opened.isEmpty(), "the server's handler saw a connection");
        plain.assertNoViolations();
    }

    @Test
    void aTlsClientOfAPlainServerFailsToConnectAndTheServerNamesTheBadLength() {
        ServerRecorder serverHandler = new ServerRecorder(true);
        Transport.Server server = custom().listen(listenAddress(), serverHandler);
        Throwable cause = failure(transport().connect(server.address(), new RecordingHandler() { }, CONNECT_TIMEOUT));
        assertInstanceOf(ShoalException.class, cause);
        assertTrue(cause.getMessage().contains(server.address()), cause.getMessage());
        // The ClientHello's first bytes, read as a length, are far over the limit.
        awaiting().alias("the plain server closes the connection").until(() -> serverHandler.closed.size() == 1);
        Throwable serverCause = serverHandler.closed.values().iterator().next().orElseThrow();
        assertTrue(serverCause.getMessage().contains("limit is"), serverCause.getMessage());
    }

    @Test
    void aServerThatNeverAnswersTheHandshakeFailsTheConnectWithinTheTimeout() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + silent.getLocalPort();
            Duration timeout = Duration.ofMillis(500);
            long startNanos = System.nanoTime();
            Throwable cause = failure(transport().connect(address, new RecordingHandler() { }, timeout));
            Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
            assertInstanceOf(ShoalException.class, cause);
            assertTrue(cause.getMessage().contains(address) && cause.getMessage().contains("500 ms")
                    && cause.getMessage().contains("TLS handshake"), cause.getMessage());
            assertTrue(took.compareTo(timeout.plus(DEADLINE)) < 0, "failed only after " + took);
        }
    }

    @Test
    void anAcceptedConnectionThatNeverHandshakesIsClosedAfterHandshakeTimeoutMs() throws IOException {
        ServerRecorder serverHandler = new ServerRecorder(true);
        TcpServer server = (TcpServer) custom(tls(node, node, "tls.handshakeTimeoutMs", 200, "maxConnections", 1))
                .listen(listenAddress(), serverHandler);
        try (Socket silent = TcpTransportTest.rawConnect(server)) {
            TcpTransportTest.assertClosedByPeer(silent);
        }
        RecordingHandler handler = new RecordingHandler() { };
        Connection connection = complete(transport().connect(server.address(), handler, CONNECT_TIMEOUT));
        complete(connection.send(utf8("my turn")));
        handler.awaitFrames(1);
        assertEquals(0, server.refusedConnections(), "the silent connection gave its place back");
        assertEquals(1, serverHandler.opened.size(), "only the handshaking connection opened");
    }

    @Test
    void listeningWithTlsButNoCertificateFailsNamingTheKeys() {
        Transport clientOnly = custom("tls.enabled", true, "tls.trustFile", node.certificate().toString());
        ShoalException noCertificate = assertThrows(ShoalException.class,
                () -> clientOnly.listen(listenAddress(), new RecordingHandler() { }));
        assertTrue(noCertificate.getMessage().contains(TcpTransportProvider.TLS_CERTIFICATE_FILE_KEY), noCertificate.getMessage());

        Transport.Server server = transport().listen(listenAddress(), new ServerRecorder(true));
        complete(clientOnly.connect(server.address(), new RecordingHandler() { }, CONNECT_TIMEOUT));
    }

    @Test
    void filesThatAreNotPemFailNamingThem() throws IOException {
        Path certificate = Files.writeString(certificates.resolve("garbage.crt.pem"), "not a certificate");
        Path key = Files.writeString(certificates.resolve("garbage.key.pem"), "not a key");
        Transport transport = custom("tls.enabled", true, "tls.certificateFile", certificate.toString(),
                "tls.privateKeyFile", key.toString());
        ShoalException unreadable = assertThrows(ShoalException.class,
                () -> transport.listen(listenAddress(), new RecordingHandler() { }));
        assertTrue(unreadable.getMessage().contains(certificate.toString()), unreadable.getMessage());
    }
}
