package io.shoal.transport.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import io.shoal.ShoalException;
import io.shoal.spi.Connection;
import io.shoal.spi.FrameHandler;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One TCP connection: the last handler of its channel's pipeline and the {@link Connection} the
 * frame handler sees.
 *
 * <p>Design. Inbound: the connection opens on {@code channelActive}, or with TLS on the
 * handshake's success; frames come from {@link FrameDecoder} as retained slices, are handed to the
 * {@link FrameHandler} as a {@link ByteBuffer} view and released after the call; {@code onClose}
 * runs from {@code channelInactive}, which Netty fires once, after every frame decoded before it.
 * All of that runs on the channel's event loop, so the event-loop-only fields need no locking.
 *
 * <p>Outbound: {@link #send} copies the frame once into a pooled buffer behind its length prefix.
 * Called by a handler while a read batch is being delivered (a reply), with nothing queued from
 * other threads, it writes the frame at once and the batch's {@code channelReadComplete} flushes
 * every such reply with one system call. Otherwise it queues the frame on a lock-free queue; one drain task per burst (the {@code drainScheduled} flag)
 * writes everything queued and flushes once, so a burst of sends from any threads costs one task
 * and one gathering write. The flag is cleared before the queue is read, so a send that saw it set
 * has queued its frame before the drain reads the queue. Frames that can no longer be written are
 * failed by whoever sees the channel gone: {@code channelInactive} sets {@code terminated} and then
 * empties the queue, and a send that queues after that sees {@code terminated} and empties it
 * itself (each frame is polled by one thread only).
 *
 * <p>Closing: {@link #close} refuses further sends at once, then on the event loop writes what is
 * queued, flushes, and closes the channel when those writes are done, or after
 * {@link TcpTransport#CLOSE_WAIT_MS} if the peer stops reading (the writes left then fail). Two
 * racing calls may both schedule that work; the second only repeats harmless steps. A handler
 * exception records the cause, drops inbound frames still to come and closes at once; the peer
 * sees an ordinary close.
 */
final class TcpConnection extends ChannelInboundHandlerAdapter implements Connection {
    /** Frames one drain task writes before it lets other channels of its event loop run. */
    private static final int MAX_FRAMES_PER_DRAIN = 4096;

    private final Channel channel;
    private final FrameHandler handler;
    private final int maxFrameBytes;
    private final boolean opensOnHandshake;
    /** Completed when the connection opens; {@code null} for accepted connections. */
    private final CompletableFuture<Connection> connecting;
    private final Consumer<Throwable> onFailedBeforeOpen;
    private final String remoteAddress;
    private final Queue<FrameWrite> pending = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final Runnable drainTask = this::drain;
    private volatile boolean closeRequested;
    private volatile boolean terminated;
    // Event loop only:
    private boolean reading;
    private boolean flushAfterRead;
    private boolean opened;
    private Throwable failure;

    /**
     * @param opensOnHandshake open when the TLS handshake succeeds rather than on {@code channelActive}
     * @param connecting completed with this connection when it opens (client side), else {@code null}
     * @param onFailedBeforeOpen told why a connection closed before it opened ({@code null}: closed
     *     without an error)
     */
    TcpConnection(Channel channel, String remoteAddress, FrameHandler handler, int maxFrameBytes,
                  boolean opensOnHandshake, CompletableFuture<Connection> connecting,
                  Consumer<Throwable> onFailedBeforeOpen) {
        this.channel = channel;
        this.handler = handler;
        this.maxFrameBytes = maxFrameBytes;
        this.opensOnHandshake = opensOnHandshake;
        this.connecting = connecting;
        this.onFailedBeforeOpen = onFailedBeforeOpen;
        this.remoteAddress = remoteAddress;
    }

    Channel channel() {
        return channel;
    }

    @Override
    public String remoteAddress() {
        return remoteAddress;
    }

    @Override
    public CompletableFuture<Void> send(ByteBuffer frame) {
        Objects.requireNonNull(frame, "frame");
        int size = frame.remaining();
        if (size > maxFrameBytes) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "frame of " + size + " bytes exceeds maxFrameBytes " + maxFrameBytes + "; nothing was sent"));
        }
        if (closeRequested || terminated) {
            return CompletableFuture.failedFuture(closed());
        }
        ByteBuf encoded = channel.alloc().ioBuffer(FrameDecoder.LENGTH_PREFIX_BYTES + size);
        encoded.writeInt(size);
        int position = frame.position();
        encoded.writeBytes(frame);
        frame.position(position);
        FrameWrite write = new FrameWrite(this, encoded);
        queuedBytes.addAndGet(encoded.readableBytes());
        if (reading && pending.isEmpty() && channel.eventLoop().inEventLoop()) {
            // A reply from a handler: written now, flushed once when this read batch ends.
            channel.write(write.takeFrame(), channel.newPromise().addListener(write));
            flushAfterRead = true;
            return write;
        }
        pending.offer(write);
        if (terminated) {
            failPending();
        } else if (drainScheduled.compareAndSet(false, true)) {
            try {
                channel.eventLoop().execute(drainTask);
            } catch (RejectedExecutionException e) { // the event loop ended: so did the channel
                failPending();
            }
        }
        return write;
    }

    @Override
    public void limitInboundFrameBytes(int maxBytes) {
        if (maxBytes < 1 || maxBytes > maxFrameBytes) {
            throw new IllegalArgumentException("inbound frame limit " + maxBytes + " is outside [1, " + maxFrameBytes + "]");
        }
        FrameDecoder decoder = channel.pipeline().get(FrameDecoder.class);
        if (decoder != null) {
            decoder.limit(maxBytes);
        }
    }

    @Override
    public long queuedBytes() {
        return queuedBytes.get();
    }

    /** A queued frame of {@code bytes} (length prefix included) was written or failed. */
    void dequeued(int bytes) {
        queuedBytes.addAndGet(-bytes);
    }

    @Override
    public boolean isOpen() {
        return !closeRequested && channel.isActive();
    }

    @Override
    public void close() {
        if (closeRequested) {
            return;
        }
        closeRequested = true;
        try {
            channel.eventLoop().execute(this::closeAfterQueuedFrames);
        } catch (RejectedExecutionException e) {
            channel.close(); // the event loop ended: the channel is closed or closing already
        }
    }

    private void closeAfterQueuedFrames() {
        if (!opened) {
            channel.close();
            return;
        }
        for (FrameWrite write = pending.poll(); write != null; write = pending.poll()) {
            channel.write(write.takeFrame(), channel.newPromise().addListener(write));
        }
        // Completes after every write before it; closing at once would fail those still buffered.
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        // A peer that stops reading must not keep the connection open forever: their futures fail.
        ScheduledFuture<?> force = channel.eventLoop().schedule(() -> {
            channel.close();
        }, TcpTransport.CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
        channel.closeFuture().addListener(closed -> force.cancel(false));
    }

    private void drain() {
        drainScheduled.set(false);
        if (flushAfterRead) { // frames written directly by a handler; keep them ahead of the queued ones
            flushAfterRead = false;
            channel.flush();
        }
        int written = 0;
        FrameWrite write;
        while (written < MAX_FRAMES_PER_DRAIN && (write = pending.poll()) != null) {
            channel.write(write.takeFrame(), channel.newPromise().addListener(write));
            written++;
        }
        if (written > 0) {
            channel.flush();
        }
        if (!pending.isEmpty() && drainScheduled.compareAndSet(false, true)) {
            channel.eventLoop().execute(drainTask);
        }
    }

    private void failPending() {
        for (FrameWrite write = pending.poll(); write != null; write = pending.poll()) {
            write.fail(closed());
        }
    }

    private ShoalException closed() {
        return new ShoalException("connection " + this + " is closed");
    }

    /** Closes at once with {@code cause}, which {@code onClose} will report. Event loop only. */
    private void fail(Throwable cause) {
        if (failure == null) {
            failure = cause;
        }
        closeRequested = true;
        channel.close();
    }

    private void open() {
        opened = true;
        try {
            handler.onOpen(this);
        } catch (RuntimeException | Error e) {
            fail(e);
        }
        if (connecting != null) {
            connecting.complete(this);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (!opensOnHandshake) {
            open();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof SslHandshakeCompletionEvent handshake) {
            if (handshake.isSuccess()) {
                open();
            } else {
                fail(handshake.cause());
            }
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        if (flushAfterRead) {
            flushAfterRead = false;
            channel.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reading = true;
        ByteBuf frame = (ByteBuf) msg;
        try {
            if (opened && failure == null) {
                handler.onFrame(this, frame.nioBuffer());
            }
        } catch (RuntimeException | Error e) {
            fail(e);
        } finally {
            frame.release();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // The decoder wraps what it throws; report the frame-length error itself.
        Throwable reported = cause instanceof DecoderException && cause.getCause() instanceof ShoalException
                ? cause.getCause() : cause;
        if (reported instanceof FrameDecoder.FrameTooLargeException tooLarge && opened && failure == null) {
            failure = tooLarge;
            try {
                handler.onFrameTooLarge(this, tooLarge.declaredBytes, tooLarge.limitBytes);
            } catch (RuntimeException | Error e) {
                tooLarge.addSuppressed(e);
            }
            closeRequested = true;
            closeAfterQueuedFrames(); // what the handler sent goes out first
            return;
        }
        fail(reported);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        terminated = true;
        closeRequested = true;
        failPending();
        if (opened) {
            try {
                handler.onClose(this, failure);
            } catch (RuntimeException | Error e) {
                TcpTransport.LOG.log(System.Logger.Level.WARNING, "onClose of " + this + " threw", e);
            }
        } else {
            onFailedBeforeOpen.accept(failure);
        }
    }

    @Override
    public String toString() {
        return TcpTransport.describe(channel.localAddress()) + "->" + remoteAddress;
    }
}
