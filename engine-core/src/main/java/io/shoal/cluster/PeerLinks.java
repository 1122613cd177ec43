package io.shoal.cluster;

import io.shoal.ShoalException;
import io.shoal.client.ClientConfig;
import io.shoal.client.RetryPolicy;
import io.shoal.client.ShoalClient;
import io.shoal.protocol.Message;
import io.shoal.protocol.Request;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * This node's connections to the other members: one {@link ShoalClient} per peer address, kept
 * on that address only ({@link ClientConfig.Builder#discoverNodes(boolean) discoverNodes(false)},
 * so a message meant for one node never reaches another), created on first use.
 *
 * <p>Design: {@link ShoalClient#connect} blocks, so connecting runs on a small connector pool and a
 * send waits for it asynchronously. A link whose connect failed is dropped, and the next send to
 * that address tries again, at most once per {@code retryIntervalMs}; sends in between fail at
 * once. Once connected, the client reconnects by itself (with backoff) until {@link #drop} or
 * {@link #close}. Thread-safe.
 */
final class PeerLinks implements AutoCloseable {
    private final Function<String, ClientConfig> configFor;
    private final long retryIntervalMs;
    private final Map<String, Link> links = new ConcurrentHashMap<>();
    private final ExecutorService connector;
    private volatile boolean closed;

    private record Link(CompletableFuture<ShoalClient> client, long createdNanos) {
    }

    PeerLinks(String nodeId, Function<String, ClientConfig> configFor, long retryIntervalMs) {
        this.configFor = configFor;
        this.retryIntervalMs = retryIntervalMs;
        this.connector = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "shoal-cluster-" + nodeId + "-connect");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** The usual settings of a node's link to a peer; callers add transport settings and the secret. */
    static ClientConfig.Builder peerConfig(String selfId, String address, ClusterConfig config) {
        long failure = config.failureTimeoutMs;
        return ClientConfig.builder()
                .nodes(address)
                .discoverNodes(false)
                .clientName(Membership.MEMBER_CLIENT_PREFIX + selfId)
                .clusterName(config.clusterName)
                .retryPolicy(RetryPolicy.FAIL)
                .retryNotOwner(false) // the caller routes again by its own table (ShoalMapImpl, forwarding)
                .connectTimeout(Duration.ofMillis(Math.max(100, Math.min(failure, 2_000))))
                .requestTimeout(Duration.ofMillis(config.joinTimeoutMs))
                .reconnectBackoff(Duration.ofMillis(Math.max(10, config.heartbeatIntervalMs / 2)),
                        Duration.ofMillis(Math.max(20, config.heartbeatIntervalMs * 2)))
                .keepAlive(Duration.ofMillis(Math.max(10, failure / 3)), Duration.ofMillis(failure));
    }

    /**
     * Sends {@code request} to the node at {@code address}; the future completes with its reply
     * or error reply, or exceptionally if the node cannot be reached or does not answer in time.
     */
    CompletableFuture<Message> send(String address, Request request) {
        if (closed) {
            return CompletableFuture.failedFuture(new ShoalException("the node's cluster links are closed"));
        }
        return link(address).client().thenCompose(client -> client.send(request));
    }

    private Link link(String address) {
        return links.compute(address, (a, existing) -> {
            if (existing != null) {
                boolean failed = existing.client().isCompletedExceptionally();
                long ageMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - existing.createdNanos());
                if (!failed || ageMs < retryIntervalMs) {
                    return existing;
                }
            }
            ClientConfig config = configFor.apply(a);
            return new Link(CompletableFuture.supplyAsync(() -> ShoalClient.connect(config), connector), System.nanoTime());
        });
    }

    /**
     * The client linked to the member at {@code address}, connecting first if needed (blocks up to
     * the link's connect timeout).
     *
     * @throws ShoalException if it cannot be reached
     */
    ShoalClient client(String address) {
        try {
            return link(address).client().join();
        } catch (java.util.concurrent.CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new ShoalException("member at " + address + " cannot be reached: " + cause.getMessage(), cause);
        }
    }

    /** Closes the link to {@code address}, if any (the member left the cluster). */
    void drop(String address) {
        Link link = links.remove(address);
        if (link != null) {
            link.client().thenAccept(ShoalClient::close);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (String address : links.keySet()) {
            drop(address);
        }
        connector.shutdown();
        try {
            if (!connector.awaitTermination(5, TimeUnit.SECONDS)) {
                connector.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Link link : links.values()) {
            link.client().thenAccept(ShoalClient::close);
        }
    }
}
