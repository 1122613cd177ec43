package io.shoal.transport.tcp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.shoal.spi.FrameHandler;
import io.shoal.spi.Transport;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One listening socket of a {@link TcpTransport}, and the initializer of the channels it accepts.
 *
 * <p>Design: {@link #initChannel} runs on the accepted channel's event loop before anything is
 * read. It counts the channel against {@code maxConnections} first: one over the limit is closed
 * there and then, counted in {@link #refusedConnections()} and logged with its remote address,
 * before any handler (or TLS) is set up for it. Accepted connections are tracked until their
 * channel closes, so {@link #close} can close them. The open count is incremented before the check
 * and given back on refusal or close, so racing accepts never pass the limit together.
 */
@ChannelHandler.Sharable
final class TcpServer extends ChannelInitializer<SocketChannel> implements Transport.Server {
    private final TcpTransport transport;
    private final FrameHandler handler;
    private final SslContext tls;
    private final int maxConnections;
    private final AtomicInteger openConnections = new AtomicInteger();
    private final AtomicLong refusedConnections = new AtomicLong();
    private final Set<TcpConnection> accepted = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Channel serverChannel;
    private volatile String address;

    /** @param tls the server's TLS context, or {@code null} for plain TCP */
    TcpServer(TcpTransport transport, FrameHandler handler, SslContext tls) {
        this.transport = transport;
        this.handler = handler;
        this.tls = tls;
        this.maxConnections = transport.config().maxConnections();
    }

    void bound(Channel channel) {
        serverChannel = channel;
        address = TcpTransport.describe(channel.localAddress());
    }

    @Override
    public String address() {
        return address;
    }

    /** Connections closed at once because {@code maxConnections} were open. */
    long refusedConnections() {
        return refusedConnections.get();
    }

    List<Channel> acceptedChannels() {
        List<Channel> channels = new ArrayList<>();
        for (TcpConnection connection : accepted) {
            channels.add(connection.channel());
        }
        return channels;
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        String remote = TcpTransport.describe(channel.remoteAddress());
        if (closed.get()) {
            channel.close();
            return;
        }
        if (openConnections.incrementAndGet() > maxConnections) {
            openConnections.decrementAndGet();
            long refused = refusedConnections.incrementAndGet();
            TcpTransport.LOG.log(System.Logger.Level.WARNING, "server " + address + " refused a connection from " + remote
                    + ": maxConnections (" + maxConnections + ") are open; " + refused + " refused so far");
            channel.close();
            return;
        }
        int maxFrameBytes = transport.maxFrameBytes();
        TcpConnection connection = new TcpConnection(channel, remote, handler, maxFrameBytes, tls != null, null,
                cause -> TcpTransport.LOG.log(System.Logger.Level.INFO, "server " + address + ": connection from " + remote
                        + " closed before it opened" + (cause == null ? "" : ": " + cause)));
        if (tls != null) {
            SslHandler ssl = tls.newHandler(channel.alloc());
            ssl.setHandshakeTimeoutMillis(transport.config().tls().handshakeTimeoutMs());
            channel.pipeline().addLast(ssl);
        }
        channel.pipeline().addLast(new FrameDecoder(maxFrameBytes), connection);
        accepted.add(connection);
        channel.closeFuture().addListener(done -> {
            accepted.remove(connection);
            openConnections.decrementAndGet();
        });
        if (closed.get()) {
            connection.close(); // the server closed while this one was being set up
        }
    }

    /** Stops accepting, then closes every accepted connection after the frames queued on it. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        transport.serverClosed(this);
        ChannelFuture unbound = serverChannel.close();
        for (TcpConnection connection : List.copyOf(accepted)) {
            connection.close();
        }
        if (!serverChannel.eventLoop().inEventLoop()) {
            unbound.awaitUninterruptibly(TcpTransport.CLOSE_WAIT_MS);
        }
    }

    @Override
    public String toString() {
        return "TcpServer{" + address + '}';
    }
}
