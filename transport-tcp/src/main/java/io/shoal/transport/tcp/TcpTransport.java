package io.shoal.transport.tcp;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.shoal.ShoalException;
import io.shoal.spi.Connection;
import io.shoal.spi.FrameHandler;
import io.shoal.spi.Transport;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code transport = tcp}: see {@link TcpTransportProvider} for what it offers.
 *
 * <p>Design: one NIO event-loop group of {@code ioThreads} threads per transport, created on the
 * first {@code listen} or {@code connect} (never by the provider), serves its servers' accept
 * loops, accepted connections and outgoing connections; a connection stays on one loop, which
 * runs its whole pipeline and every {@link FrameHandler} call. Pipeline: [{@link SslHandler}] →
 * {@link FrameDecoder} → {@link TcpConnection}. A client's connect future completes once the
 * connection is open (with TLS: after the handshake), and one deadline on the channel's loop bounds
 * the TCP connect and the handshake together. The monitor guards only {@code closed}, the group
 * and the TLS contexts and is never held while waiting for an event loop, so {@link #close} may run
 * on one (from a handler): it then starts every close and the group's shutdown without waiting.
 */
final class TcpTransport implements Transport {
    static final System.Logger LOG = System.getLogger(TcpTransport.class.getName());

    /** How long {@link #close} waits for connections to finish their writes, then for the threads to end. */
    static final long CLOSE_WAIT_MS = 5_000;

    private static final AtomicLong INSTANCES = new AtomicLong();

    private final TcpConfig config;
    private final String threadNamePrefix;
    private final Set<TcpServer> servers = ConcurrentHashMap.newKeySet();
    private final Set<TcpConnection> outbound = ConcurrentHashMap.newKeySet();
    // Guarded by this:
    private boolean closed;
    private EventLoopGroup group;
    private SslContext serverTls;
    private SslContext clientTls;

    TcpTransport(TcpConfig config) {
        this.config = config;
        this.threadNamePrefix = "shoal-tcp-" + INSTANCES.incrementAndGet() + "-io";
    }

    @Override
    public int maxFrameBytes() {
        return config.maxFrameBytes();
    }

    TcpConfig config() {
        return config;
    }

    /** Every thread of this transport has a name starting with this. */
    String threadNamePrefix() {
        return threadNamePrefix + "-";
    }

    @Override
    public Server listen(String address, FrameHandler handler) {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(handler, "handler");
        HostPort where = HostPort.parse(address, true);
        EventLoopGroup loops;
        SslContext tls;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("cannot listen at " + address + ": the transport is closed");
            }
            loops = group();
            tls = config.tls().enabled() ? serverTls(address) : null;
        }
        TcpServer server = new TcpServer(this, handler, tls);
        ChannelFuture bind = new ServerBootstrap()
                .group(loops)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(server)
                .bind(where.host(), where.port())
                .awaitUninterruptibly();
        if (!bind.isSuccess()) {
            throw new ShoalException("cannot listen at " + address + ": " + bind.cause().getMessage(), bind.cause());
        }
        server.bound(bind.channel());
        synchronized (this) {
            if (!closed) {
                servers.add(server);
                return server;
            }
        }
        server.close();
        throw new IllegalStateException("cannot listen at " + address + ": the transport was closed meanwhile");
    }

    @Override
    public CompletableFuture<Connection> connect(String address, FrameHandler handler, Duration connectTimeout) {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout " + connectTimeout + " must be positive");
        }
        HostPort where;
        try {
            where = HostPort.parse(address, false);
        } catch (ShoalException e) {
            return CompletableFuture.failedFuture(e);
        }
        EventLoopGroup loops;
        SslContext tls;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(
                        new IllegalStateException("cannot connect to " + address + ": the transport is closed"));
            }
            loops = group();
            try {
                tls = config.tls().enabled() ? clientTls() : null;
            } catch (ShoalException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        long timeoutMs = Math.max(1, Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
        CompletableFuture<Connection> connecting = new CompletableFuture<>();
        int maxFrameBytes = config.maxFrameBytes();
        ChannelFuture connect = new Bootstrap()
                .group(loops)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeoutMs)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        if (tls != null) {
                            SslHandler ssl = tls.newHandler(channel.alloc(), where.host(), where.port());
                            ssl.setHandshakeTimeoutMillis(0); // the connect deadline below bounds it
                            channel.pipeline().addLast(ssl);
                        }
                        TcpConnection connection = new TcpConnection(channel, address, handler, maxFrameBytes,
                                tls != null, connecting,
                                cause -> connecting.completeExceptionally(openFailure(address, cause)));
                        channel.pipeline().addLast(new FrameDecoder(maxFrameBytes), connection);
                        outbound.add(connection);
                        channel.closeFuture().addListener(closed -> outbound.remove(connection));
                    }
                })
                .connect(where.host(), where.port());
        connect.addListener(done -> {
            if (!done.isSuccess()) {
                connecting.completeExceptionally(new ShoalException("cannot connect to " + address + ": "
                        + done.cause().getMessage(), done.cause()));
            }
        });
        Channel channel = connect.channel();
        ScheduledFuture<?> deadline;
        try {
            deadline = channel.eventLoop().schedule(() -> {
                if (!connecting.isDone()) {
                    connecting.completeExceptionally(new ShoalException("cannot connect to " + address + " within "
                            + timeoutMs + " ms: " + (channel.isActive() ? "the TLS handshake did not finish" : "no answer")));
                    channel.close();
                }
            }, timeoutMs, TimeUnit.MILLISECONDS);
        } catch (IllegalStateException | RejectedExecutionException e) {
            return connecting; // not registered with a running loop: the connect has failed already
        }
        connecting.whenComplete((connection, failure) -> deadline.cancel(false));
        return connecting;
    }

    @Override
    public void close() {
        EventLoopGroup loops;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            loops = group;
        }
        if (loops == null) {
            return; // never listened nor connected: nothing was started
        }
        List<Channel> closing = new ArrayList<>();
        for (TcpServer server : List.copyOf(servers)) {
            closing.addAll(server.acceptedChannels());
            server.close();
        }
        for (TcpConnection connection : List.copyOf(outbound)) {
            closing.add(connection.channel());
            connection.close();
        }
        boolean onOwnThread = inEventLoop(loops);
        if (!onOwnThread) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MS);
            for (Channel channel : closing) {
                long leftNanos = deadline - System.nanoTime();
                if (leftNanos <= 0 || !channel.closeFuture().awaitUninterruptibly(leftNanos, TimeUnit.NANOSECONDS)) {
                    LOG.log(System.Logger.Level.WARNING, threadNamePrefix + ": connections still writing after "
                            + CLOSE_WAIT_MS + " ms; closing them anyway");
                    break;
                }
            }
        }
        // Shutting down closes whatever is still open (their handlers get onClose) and ends the threads.
        io.netty.util.concurrent.Future<?> shutdown = loops.shutdownGracefully(0, CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
        if (!onOwnThread && !shutdown.awaitUninterruptibly(2 * CLOSE_WAIT_MS)) {
            LOG.log(System.Logger.Level.WARNING, threadNamePrefix + ": event loops still running "
                    + 2 * CLOSE_WAIT_MS + " ms after close");
        }
    }

    void serverClosed(TcpServer server) {
        servers.remove(server);
    }

    @Override
    public String toString() {
        return "TcpTransport{" + threadNamePrefix + ", maxFrameBytes=" + config.maxFrameBytes()
                + (config.tls().enabled() ? ", tls" : "") + '}';
    }

    private EventLoopGroup group() {
        assert Thread.holdsLock(this);
        if (group == null) {
            group = new MultiThreadIoEventLoopGroup(config.ioThreads(), new DefaultThreadFactory(threadNamePrefix, true),
                    NioIoHandler.newFactory());
        }
        return group;
    }

    private SslContext serverTls(String address) {
        assert Thread.holdsLock(this);
        if (serverTls == null) {
            TcpConfig.Tls tls = config.tls();
            if (tls.certificateFile().isEmpty()) {
                throw new ShoalException("cannot listen at " + address + " with TLS: set "
                        + TcpTransportProvider.TLS_CERTIFICATE_FILE_KEY + " and " + TcpTransportProvider.TLS_PRIVATE_KEY_FILE_KEY);
            }
            try {
                SslContextBuilder builder = SslContextBuilder
                        .forServer(tls.certificateFile().get().toFile(), tls.privateKeyFile().get().toFile())
                        .sslProvider(SslProvider.JDK)
                        .clientAuth(tls.requireClientAuth() ? ClientAuth.REQUIRE : ClientAuth.NONE);
                tls.trustFile().ifPresent(trust -> builder.trustManager(trust.toFile()));
                serverTls = builder.build();
            } catch (Exception e) { // SSLException, or IllegalArgumentException for a file that is not PEM
                throw tlsSetupFailure(e);
            }
        }
        return serverTls;
    }

    private SslContext clientTls() {
        assert Thread.holdsLock(this);
        if (clientTls == null) {
            TcpConfig.Tls tls = config.tls();
            try {
                SslContextBuilder builder = SslContextBuilder.forClient()
                        .sslProvider(SslProvider.JDK)
                        .endpointIdentificationAlgorithm(tls.verifyHostname() ? "HTTPS" : null);
                tls.trustFile().ifPresent(trust -> builder.trustManager(trust.toFile()));
                if (tls.certificateFile().isPresent()) {
                    builder.keyManager(tls.certificateFile().get().toFile(), tls.privateKeyFile().get().toFile());
                }
                clientTls = builder.build();
            } catch (Exception e) {
                throw tlsSetupFailure(e);
            }
        }
        return clientTls;
    }

    private ShoalException tlsSetupFailure(Exception e) {
        TcpConfig.Tls tls = config.tls();
        return new ShoalException("cannot set up TLS from " + TcpTransportProvider.TLS_CERTIFICATE_FILE_KEY + " = "
                + tls.certificateFile().map(Path::toString).orElse("\"\"") + ", "
                + TcpTransportProvider.TLS_PRIVATE_KEY_FILE_KEY + " = " + tls.privateKeyFile().map(Path::toString).orElse("\"\"")
                + ", " + TcpTransportProvider.TLS_TRUST_FILE_KEY + " = " + tls.trustFile().map(Path::toString).orElse("\"\"")
                + " (PEM certificates, unencrypted PKCS#8 PEM key): " + e.getMessage(), e);
    }

    /** Why a client connection closed before it opened ({@code cause} may be {@code null}). */
    private static ShoalException openFailure(String address, Throwable cause) {
        if (cause == null) {
            return new ShoalException("cannot connect to " + address + ": the connection closed before it opened"
                    + " (during the TLS handshake, or refused by the server)");
        }
        String hint = "";
        for (Throwable t = cause; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof CertificateException) {
                hint = "; is the server's certificate, or its CA, in " + TcpTransportProvider.TLS_TRUST_FILE_KEY
                        + ", and does it name the host " + address + " connects to (see "
                        + TcpTransportProvider.TLS_VERIFY_HOSTNAME_KEY + ")?";
                break;
            }
        }
        return new ShoalException("cannot connect to " + address + ": TLS handshake failed: " + cause.getMessage() + hint, cause);
    }

    private static boolean inEventLoop(EventLoopGroup loops) {
        for (EventExecutor loop : loops) {
            if (loop.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    /** {@code host:port} of a socket address, IPv6 hosts in brackets; for logs and {@link Connection#remoteAddress()}. */
    static String describe(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            String host = inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + inet.getPort();
        }
        return address == null ? "(unconnected)" : address.toString();
    }

    /** A parsed {@code host:port} or {@code [v6-host]:port}. */
    record HostPort(String host, int port) {
        static HostPort parse(String address, boolean forListen) {
            int colon = address.lastIndexOf(':');
            if (colon <= 0 || colon == address.length() - 1) {
                throw badAddress(address, forListen);
            }
            String host = address.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            } else if (host.indexOf(':') >= 0) {
                throw badAddress(address, forListen);
            }
            int port;
            try {
                port = Integer.parseInt(address.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw badAddress(address, forListen);
            }
            if (host.isEmpty() || port < (forListen ? 0 : 1) || port > 65_535) {
                throw badAddress(address, forListen);
            }
            return new HostPort(host, port);
        }

        private static ShoalException badAddress(String address, boolean forListen) {
            return new ShoalException("\"" + address + "\" is not a TCP address; expected host:port or [IPv6-address]:port"
                    + " with a port from " + (forListen ? "0 (any free port)" : "1") + " to 65535");
        }
    }
}
