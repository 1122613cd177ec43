package io.shoal.client;

import io.shoal.CodecException;
import io.shoal.NodeClosedException;
import io.shoal.ShoalException;
import io.shoal.ShoalMap;
import io.shoal.spi.Codec;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A connection to a Shoal cluster over the wire protocol ({@code docs/protocol.md}), giving the
 * same {@link ShoalMap}s as an in-process node: every operation, typed maps, check-and-set,
 * listeners and the {@link java.util.concurrent.ConcurrentMap} view, with the same exceptions.
 *
 * <pre>{@code
 * try (ShoalClient client = ShoalClient.connect(ClientConfig.builder()
 *         .nodes("10.0.0.5:7401", "10.0.0.6:7401").build())) {
 *     ShoalMap<String, String> users = client.map("users", String.class, String.class);
 *     long version = users.put("ada", "Ada Lovelace");
 *     boolean won = users.replace("ada", version, "Countess of Lovelace");   // check-and-set
 * }
 * }</pre>
 *
 * <p><b>Connections.</b> The client keeps one connection, to the first node of
 * {@link ClientConfig#nodes()} that answers (after those, the nodes the cluster reported). It
 * authenticates with {@link ClientConfig#secret()} when the node asks (and refuses a node that
 * cannot prove it knows the secret, or does not ask although a secret is set), sends PING when the
 * connection is idle and drops it when the node is silent past
 * {@link ClientConfig#deadPeerTimeout()}. When the connection is lost, or the node says GOODBYE
 * (it is stopping), the client marks that node failed and reconnects at once, trying the nodes in
 * order with failed nodes last; when a whole round fails it waits
 * {@link ClientConfig#reconnectBackoffInitial()}, doubling up to
 * {@link ClientConfig#reconnectBackoffMax()}, and tries again until it is closed. Requests made
 * meanwhile wait for the next connection (within their timeout); requests lost with the connection
 * fail with {@link ConnectionLostException} or are retried, per {@link ClientConfig#retryPolicy()}.
 * Listeners are subscribed again on the new connection and told through
 * {@link io.shoal.ChangeListener#onEventsMissed()} that they may have missed events.
 *
 * <p><b>Smart routing</b> ({@link ClientConfig.Builder#smartRouting(boolean)}, off by default).
 * Without it, every request goes to the connected node, which forwards each keyed request to the
 * node that serves the key's bucket (its primary). With it, the client also holds the cluster's
 * partition table (fetched with TABLE_FETCH when it connects and whenever a node's SERVER_INFO
 * announces a newer one; see {@link #tableVersion()}) and one connection per node, opened the first
 * time a request goes to that node and opened again after it is lost, with the reconnection backoff.
 * Each GET, GET_ENTRY, CONTAINS, PUT, PUT_IF_ABSENT, REPLACE and REMOVE (of the maps' single-key
 * operations, synchronous or not) goes straight to its key's primary, a hop less. The connected
 * node above stays the <i>default connection</i>: it gets every request that names no key (size,
 * clear, iteration, listeners, {@link #ping()}, {@link #stats()}, {@link #hashCheck},
 * {@link #send}), and keyed ones whose primary has no READY connection (down, still connecting) or
 * whose bucket the client's table shows as lost or does not know. A stale table never gives a wrong
 * answer, only a slower one: a node asked for a key it no longer serves forwards the request, or
 * answers {@code NOT_OWNER} during a hand-over and the client asks again within the request
 * timeout. Timeouts, the {@link ClientConfig#retryPolicy()} and {@link #close()} apply to every
 * connection alike; pipelined requests on different connections are answered in no particular
 * order.
 *
 * <p><b>Threading.</b> Thread-safe; share one client. Synchronous methods block the calling thread
 * until the reply, at most {@link ClientConfig#requestTimeout()} (counted from the call, waiting
 * for a connection included; then {@link RequestTimeoutException}). The {@code *Async} methods of
 * its maps never block: the request is sent at once (many may be in flight on one connection) and
 * the future completes on the transport's I/O thread when the reply arrives, or on the client's
 * timer thread when the timeout passes. Callbacks attached to those futures without an executor
 * run on those threads: they must not block (use {@code thenApplyAsync(fn, executor)} for slow
 * work). Listeners run on the client's event thread ({@code shoal-client-N-events}), one event at
 * a time, in the order the node sent them. With smart routing, the table is replaced (an immutable
 * snapshot, read without locking by the calling thread of each request) on the I/O thread that
 * receives the TABLE_FETCH reply.
 *
 * <p><b>Errors.</b> As in-process: {@link io.shoal.MemoryLimitExceededException},
 * {@link io.shoal.EntryTooLargeException}, {@link io.shoal.StorageUnavailableException},
 * {@link IllegalArgumentException} for a value the node refuses, {@link CodecException},
 * {@link NullPointerException} for null keys and values, and {@link ClientClosedException} (a {@link NodeClosedException}) after
 * {@link #close()}; plus {@link RequestTimeoutException} and {@link ConnectionLostException}, after
 * which the outcome of a write is unknown.
 */
public interface ShoalClient extends AutoCloseable {

    /**
     * Connects to the first node of {@code config.nodes()} that accepts the connection and the
     * handshake, trying them in order, each within {@link ClientConfig#connectTimeout()}. Blocks
     * the calling thread until connected.
     *
     * @throws ShoalException   if no node could be reached; the message names every address tried
     *                          and why it failed (refused, timed out, wrong secret, wrong cluster, ...)
     * @throws io.shoal.ConfigException if the transport's settings are invalid (TLS files, sizes)
     */
    static ShoalClient connect(ClientConfig config) {
        return ClientImpl.connect(config);
    }

    /**
     * The map called {@code name}, read and written through the given codecs; the same name means
     * the same data as on the nodes, whatever the codecs. Cheap: opens nothing.
     *
     * @throws IllegalArgumentException if the name is empty, longer than 255 UTF-8 bytes or holds
     *     control characters
     */
    <K, V> ShoalMap<K, V> map(String name, Codec<K> keyCodec, Codec<V> valueCodec);

    /**
     * The map called {@code name} with codecs chosen by type, exactly as on a node: built-in codecs
     * for {@code String}, {@code Long}, {@code Integer} and {@code byte[]}; Kryo for any other class,
     * which must be listed in {@link ClientConfig#kryoClasses()} in the order of the nodes'
     * {@code codec.kryo.classes}.
     *
     * @throws CodecException           if a type has no codec (for example an unregistered class)
     * @throws IllegalArgumentException if the name is not a valid map name
     */
    <K, V> ShoalMap<K, V> map(String name, Class<K> keyType, Class<V> valueType);

    /**
     * Sends PING to the connected node and returns the round-trip time. Blocks.
     *
     * @throws RequestTimeoutException if no reply came within the request timeout
     */
    Duration ping();

    /**
     * The connected node's counters (STATS), by their stable names ({@code entries},
     * {@code memoryUsedBytes}, {@code connections}, ...), in the node's order. Blocks.
     */
    Map<String, Long> stats();

    /**
     * The connected node's key hash of {@code data} and its bucket (HASH_CHECK): compare them with
     * {@link io.shoal.KeyHash#hash(byte[])} and {@link io.shoal.KeyHash#bucketOf} to check a
     * client's hash implementation. Blocks.
     */
    NodeKeyHash hashCheck(byte[] data);

    /**
     * Sends one request of the protocol (docs/protocol.md) as it is and returns the node's answer:
     * a {@link io.shoal.protocol.Reply}, or an {@link io.shoal.protocol.ErrorReply} (not turned
     * into an exception, so the caller sees its code). For tools and for nodes talking to each
     * other; applications use {@link #map}. Never blocks: the future completes on the transport's
     * I/O thread, or exceptionally with {@link RequestTimeoutException},
     * {@link ConnectionLostException} (per {@link ClientConfig#retryPolicy()}; a write's outcome is
     * then unknown) or {@link ClientClosedException}. Session commands (HELLO, AUTH, GOODBYE) are
     * the client's own and refused with {@link IllegalArgumentException}.
     */
    CompletableFuture<io.shoal.protocol.Message> send(io.shoal.protocol.Request request);

    /**
     * The addresses this client would try, in its order of preference: those of
     * {@link ClientConfig#nodes()} first, then those the cluster reported (SERVER_INFO).
     */
    List<String> nodes();

    /**
     * The address of the node the client is connected to (with smart routing: its default
     * connection), or empty while it is reconnecting or closed.
     */
    Optional<String> connectedNode();

    /**
     * The version of the partition table this client routes keyed requests by: 0 without
     * {@link ClientConfig#smartRouting() smart routing}, before the first table arrived, or when
     * the nodes have none (a node outside a cluster). It only rises; it may lag the cluster's
     * version for a moment (a table is fetched after a node announces it), which costs a hop,
     * never a wrong answer. For tests and tools. Never blocks.
     */
    long tableVersion();

    /** Whether {@link #close()} has been called. */
    boolean isClosed();

    /**
     * Closes the client: sends GOODBYE on every connection (with smart routing, the one to each
     * node too) and waits for the replies (at most
     * {@link ClientConfig#requestTimeout()}; replies to requests sent before still arrive first),
     * closes the connections and the transport, fails requests still waiting with
     * {@link ClientClosedException} and stops the client's threads. Returns when all are closed.
     * Idempotent; a second call waits for the first to finish. Listeners get no events after it
     * returns.
     */
    @Override
    void close();
}
