package io.shoal.protocol;

/**
 * The commands of protocol version 1 (docs/protocol.md sections 4 and 11), with their wire codes.
 *
 * <p>Opcode {@code 0} is not a command: it appears only in a connection error (an {@link ErrorReply}
 * sent without a request to answer), which is why {@link ErrorReply#opcode()} and
 * {@link Frame#opcode()} are plain {@code int}s.
 */
public enum Opcode {
    HELLO(0x01, false),
    AUTH(0x02, false),
    PING(0x03, false),
    GOODBYE(0x04, false),
    GET(0x10, false),
    GET_ENTRY(0x11, false),
    CONTAINS(0x12, false),
    PUT(0x13, false),
    PUT_IF_ABSENT(0x14, false),
    REPLACE(0x15, false),
    REMOVE(0x16, false),
    SIZE(0x17, false),
    CLEAR(0x18, false),
    SCAN(0x19, false),
    HASH_CHECK(0x20, false),
    SUBSCRIBE(0x30, false),
    UNSUBSCRIBE(0x31, false),
    EVENT(0x32, true),
    EVENTS_DROPPED(0x33, true),
    SERVER_INFO(0x40, true),
    STATS(0x41, false),
    LOAD_LEVELS(0x42, false),
    JOIN(0x50, false),
    VIEW(0x51, false),
    HEARTBEAT(0x52, false),
    TABLE(0x53, false),
    TABLE_FETCH(0x54, false),
    REPLICATE(0x55, false),
    MIGRATE_CHUNK(0x56, false),
    BUCKET_DIGEST(0x57, false),
    LEAVE(0x58, false),
    CLUSTER_STATE(0x59, false),
    FEED_DONE(0x5A, false);

    private static final Opcode[] BY_CODE = new Opcode[256];

    static {
        for (Opcode opcode : values()) {
            BY_CODE[opcode.code] = opcode;
        }
    }

    private final int code;
    private final boolean push;

    Opcode(int code, boolean push) {
        this.code = code;
        this.push = push;
    }

    /** The wire value, 1 to 255. */
    public int code() {
        return code;
    }

    /**
     * Whether this opcode is a push (sent by the node without a request, flags {@code PUSH}); all
     * others are a request and its reply.
     */
    public boolean isPush() {
        return push;
    }

    /** The opcode with this wire value, or {@code null} if version 1 has none (including 0). */
    static Opcode lookup(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
