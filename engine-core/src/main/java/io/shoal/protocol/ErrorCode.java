package io.shoal.protocol;

/**
 * The error codes of docs/protocol.md section 5 (30 to 36 belong to the cluster messages of
 * section 11). After an error whose {@link #closesConnection()} is true, the node closes the
 * connection right after sending it.
 */
public enum ErrorCode {
    /** A length, flag, enum or string in the frame is invalid. */
    MALFORMED_FRAME(1, true),
    /** Larger than allowed in the connection's state. */
    FRAME_TOO_LARGE(2, true),
    /** No such command. */
    UNKNOWN_OPCODE(3, true),
    /** No common protocol version. */
    UNSUPPORTED_VERSION(4, true),
    /** The command needs a READY connection. */
    NOT_AUTHENTICATED(5, true),
    /** Wrong proof. */
    AUTH_FAILED(6, true),
    /** Not READY within {@code server.authTimeoutMs} (a connection error). */
    AUTH_TIMEOUT(7, true),
    /** HELLO named another cluster. */
    CLUSTER_MISMATCH(8, true),
    /** A command out of order (second HELLO, AUTH without auth). */
    PROTOCOL_VIOLATION(9, true),
    /** The node did not finish starting within {@code server.startupWaitMs}. */
    NOT_READY(10, true),
    /** The node is stopping; try another. */
    SHUTTING_DOWN(11, true),
    /** A well-formed but invalid value: negative TTL, bad map name, bucket or maxEntries out of range. */
    INVALID_ARGUMENT(20, false),
    /** Key or value over the node's limit. */
    ENTRY_TOO_LARGE(21, false),
    /** The node is full and cannot evict; nothing changed. */
    MEMORY_LIMIT(22, false),
    /** Persistence cannot store changes now (disk full); nothing changed. */
    STORAGE_REFUSED(23, false),
    /** The change was applied but is not durable yet (disk full); outcome unknown. */
    STORAGE_NOT_DURABLE(24, false),
    /** The connection already has {@code server.maxSubscriptionsPerConnection} subscriptions. */
    TOO_MANY_SUBSCRIPTIONS(25, false),
    /** The sender's partition table version is older than the receiver's; refetch the table. */
    STALE_TABLE(30, false),
    /** Writes are refused while the cluster is paused (reads are served); nothing changed. */
    CLUSTER_PAUSED(31, false),
    /** Every copy of the key's bucket was lost; never answered as if the bucket were empty. */
    BUCKET_LOST(32, false),
    /** A coordinator-only request reached another node; the message names the coordinator. */
    NOT_COORDINATOR(33, false),
    /** A replicated change skipped a sequence number of its bucket; the sender resends the bucket. */
    OUT_OF_SEQUENCE(34, false),
    /**
     * The node holds no copy of the bucket a node-to-node message names, or does not serve the
     * bucket of a data request a member forwarded to it (the table is changing: nothing was done;
     * ask again shortly).
     */
    NOT_OWNER(35, false),
    /** A cluster message reached a node that is not part of a cluster. */
    NOT_CLUSTERED(36, false),
    /**
     * The node serving the key's bucket could not be reached in time by the node that received the
     * request; for a write the outcome is unknown.
     */
    PRIMARY_UNREACHABLE(37, false),
    /** A bug in the node; the message says what. */
    INTERNAL_ERROR(99, false);

    private static final ErrorCode[] BY_CODE = new ErrorCode[100];

    static {
        for (ErrorCode errorCode : values()) {
            BY_CODE[errorCode.code] = errorCode;
        }
    }

    private final int code;
    private final boolean closesConnection;

    ErrorCode(int code, boolean closesConnection) {
        this.code = code;
        this.closesConnection = closesConnection;
    }

    /** The wire value ({@code u16}). */
    public int code() {
        return code;
    }

    /** Whether the node closes the connection after sending this error. */
    public boolean closesConnection() {
        return closesConnection;
    }

    /** The error code with this wire value, or {@code null} if version 1 has none. */
    static ErrorCode lookup(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
