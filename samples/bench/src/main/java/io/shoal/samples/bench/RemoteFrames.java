package io.shoal.samples.bench;

import io.shoal.protocol.Frame;
import io.shoal.protocol.Message;
import io.shoal.protocol.Opcode;
import io.shoal.protocol.ProtocolCodec;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The frames of the remote benchmark, encoded once by the protocol codec (docs/protocol.md) and
 * kept with their 4-byte TCP length prefix (transport-tcp/README.md), so that sending one is a copy
 * plus two patches: the request id and the key's index. Keys and values are those of
 * {@link MapData}: 16-byte keys whose first 8 bytes are the index (big-endian) and 100-byte values.
 *
 * <p>The replies are what the node sends to these requests: a found GET (113 bytes after the prefix)
 * and a PUT's version (16 bytes). The echo server answers with them, so both servers put the same
 * bytes on the wire.
 */
final class RemoteFrames {
    /** The map every request names. */
    static final String MAP = "bench";
    static final int PREFIX_BYTES = 4;
    /** Where the request id starts in a frame with its prefix. */
    static final int ID_OFFSET = PREFIX_BYTES + 4;
    /** Where the key starts in a GET or PUT frame with its prefix: header, map name, key length. */
    static final int KEY_OFFSET = PREFIX_BYTES + Frame.HEADER_BYTES + 2 + MAP.length() + 4;
    /** The HELLO's request id; data requests use 1 to the pipeline depth. */
    static final int HELLO_ID = 0x7fff_ffff;
    static final int GET = Opcode.GET.code();
    static final int PUT = Opcode.PUT.code();
    static final int HELLO = Opcode.HELLO.code();
    static final int PING = Opcode.PING.code();

    /** GET of key 0. */
    final byte[] get;
    /** PUT of key 0, one per value variant of {@link MapData#values()}. */
    final byte[][] puts;
    /** The node's reply to {@link #get} when the key holds a 100-byte value. */
    final byte[] getReply;
    /** The node's reply to a PUT. */
    final byte[] putReply;
    /** HELLO for protocol version 1, any cluster, no authentication. */
    final byte[] hello;

    RemoteFrames() {
        byte[] key = MapData.key(0);
        byte[][] values = MapData.values();
        get = encode(0, new Request.Get(MAP, key));
        puts = new byte[values.length][];
        for (int v = 0; v < values.length; v++) {
            puts[v] = encode(0, new Request.Put(MAP, key, values[v], 0));
        }
        getReply = encode(0, new Reply.Get(true, values[0]));
        putReply = encode(0, new Reply.Put(1));
        hello = encode(HELLO_ID, new Request.Hello(1, 1, "", "shoal-bench"));
        if (!Arrays.equals(get, KEY_OFFSET, KEY_OFFSET + key.length, key, 0, key.length)
                || !Arrays.equals(puts[0], KEY_OFFSET, KEY_OFFSET + key.length, key, 0, key.length)) {
            throw new IllegalStateException("KEY_OFFSET " + KEY_OFFSET + " does not point at the key");
        }
    }

    /** Bytes of a frame, length prefix included. */
    static byte[] encode(int requestId, Message body) {
        ByteBuffer frame = ProtocolCodec.encode(new Frame(requestId, body));
        byte[] bytes = new byte[PREFIX_BYTES + frame.remaining()];
        ByteBuffer.wrap(bytes).putInt(frame.remaining()).put(frame);
        return bytes;
    }

    /** Size of a frame without its prefix. */
    static int frameBytes(byte[] withPrefix) {
        return withPrefix.length - PREFIX_BYTES;
    }
}
