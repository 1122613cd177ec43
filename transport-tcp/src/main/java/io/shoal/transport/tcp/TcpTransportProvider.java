package io.shoal.transport.tcp;

import io.shoal.ConfigException;
import io.shoal.spi.Settings;
import io.shoal.spi.Transport;
import io.shoal.spi.TransportProvider;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Provides {@code transport = tcp}: frames over TCP with Netty's NIO event loops, optionally
 * inside TLS, with a limit on the connections each server keeps open.
 *
 * <p>Addresses are {@code host:port} ({@code [v6-address]:port} for IPv6); port {@code 0} asks a
 * server for an ephemeral port, which {@link Transport.Server#address()} then tells. On the wire
 * each frame is a 4-byte big-endian unsigned length followed by that many bytes; a peer that
 * declares a length over {@code transport-tcp.maxFrameBytes} is disconnected before anything is
 * allocated for the frame (see the module's README, "Wire framing").
 *
 * <p>The settings and their defaults are in this module's {@code reference.conf}, under
 * {@code transport-tcp}. {@link #create} only reads and validates them (TLS files must exist, but
 * are read when the transport first listens or connects); the transport starts its event-loop
 * threads on its first {@code listen} or {@code connect}.
 *
 * <p>The transport moves frames only. It does not authenticate peers beyond what TLS with
 * {@code tls.requireClientAuth} gives: shared-secret authentication is the protocol's job, so it
 * works the same over every transport.
 */
public final class TcpTransportProvider implements TransportProvider {
    /** Prefix of this module's keys. */
    public static final String PREFIX = "transport-tcp.";
    public static final String MAX_FRAME_BYTES_KEY = PREFIX + "maxFrameBytes";
    public static final String MAX_CONNECTIONS_KEY = PREFIX + "maxConnections";
    public static final String IO_THREADS_KEY = PREFIX + "ioThreads";
    public static final String TLS_ENABLED_KEY = PREFIX + "tls.enabled";
    public static final String TLS_CERTIFICATE_FILE_KEY = PREFIX + "tls.certificateFile";
    public static final String TLS_PRIVATE_KEY_FILE_KEY = PREFIX + "tls.privateKeyFile";
    public static final String TLS_TRUST_FILE_KEY = PREFIX + "tls.trustFile";
    public static final String TLS_REQUIRE_CLIENT_AUTH_KEY = PREFIX + "tls.requireClientAuth";
    public static final String TLS_VERIFY_HOSTNAME_KEY = PREFIX + "tls.verifyHostname";
    public static final String TLS_HANDSHAKE_TIMEOUT_MS_KEY = PREFIX + "tls.handshakeTimeoutMs";

    /** Largest {@code maxFrameBytes}: 1 GiB. */
    static final long MAX_MAX_FRAME_BYTES = 1L << 30;

    @Override
    public String name() {
        return "tcp";
    }

    @Override
    public String description() {
        return "tcp: length-prefixed frames over TCP (Netty), optional TLS, settings under transport-tcp.*";
    }

    @Override
    public Transport create(Settings settings) {
        return new TcpTransport(config(settings));
    }

    /** Reads and validates this module's settings. */
    static TcpConfig config(Settings settings) {
        long maxFrameBytes = settings.getBytes(MAX_FRAME_BYTES_KEY, 1, MAX_MAX_FRAME_BYTES);
        int maxConnections = settings.getInt(MAX_CONNECTIONS_KEY, 1, 1_000_000);
        int ioThreads = settings.getInt(IO_THREADS_KEY, 1, 64);

        boolean tlsEnabled = settings.getBoolean(TLS_ENABLED_KEY);
        Optional<Path> certificate = optionalFile(settings, TLS_CERTIFICATE_FILE_KEY, tlsEnabled);
        Optional<Path> privateKey = optionalFile(settings, TLS_PRIVATE_KEY_FILE_KEY, tlsEnabled);
        Optional<Path> trust = optionalFile(settings, TLS_TRUST_FILE_KEY, tlsEnabled);
        if (tlsEnabled && certificate.isPresent() != privateKey.isPresent()) {
            String missing = certificate.isPresent() ? TLS_PRIVATE_KEY_FILE_KEY : TLS_CERTIFICATE_FILE_KEY;
            throw new ConfigException(missing, "is empty; allowed: the file of the "
                    + (certificate.isPresent() ? "private key of " + certificate.get() : "certificate of " + privateKey.get())
                    + " (a certificate and its key go together)");
        }
        boolean requireClientAuth = settings.getBoolean(TLS_REQUIRE_CLIENT_AUTH_KEY);
        boolean verifyHostname = settings.getBoolean(TLS_VERIFY_HOSTNAME_KEY);
        long handshakeTimeoutMs = settings.getLong(TLS_HANDSHAKE_TIMEOUT_MS_KEY, 1, 3_600_000);
        TcpConfig.Tls tls = new TcpConfig.Tls(tlsEnabled, certificate, privateKey, trust, requireClientAuth,
                verifyHostname, handshakeTimeoutMs);
        return new TcpConfig((int) maxFrameBytes, maxConnections, ioThreads, tls);
    }

    /** Empty for {@code ""}; with TLS enabled, a path that is not a regular file is an error. */
    private static Optional<Path> optionalFile(Settings settings, String key, boolean checkExists) {
        String text = settings.getString(key);
        if (text.isBlank()) {
            return Optional.empty();
        }
        Path path;
        try {
            path = Path.of(text);
        } catch (InvalidPathException e) {
            throw new ConfigException(key, "\"" + text + "\" is not a valid path: " + e.getMessage(), e);
        }
        if (checkExists && !Files.isRegularFile(path)) {
            throw new ConfigException(key, "\"" + text + "\" (" + path.toAbsolutePath()
                    + ") does not exist or is not a file; allowed: a PEM file, or \"\"");
        }
        return Optional.of(path);
    }
}
