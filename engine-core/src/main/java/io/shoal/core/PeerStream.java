package io.shoal.core;

import io.shoal.protocol.ClusterWire;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.Message;
import io.shoal.protocol.Request;
import org.jctools.queues.MpscUnboundedArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;

/**
 * Everything a primary sends one other member about the buckets it serves, in order: replicated
 * changes (REPLICATE, in batches) and feed chunks (MIGRATE_CHUNK), docs/protocol.md section 11.
 *
 * <p>Design: writers offer items on a lock-free MPSC queue while holding their bucket's lock, so
 * the queue holds each bucket's changes in sequence order; one message is in flight at a time, so
 * they arrive in that order. Whoever wins the {@code sending} flag (a writer, or the thread that
 * completes the previous message) takes the next batch: the changes at the head of the queue up
 * to {@link #MAX_BATCH_CHANGES} or the next chunk. A message that fails (timeout, lost connection)
 * is sent again after a backoff, since the receiver skips what it already has; it is given up
 * only when the member is no longer in the view ({@code stillMember}), and then everything
 * queued is released. A receiver that lost changes (OUT_OF_SEQUENCE) has those buckets fed again
 * ({@code onGap}), and the changes' writers wait for those feeds (a fed copy holds every change
 * up to the feed's start); a receiver that refuses changes otherwise (it took the bucket over
 * without this sender's hand-over) fails their writers, whose outcome is then unknown; a refused chunk fails its
 * feed, which the feeder starts again.
 */
final class PeerStream {
    private static final Logger LOG = LoggerFactory.getLogger(PeerStream.class);
    static final int MAX_BATCH_CHANGES = 512;
    private static final int MAX_BATCH_BYTES = 1 << 20;
    private static final long RETRY_INITIAL_MS = 50;
    private static final long RETRY_MAX_MS = 1_000;

    /** A replicated change and who waits for it (null: nobody). */
    record Change(ClusterWire.Change change, Ack ack) {
    }

    /** A feed chunk; {@code sent} completes when the receiver has it. */
    record Chunk(Request.MigrateChunk chunk, CompletableFuture<Void> sent) {
    }

    /** Completes when every copy it was sent to acknowledged the change. */
    static final class Ack extends CompletableFuture<Void> {
        private final AtomicInteger remaining;

        Ack(int copies) {
            remaining = new AtomicInteger(copies);
        }

        void countDown() {
            if (remaining.decrementAndGet() == 0) {
                complete(null);
            }
        }

        /** A copy that had to acknowledge the change did not take it: the writer's outcome is unknown. */
        void fail(String why) {
            completeExceptionally(new io.shoal.ShoalException(why));
        }
    }

    interface GapListener {
        /** Feeds {@code buckets} to the copy again; completes with whether every feed completed. */
        CompletableFuture<Boolean> onGap(String address, List<Integer> buckets);
    }

    final String address;
    private final BiFunction<String, Request, CompletableFuture<Message>> send;
    private final ScheduledExecutorService retries;
    private final BooleanSupplier stillMember;
    private final GapListener onGap;
    private final MpscUnboundedArrayQueue<Object> queue = new MpscUnboundedArrayQueue<>(1024);
    private final AtomicBoolean sending = new AtomicBoolean();
    private volatile boolean closed;

    PeerStream(String address, BiFunction<String, Request, CompletableFuture<Message>> send,
               ScheduledExecutorService retries, BooleanSupplier stillMember, GapListener onGap) {
        this.address = address;
        this.send = send;
        this.retries = retries;
        this.stillMember = stillMember;
        this.onGap = onGap;
    }

    void offer(ClusterWire.Change change, Ack ack) {
        queue.offer(new Change(change, ack));
        pump();
    }

    /** Queues a chunk behind everything offered before; the future completes once the receiver has it. */
    CompletableFuture<Void> offer(Request.MigrateChunk chunk) {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        queue.offer(new Chunk(chunk, sent));
        pump();
        return sent;
    }

    /** Releases everything queued (the member left); waiting writers go on, feeds fail. */
    void close() {
        closed = true;
        pump();
    }

    private void pump() {
        while (!queue.isEmpty() && sending.compareAndSet(false, true)) {
            List<Object> batch = takeBatch();
            if (batch.isEmpty()) {
                sending.set(false);
                continue;
            }
            if (closed) {
                release(batch, "member at " + address + " left the cluster");
                sending.set(false);
                continue;
            }
            transmit(batch, RETRY_INITIAL_MS);
            return;
        }
    }

