package io.shoal.samples.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The floor of {@code bench remote}: a minimal Netty server speaking the same framing as
 * transport-tcp (a 4-byte big-endian length, then the frame) that answers each frame at once, on
 * its I/O thread, with a frame of the size the node's reply would have: the node's own reply to a
 * GET of a 100-byte value or to a PUT ({@link RemoteFrames}), with the request's id. Anything else
 * is echoed back as it came. Writes are flushed once per read burst (Netty's
 * {@code channelReadComplete}), which is the cheapest a Netty server can do.
 *
 * <p>NIO (like transport-tcp, which has no native transport), TCP_NODELAY, the pooled allocator,
 * and as many I/O threads as the node's transport has by default.
 */
final class EchoServer implements AutoCloseable {
    /** Names of the server's threads. */
    static final String THREAD_NAME = "bench-echo";
    private final EventLoopGroup group;
    private final Channel server;

    EchoServer(RemoteFrames frames, int ioThreads) throws InterruptedException {
        group = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory(THREAD_NAME, true),
                NioIoHandler.newFactory());
        Reply reply = new Reply(frames.getReply, frames.putReply);
        try {
            server = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            channel.pipeline().addLast(new LengthFieldBasedFrameDecoder(16 << 20, 0, 4, 0, 4), reply);
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        } catch (InterruptedException | RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @ChannelHandler.Sharable
    private static final class Reply extends ChannelInboundHandlerAdapter {
        private final byte[] getReply;
        private final byte[] putReply;

        Reply(byte[] getReply, byte[] putReply) {
            this.getReply = getReply;
            this.putReply = putReply;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            try {
                int at = frame.readerIndex();
                int length = frame.readableBytes();
                int opcode = length > 0 ? frame.getUnsignedByte(at) : -1;
                byte[] template = opcode == RemoteFrames.GET ? getReply : opcode == RemoteFrames.PUT ? putReply : null;
                ByteBuf out;
                if (template != null && length >= 8) {
                    out = ctx.alloc().ioBuffer(template.length);
                    out.writeBytes(template);
                    out.setInt(RemoteFrames.ID_OFFSET, frame.getInt(at + 4));
                } else {
                    out = ctx.alloc().ioBuffer(RemoteFrames.PREFIX_BYTES + length);
                    out.writeInt(length).writeBytes(frame, at, length);
                }
                ctx.write(out, ctx.voidPromise());
            } finally {
                frame.release();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
