package io.shoal.core;

import io.shoal.ShoalException;
import io.shoal.spi.Connection;
import io.shoal.spi.FrameHandler;
import io.shoal.spi.Settings;
import io.shoal.spi.Transport;
import io.shoal.spi.TransportProvider;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * {@code transport = none} (the default): the node opens no listener and serves in-process callers
 * only. The engine never starts a protocol server with it; its methods only fail, so a mistaken
 * use says what to configure.
 */
final class NoTransport implements Transport {
    static final NoTransport INSTANCE = new NoTransport();

    @Override
    public int maxFrameBytes() {
        return 0;
    }

    @Override
    public Server listen(String address, FrameHandler handler) {
        throw new ShoalException("transport = none cannot listen at " + address + "; set transport = tcp (module transport-tcp)");
    }

    @Override
    public CompletableFuture<Connection> connect(String address, FrameHandler handler, Duration connectTimeout) {
        return CompletableFuture.failedFuture(new ShoalException("transport = none cannot connect to " + address));
    }

    @Override
    public void close() {
    }

    /** Registered for {@link java.util.ServiceLoader}. */
    public static final class Provider implements TransportProvider {
        @Override
        public String name() {
            return "none";
        }

        @Override
        public String description() {
            return "no listener: the node serves in-process callers only";
        }

        @Override
        public Transport create(Settings settings) {
            return INSTANCE;
        }
    }
}
