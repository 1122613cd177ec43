package io.shoal.samples.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.Frame;
import io.shoal.protocol.ProtocolCodec;
import io.shoal.protocol.ProtocolException;
import org.HdrHistogram.Histogram;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The one load generator of {@code bench remote}, used against the node and the echo server alike,
 * so that only the server differs. It opens {@code C} connections with Netty (NIO, TCP_NODELAY,
 * the same framing as transport-tcp), says HELLO where the server speaks the protocol, then keeps
 * {@code D} requests in flight on each connection: every reply is checked (opcode, flags, size,
 * and {@code found} for a GET), its latency recorded, and the next request written at once, on the
 * connection's I/O thread. Requests are copies of pre-encoded frames ({@link RemoteFrames}) with the
 * request id and key index patched in; writes made while handling one read burst are flushed
 * together at its end.
 *
 * <p>Latency is measured per request from just before its write to the moment its reply is read,
 * in nanoseconds, into one HdrHistogram per connection (3 significant digits), merged at the end.
 * The load is a closed loop at full speed (a request is sent as soon as a slot frees), so there is
 * no intended send schedule to correct for: a stall of the server shows as the latency of every
 * request it held.
 *
 * <p>A run: connect and handshake, warm up, measure, then stop sending and wait for the replies
 * still in flight, and close. Requests completed during the measured window count; ops/s is their
 * number over the window's length.
 */
final class LoadGenerator implements AutoCloseable {
    private static final long HIGHEST_TRACKABLE_NANOS = RemoteReport.HIGHEST_TRACKABLE_NANOS;
    private static final long CONNECT_TIMEOUT_MS = 10_000;
    private static final long DRAIN_TIMEOUT_MS = 10_000;
    private static final int MAX_FRAME_BYTES = 16 << 20;
    /** Names of the generator's threads. */
    static final String THREAD_NAME = "bench-client";

    enum Op {
        GET, PUT;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * What one run measured; {@code threads}: what each thread group of this JVM did during the
     * measured window ({@link ThreadStats}; empty for a fill or without {@code /proc}); {@code gcMillis}:
     * the time the JVM's collectors report for the window.
     */
    record Measurement(long requests, double seconds, Histogram latencyNanos,
                       Map<String, ThreadStats.Counters> threads, long gcMillis) {
        double opsPerSecond() {
            return requests / seconds;
        }

        /** What the thread groups named {@code prefix...} did in the window; null without {@code /proc}. */
        ThreadStats.Counters threads(String prefix) {
            ThreadStats.Counters sum = null;
            for (Map.Entry<String, ThreadStats.Counters> e : threads.entrySet()) {
                if (e.getKey().startsWith(prefix)) {
                    sum = sum == null ? e.getValue() : sum.plus(e.getValue());
                }
            }
            return sum;
        }
    }

    private final EventLoopGroup group;
    private final RemoteFrames frames;
    private final int keys;

    /**
     * @param ioThreads the generator's own event-loop threads; connections are spread over them
     * @param keys      requests pick keys uniformly among indexes {@code [0, keys)}
     */
    LoadGenerator(RemoteFrames frames, int ioThreads, int keys) {
        this.frames = frames;
        this.keys = keys;
        this.group = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory(THREAD_NAME, true),
                NioIoHandler.newFactory());
    }

    /**
     * PUTs every key of {@code [0, keys)} once, in order, over one connection with {@code depth}
     * requests in flight; returns when every PUT was acknowledged.
     */
    Measurement fill(InetSocketAddress address, boolean handshake, int depth) throws InterruptedException {
        return run(address, handshake, Op.PUT, 1, depth, 0, 0, keys);
    }

    /**
     * Runs {@code op} on {@code connections} connections with {@code depth} requests in flight on
     * each: {@code warmupMs}, then a measured window of {@code measureMs}.
     *
     * @throws IllegalStateException if a connection failed, a reply was an error or not the
     *     expected one, or the server stopped answering
     */
    Measurement measure(InetSocketAddress address, boolean handshake, Op op, int connections, int depth,
                        long warmupMs, long measureMs) throws InterruptedException {
        return run(address, handshake, op, connections, depth, warmupMs, measureMs, 0);
    }