    private List<Object> takeBatch() {
        List<Object> batch = new ArrayList<>();
        Object head = queue.relaxedPeek();
        if (head instanceof Chunk) {
            batch.add(queue.poll());
            return batch;
        }
        int bytes = 0;
        while (batch.size() < MAX_BATCH_CHANGES && bytes < MAX_BATCH_BYTES
                && (head = queue.relaxedPeek()) instanceof Change change) {
            batch.add(queue.poll());
            bytes += change.change().key().length + (change.change().value() == null ? 0 : change.change().value().length) + 64;
        }
        return batch;
    }

    private void transmit(List<Object> batch, long backoffMs) {
        Request request;
        if (batch.get(0) instanceof Chunk chunk) {
            request = chunk.chunk();
        } else {
            List<ClusterWire.Change> changes = new ArrayList<>(batch.size());
            for (Object item : batch) {
                changes.add(((Change) item).change());
            }
            request = new Request.Replicate(changes);
        }
        CompletableFuture<Message> reply;
        try {
            reply = send.apply(address, request);
        } catch (RuntimeException e) {
            reply = CompletableFuture.failedFuture(e);
        }
        reply.whenComplete((message, failure) -> {
            if (failure == null && !(message instanceof ErrorReply)) {
                done(batch);
            } else if (message instanceof ErrorReply error && batch.get(0) instanceof Chunk chunk) {
                // The receiver refused the chunk (it holds no such feed, or serves the bucket): the feed fails.
                chunk.sent().completeExceptionally(new io.shoal.ShoalException("member at " + address + " refused "
                        + "a chunk of bucket " + chunk.chunk().bucket() + ": " + error.code() + " " + error.message()));
            } else if (message instanceof ErrorReply error && error.code() == ErrorCode.OUT_OF_SEQUENCE) {
                // The writers wait for the feeds: a fed copy holds every change up to the feed's start.
                LOG.warn("member at {} missed changes ({}); its copies of the buckets in this batch are fed again",
                        address, error.message());
                onGap.onGap(address, buckets(batch)).whenComplete((fed, failed) -> {
                    if (Boolean.TRUE.equals(fed)) {
                        done(batch);
                    } else {
                        fail(batch, "member at " + address + " missed changes and could not be fed again");
                    }
                });
            } else if (message instanceof ErrorReply error) {
                LOG.warn("member at {} refused changes: {} {}", address, error.code(), error.message());
                fail(batch, "member at " + address + " refused the change: " + error.code() + " " + error.message());
            } else if (closed || !stillMember.getAsBoolean()) {
                release(batch, "member at " + address + " left the cluster");
            } else {
                String why = failure != null ? String.valueOf(failure.getMessage()) : message.toString();
                LOG.debug("sending {} to {} failed ({}); again in {} ms", request.opcode(), address, why, backoffMs);
                try {
                    retries.schedule(() -> transmit(batch, Math.min(RETRY_MAX_MS, backoffMs * 2)), backoffMs,
                            TimeUnit.MILLISECONDS);
                    return;
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    release(batch, "the node is stopping");
                }
            }
            sending.set(false);
            pump();
        });
    }

    private void done(List<Object> batch) {
        for (Object item : batch) {
            if (item instanceof Change change) {
                if (change.ack() != null) {
                    change.ack().countDown();
                }
            } else {
                ((Chunk) item).sent().complete(null);
            }
        }
    }

    /** Fails the writers waiting for these changes: a copy that must have them did not take them. */
    private static void fail(List<Object> batch, String why) {
        for (Object item : batch) {
            if (item instanceof Change change && change.ack() != null) {
                change.ack().fail(why);
            }
        }
    }

    /** Lets writers go on and fails chunks: the copy at {@link #address} no longer counts. */
    private void release(List<Object> batch, String why) {
        for (Object item : batch) {
            if (item instanceof Change change) {
                if (change.ack() != null) {
                    change.ack().countDown();
                }
            } else {
                ((Chunk) item).sent().completeExceptionally(new io.shoal.ShoalException(why));
            }
        }
    }

    private static List<Integer> buckets(List<Object> batch) {
        List<Integer> buckets = new ArrayList<>();
        for (Object item : batch) {
            int bucket = item instanceof Change change ? change.change().bucket() : ((Chunk) item).chunk().bucket();
            if (!buckets.contains(bucket)) {
                buckets.add(bucket);
            }
        }
        return buckets;
    }

    @Override
    public String toString() {
        return "PeerStream{" + address + ", queued " + queue.size() + "}";
    }
}
