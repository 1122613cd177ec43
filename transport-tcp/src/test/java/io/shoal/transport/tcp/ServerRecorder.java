package io.shoal.transport.tcp;

import io.shoal.spi.Connection;
import io.shoal.spi.FrameHandler;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A server's {@link FrameHandler} for tests with several connections: records each connection's
 * open, frames and close cause, and echoes every frame back if asked to.
 */
class ServerRecorder extends FrameHandler {
    final List<Connection> opened = new CopyOnWriteArrayList<>();
    final Map<Connection, List<byte[]>> frames = new ConcurrentHashMap<>();
    final Map<Connection, Optional<Throwable>> closed = new ConcurrentHashMap<>();
    private final boolean echo;

    ServerRecorder(boolean echo) {
        this.echo = echo;
    }

    @Override
    public void onOpen(Connection connection) {
        frames.put(connection, new CopyOnWriteArrayList<>());
        opened.add(connection);
    }

    @Override
    public void onFrame(Connection connection, ByteBuffer frame) {
        byte[] copy = new byte[frame.remaining()];
        frame.duplicate().get(copy);
        frames.get(connection).add(copy);
        if (echo) {
            connection.send(frame);
        }
    }

    @Override
    public void onClose(Connection connection, Throwable cause) {
        closed.put(connection, Optional.ofNullable(cause));
    }

    /** The connection whose remote address is {@code remoteAddress}, once it opened; else {@code null}. */
    Connection openedFrom(String remoteAddress) {
        return opened.stream().filter(c -> c.remoteAddress().equals(remoteAddress)).findFirst().orElse(null);
    }
}
