package io.shoal.core;

import io.shoal.spi.Connection;
import io.shoal.spi.FrameHandler;
import io.shoal.spi.Settings;
import io.shoal.spi.Transport;
import io.shoal.spi.TransportProvider;
import io.shoal.transport.tcp.TcpTransportProvider;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code transport = tcp-unlimited}: the TCP transport with {@link Connection#limitInboundFrameBytes}
 * ignored, as a transport that cannot enforce a per-connection limit would behave. The TCP transport
 * closes a connection whose frame is over the limit before the node sees it; with this one the node
 * receives the frame and must refuse it itself (FRAME_TOO_LARGE).
 */
public final class UnlimitedTcpTransportProvider implements TransportProvider {
    @Override
    public String name() {
        return "tcp-unlimited";
    }

    @Override
    public Transport create(Settings settings) {
        Transport tcp = new TcpTransportProvider().create(settings);
        return new Transport() {
            @Override
            public int maxFrameBytes() {
                return tcp.maxFrameBytes();
            }

            @Override
            public Server listen(String address, FrameHandler handler) {
                Map<Connection, Connection> wrapped = new ConcurrentHashMap<>();
                return tcp.listen(address, new FrameHandler() {
                    @Override
                    public void onOpen(Connection connection) {
                        Connection unlimited = new Unlimited(connection);
                        wrapped.put(connection, unlimited);
                        handler.onOpen(unlimited);
                    }

                    @Override
                    public void onFrame(Connection connection, ByteBuffer frame) {
                        handler.onFrame(wrapped.get(connection), frame);
                    }

                    @Override
                    public void onClose(Connection connection, Throwable cause) {
                        handler.onClose(wrapped.remove(connection), cause);
                    }
                });
            }

            @Override
            public CompletableFuture<Connection> connect(String address, FrameHandler handler, Duration timeout) {
                return tcp.connect(address, handler, timeout);
            }

            @Override
            public void close() {
                tcp.close();
            }
        };
    }

    private record Unlimited(Connection tcp) implements Connection {
        @Override
        public String remoteAddress() {
            return tcp.remoteAddress();
        }

        @Override
        public CompletableFuture<Void> send(ByteBuffer frame) {
            return tcp.send(frame);
        }

        @Override
        public boolean isOpen() {
            return tcp.isOpen();
        }

        @Override
        public void limitInboundFrameBytes(int maxBytes) {
            // ignored: this transport cannot enforce it
        }

        @Override
        public long queuedBytes() {
            return tcp.queuedBytes();
        }

        @Override
        public void close() {
            tcp.close();
        }
    }
}
