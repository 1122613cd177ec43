package io.shoal.core;

import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.Frame;
import io.shoal.protocol.ProtocolCodec;
import io.shoal.protocol.ProtocolException;
import io.shoal.protocol.Push;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A plain {@link Socket} speaking TCP framing by hand (u32 length, then the frame), so tests can
 * send what no codec would: lying lengths, truncated frames, half a length prefix. Reads time out
 * after {@link RawClient#WAIT}.
 */
final class RawSocket implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    private RawSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    static RawSocket connect(String address) {
        return connect(address, 0);
    }

    /** With {@code receiveBufferBytes > 0}, a small receive buffer (a slow reader fills it fast). */
    static RawSocket connect(String address, int receiveBufferBytes) {
        int colon = address.lastIndexOf(':');
        try {
            Socket socket = new Socket();
            if (receiveBufferBytes > 0) {
                socket.setReceiveBufferSize(receiveBufferBytes);
            }
            socket.connect(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))),
                    5000);
            socket.setSoTimeout((int) RawClient.WAIT.toMillis());
            socket.setTcpNoDelay(true);
            return new RawSocket(socket);
        } catch (IOException e) {
            throw new AssertionError("cannot connect to " + address, e);
        }
    }

    /** Writes bytes as they are (no length prefix). */
    RawSocket writeRaw(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return this;
    }

    /** Writes {@code frame} behind its true length. */
    RawSocket writeFrame(byte[] frame) {
        return writeRaw(withLength(frame));
    }

    RawSocket send(Frame frame) {
        ByteBuffer encoded = ProtocolCodec.encode(frame);
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        return writeFrame(bytes);
    }

    static byte[] withLength(byte[] frame) {
        return ByteBuffer.allocate(4 + frame.length).putInt(frame.length).put(frame).array();
    }

    /** The next frame, decoded. */
    Frame read() {
        try {
            int length = in.readInt();
            if (length < 0 || length > (64 << 20)) {
                fail("implausible frame length " + Integer.toUnsignedString(length));
            }
            byte[] frame = new byte[length];
            in.readFully(frame);
            return ProtocolCodec.decode(ByteBuffer.wrap(frame));
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no frame within " + RawClient.WAIT, e);
        } catch (IOException e) {
            throw new AssertionError("connection ended before a frame", e);
        } catch (ProtocolException e) {
            throw new AssertionError("the node sent a frame the codec refuses: " + e.getMessage(), e);
        }
    }

    /** HELLO (no authentication) and its reply and SERVER_INFO push. */
    RawSocket hello() {
        send(new Frame(1, new Request.Hello(1, 1, "", "raw-socket")));
        assertInstanceOf(Reply.Hello.class, read().body());
        assertInstanceOf(Push.ServerInfo.class, read().body());
        return this;
    }

    /**
     * Reads an error reply with {@code code} (skipping the node's keep-alive PINGs), then expects
     * the node to close the connection.
     */
    ErrorReply expectErrorAndClose(ErrorCode code) {
        Frame frame = read();
        for (int pings = 0; frame.body() instanceof Request.Ping && pings < 100; pings++) {
            frame = read();
        }
        ErrorReply error = assertInstanceOf(ErrorReply.class, frame.body(), frame::toString);
        assertEquals(code, error.code(), error::toString);
        expectClosed();
        return error;
    }

    /** Reads until the node closes the connection; fails on any frame but the node's PINGs. */
    void expectClosed() {
        try {
            while (true) {
                int length;
                try {
                    length = in.readInt();
                } catch (EOFException | SocketException e) {
                    return;
                }
                byte[] frame = new byte[length];
                in.readFully(frame);
                Frame decoded = ProtocolCodec.decode(ByteBuffer.wrap(frame));
                if (!(decoded.body() instanceof Request.Ping)) {
                    fail("expected the connection to close, got " + decoded);
                }
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("connection still open after " + RawClient.WAIT, e);
        } catch (EOFException | SocketException e) {
            // closed in the middle of a frame: closed all the same
        } catch (IOException | ProtocolException e) {
            throw new AssertionError(e);
        }
    }

    /** Waits until the node closes the connection, whatever it sent before. */
    void awaitEof() {
        try {
            byte[] sink = new byte[8192];
            while (in.read(sink) >= 0) {
                // discard
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("connection still open after " + RawClient.WAIT, e);
        } catch (IOException e) {
            // reset: closed
        }
    }

    DataInputStream input() {
        return in;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing
        }
    }

    /** Builds a frame field by field, with whatever lengths a test wants. */
    static final class Wire {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        static Wire frame(int opcode, int flags, int requestId) {
            return new Wire().u8(opcode).u8(flags).u16(0).u32(requestId);
        }

        /** Request id of {@link #request}: out of the way of a {@link RawClient}'s own ids. */
        static final int RAW_REQUEST_ID = 0x5EED_0001;

        /** A request header, id {@link #RAW_REQUEST_ID}. */
        static Wire request(int opcode) {
            return frame(opcode, 0, RAW_REQUEST_ID);
        }

        Wire u8(int value) {
            bytes.write(value);
            return this;
        }

        Wire u16(int value) {
            return u8(value >>> 8).u8(value);
        }

        Wire u32(long value) {
            return u16((int) (value >>> 16) & 0xFFFF).u16((int) value & 0xFFFF);
        }

        Wire i64(long value) {
            return u32(value >>> 32).u32(value & 0xFFFF_FFFFL);
        }

        Wire raw(byte[] value) {
            bytes.writeBytes(value);
            return this;
        }

        /** {@code str} with its true length. */
        Wire str(String value) {
            byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
            return u16(utf8.length).raw(utf8);
        }

        /** {@code bytes} with its true length. */
        Wire bytes(byte[] value) {
            return u32(value.length).raw(value);
        }

        Wire bytes(String ascii) {
            return bytes(ascii.getBytes(StandardCharsets.US_ASCII));
        }

        byte[] build() {
            return bytes.toByteArray();
        }
    }
}
