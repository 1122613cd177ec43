package io.shoal.transport.tcp;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The validated settings of one {@link TcpTransport}; {@link TcpTransportProvider#config} reads
 * them from {@code transport-tcp.*}. Paths are only checked to name regular files here: they are
 * read when the transport first listens or connects.
 */
record TcpConfig(int maxFrameBytes, int maxConnections, int ioThreads, Tls tls) {

    /** TLS settings; {@code certificateFile} and {@code privateKeyFile} are both present or both absent. */
    record Tls(boolean enabled, Optional<Path> certificateFile, Optional<Path> privateKeyFile,
               Optional<Path> trustFile, boolean requireClientAuth, boolean verifyHostname,
               long handshakeTimeoutMs) {
    }
}
