package io.shoal.samples.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The floor of {@code bench cluster}'s rebalance: the same number of bytes sent over loopback TCP
 * by one thread to another with plain blocking {@code java.nio} sockets (TCP_NODELAY), in chunks
 * of {@value #CHUNK_BYTES} bytes, about one migration chunk's size (1,024 entries of 16 + 100
 * bytes plus their headers). The sender writes from one direct buffer, the receiver reads into one
 * and discards; nothing is copied, encoded or stored. The time runs from the first write to the
 * receipt of the last byte.
 */
final class RawTransfer {
    static final int CHUNK_BYTES = 128 * 1024;
    /** Names of the receiving thread. */
    static final String THREAD_NAME = "bench-raw-receiver";

    private RawTransfer() {
    }

    /** Sends {@code bytes} bytes and returns the seconds it took. */
    static double transfer(long bytes) throws IOException, InterruptedException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            AtomicLong receivedAt = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread receiver = new Thread(() -> {
                try (SocketChannel in = server.accept()) {
                    ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK_BYTES);
                    long received = 0;
                    while (received < bytes) {
                        buffer.clear();
                        int n = in.read(buffer);
                        if (n < 0) {
                            throw new IOException("the sender closed after " + received + " of " + bytes + " bytes");
                        }
                        received += n;
                    }
                    receivedAt.set(System.nanoTime());
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, THREAD_NAME);
            receiver.setDaemon(true);
            receiver.start();
            long started;
            try (SocketChannel out = SocketChannel.open()) {
                out.setOption(StandardSocketOptions.TCP_NODELAY, true);
                out.connect(server.getLocalAddress());
                ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES);
                for (int i = 0; i < CHUNK_BYTES; i++) {
                    chunk.put(i, (byte) i);
                }
                started = System.nanoTime();
                long sent = 0;
                while (sent < bytes) {
                    chunk.clear();
                    chunk.limit((int) Math.min(CHUNK_BYTES, bytes - sent));
                    while (chunk.hasRemaining()) {
                        sent += out.write(chunk);
                    }
                }
                receiver.join(TimeUnit.SECONDS.toMillis(60));
            }
            if (failure.get() != null) {
                throw new IOException("the raw transfer's receiver failed: " + failure.get(), failure.get());
            }
            if (receivedAt.get() == 0) {
                throw new IOException("the raw transfer's receiver did not finish within 60 s");
            }
            return (receivedAt.get() - started) / 1e9;
        }
    }
}