    private Measurement run(InetSocketAddress address, boolean handshake, Op op, int connections, int depth,
                            long warmupMs, long measureMs, int fillKeys) throws InterruptedException {
        Run run = new Run(op, connections, depth, handshake, fillKeys);
        List<Driver> drivers = new ArrayList<>();
        List<Channel> channels = new ArrayList<>();
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT_MS);
        try {
            for (int c = 0; c < connections; c++) {
                Driver driver = new Driver(run);
                drivers.add(driver);
                ChannelFuture connected = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(MAX_FRAME_BYTES, 0, 4, 0, 4), driver);
                    }
                }).connect(address).await();
                channels.add(connected.channel());
                if (!connected.isSuccess()) {
                    throw new IllegalStateException("cannot connect to " + address + ": " + connected.cause());
                }
            }
            await(run, run.ready, CONNECT_TIMEOUT_MS, "the handshake of " + connections + " connections");
            long started = System.nanoTime();
            for (Driver driver : drivers) {
                driver.channel.eventLoop().execute(driver::start);
            }
            long measuredFrom = started;
            long measuredTo;
            Map<String, ThreadStats.Counters> threads = Map.of();
            long gc = 0;
            if (fillKeys > 0) {
                await(run, run.drained, TimeUnit.SECONDS.toMillis(600), "the fill");
                measuredTo = System.nanoTime();
            } else {
                Thread.sleep(warmupMs);
                Map<String, ThreadStats.Counters> threadsBefore = ThreadStats.snapshot();
                long gcBefore = gcMillis();
                measuredFrom = System.nanoTime();
                run.phase = Run.MEASURE;
                Thread.sleep(measureMs);
                run.phase = Run.STOP;
                measuredTo = System.nanoTime();
                threads = ThreadStats.delta(threadsBefore, ThreadStats.snapshot());
                gc = gcMillis() - gcBefore;
                await(run, run.drained, DRAIN_TIMEOUT_MS, "the replies still in flight");
            }
            run.phase = Run.CLOSING;
            Histogram merged = new Histogram(HIGHEST_TRACKABLE_NANOS, 3);
            long requests = 0;
            for (Driver driver : drivers) {
                merged.add(driver.histogram);
                requests += driver.measured;
            }
            return new Measurement(requests, (measuredTo - measuredFrom) / 1e9, merged, threads, gc);
        } finally {
            run.phase = Run.CLOSING;
            for (Channel channel : channels) {
                channel.close().awaitUninterruptibly(CONNECT_TIMEOUT_MS);
            }
        }
    }

    private static long gcMillis() {
        long sum = 0;
        for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            sum += Math.max(0, collector.getCollectionTime());
        }
        return sum;
    }

    private static void await(Run run, CountDownLatch latch, long timeoutMs, String what) throws InterruptedException {
        boolean done;
        do {
            done = latch.await(10, TimeUnit.MILLISECONDS);
            timeoutMs -= 10;
        } while (!done && run.failure.get() == null && timeoutMs > 0);
        String failure = run.failure.get();
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
        if (!done) {
            throw new IllegalStateException("timed out waiting for " + what);
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** State shared by the connections of one run; {@link #phase} is set by the controlling thread. */
    private final class Run {
        static final int WARMUP = 0;
        static final int MEASURE = 1;
        static final int STOP = 2;
        static final int CLOSING = 3;

        final Op op;
        final int depth;
        final boolean handshake;
        /** Non-zero: PUT each key of {@code [0, fillKeys)} once, then stop. */
        final int fillKeys;
        final CountDownLatch ready;
        final CountDownLatch drained;
        final AtomicReference<String> failure = new AtomicReference<>();
        volatile int phase = WARMUP;

        Run(Op op, int connections, int depth, boolean handshake, int fillKeys) {
            this.op = op;
            this.depth = depth;
            this.handshake = handshake;
            this.fillKeys = fillKeys;
            this.ready = new CountDownLatch(connections);
            this.drained = new CountDownLatch(connections);
        }

        void fail(String why) {
            failure.compareAndSet(null, why);
        }
    }

    /** One connection; every method but the constructor runs on its event loop. */
    private final class Driver extends ChannelInboundHandlerAdapter {
        private final Run run;
        private final long[] sentAtNanos;
        final Histogram histogram = new Histogram(HIGHEST_TRACKABLE_NANOS, 3);
        /** Replies received in the measured window. */
        long measured;
        Channel channel;
        private ChannelHandlerContext ctx;
        private boolean ready;
        private boolean stopped;
        private boolean unflushed;
        private int inFlight;
        private int nextFillKey;
        private long random = ThreadLocalRandom.current().nextLong() | 1; // xorshift must not start at 0

        Driver(Run run) {
            this.run = run;
            this.sentAtNanos = new long[run.depth];
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            this.channel = ctx.channel();
            if (run.handshake) {
                ctx.writeAndFlush(ctx.alloc().ioBuffer(frames.hello.length).writeBytes(frames.hello), ctx.voidPromise());
            } else {
                becomeReady();
            }
        }

        private void becomeReady() {
            ready = true;
            run.ready.countDown();
        }

        /** Writes the first {@code depth} requests. */
        void start() {
            for (int slot = 0; slot < run.depth && !stopped; slot++) {
                if (!send(slot)) {
                    break;
                }
            }
            flush();
        }

        /** Writes the request of {@code slot} unless there is nothing left to send (fill). */
        private boolean send(int slot) {
            long key;
            byte[] template;
            if (run.fillKeys > 0) {
                if (nextFillKey == run.fillKeys) {
                    if (inFlight == 0) {
                        stop();
                    }
                    return false;
                }
                key = nextFillKey;
                template = frames.puts[MapData.fillVariant(nextFillKey++)];
            } else {
                long x = random;
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                random = x;
                key = ((x >>> 32) * keys) >>> 32;
                template = run.op == Op.GET ? frames.get : frames.puts[(int) x & (MapData.VALUE_VARIANTS - 1)];
            }
            ByteBuf request = ctx.alloc().ioBuffer(template.length);
            request.writeBytes(template);
            request.setInt(RemoteFrames.ID_OFFSET, slot + 1);
            request.setLong(RemoteFrames.KEY_OFFSET, key);
            inFlight++;
            sentAtNanos[slot] = System.nanoTime();
            ctx.write(request, ctx.voidPromise());
            unflushed = true;
            return true;
        }

        private void stop() {
            if (!stopped) {
                stopped = true;
                run.drained.countDown();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            long now = System.nanoTime();
            ByteBuf frame = (ByteBuf) msg;
            try {
                onFrame(frame, now);
            } finally {
                frame.release();
            }
        }

        private void onFrame(ByteBuf frame, long now) {
            int at = frame.readerIndex();
            int length = frame.readableBytes();
            if (length < Frame.HEADER_BYTES) {
                fail("a frame of " + length + " bytes");
                return;
            }
            int opcode = frame.getUnsignedByte(at);
            int flags = frame.getUnsignedByte(at + 1);
            int id = frame.getInt(at + 4);
            if (flags == Frame.FLAG_PUSH) {
                return; // SERVER_INFO after HELLO
            }
            if (flags == 0 && opcode == RemoteFrames.PING && length == Frame.HEADER_BYTES + 8) {
                // the node's keep-alive (a connection idle for server.keepAliveIntervalMs): the same frame as a reply
                ByteBuf pong = ctx.alloc().ioBuffer(RemoteFrames.PREFIX_BYTES + length).writeInt(length)
                        .writeBytes(frame, at, length);
                pong.setByte(RemoteFrames.PREFIX_BYTES + 1, Frame.FLAG_REPLY);
                ctx.writeAndFlush(pong, ctx.voidPromise());
                return;
            }
            if (flags != Frame.FLAG_REPLY) {
                fail(describe(frame));
                return;
            }
            if (!ready) {
                if (opcode != RemoteFrames.HELLO || id != RemoteFrames.HELLO_ID) {
                    fail("expected the HELLO reply, got " + describe(frame));
                    return;
                }
                becomeReady();
                return;
            }
            int slot = id - 1;
            boolean get = run.op == Op.GET;
            int expectedLength = RemoteFrames.frameBytes(get ? frames.getReply : frames.putReply);
            if (slot < 0 || slot >= run.depth || opcode != (get ? RemoteFrames.GET : RemoteFrames.PUT)
                    || length != expectedLength || (get && frame.getByte(at + Frame.HEADER_BYTES) != 1)) {
                fail("unexpected reply (opcode 0x" + Integer.toHexString(opcode) + ", id " + id + ", " + length
                        + " bytes; expected " + expectedLength + (get ? ", found" : "") + ")");
                return;
            }
            inFlight--;
            int phase = run.phase;
            if (phase == Run.MEASURE || run.fillKeys > 0) {
                histogram.recordValue(Math.min(now - sentAtNanos[slot], HIGHEST_TRACKABLE_NANOS));
                measured++;
            }
            if (phase >= Run.STOP) {
                if (inFlight == 0) {
                    stop();
                }
                return;
            }
            send(slot);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            flush();
        }

        private void flush() {
            if (unflushed) {
                unflushed = false;
                ctx.flush();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (run.phase != Run.CLOSING) {
                fail("the server closed the connection");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause.toString());
            ctx.close();
        }

        private void fail(String why) {
            run.fail(why);
            stopped = true;
        }

        private String describe(ByteBuf frame) {
            byte[] bytes = new byte[frame.readableBytes()];
            frame.getBytes(frame.readerIndex(), bytes);
            try {
                Frame decoded = ProtocolCodec.decode(java.nio.ByteBuffer.wrap(bytes));
                if (decoded.body() instanceof ErrorReply error) {
                    return "error reply " + error.code() + ": " + error.message();
                }
                return decoded.toString();
            } catch (ProtocolException e) {
                return "a malformed frame (" + e.getMessage() + ")";
            }
        }
    }
}
