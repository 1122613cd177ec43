package io.shoal.client;

import io.shoal.protocol.Message;
import io.shoal.protocol.Request;

import java.util.concurrent.CompletableFuture;

/**
 * One request and the future of its reply. It completes normally with the node's answer (a
 * {@link io.shoal.protocol.Reply} or an {@link io.shoal.protocol.ErrorReply}, which the caller
 * turns into a result or an exception on its own thread), or exceptionally with a client-side
 * failure: {@link RequestTimeoutException}, {@link ConnectionLostException} or
 * {@link io.shoal.NodeClosedException}. Whoever completes it first wins; the rest is a no-op.
 *
 * <p>{@link #sentOn} and {@link #pendingKey} are written by the sending thread before the call is
 * published in the connection's pending map and read by whoever completes it (a benign race: a
 * stale {@code sentOn} only names the wrong node in a timeout message).
 */
final class Call extends CompletableFuture<Message> {
    final Request request;
    final long startNanos;
    final long deadlineNanos;
    /** The subscription a SUBSCRIBE call establishes; {@code null} for other calls. */
    final RemoteSubscription subscription;
    /** Sent by the client itself (handshake, keep-alive, GOODBYE, UNSUBSCRIBE): nobody waits for it. */
    final boolean internal;
    volatile NodeConnection sentOn;
    volatile long pendingKey;

    Call(Request request, long startNanos, long deadlineNanos, RemoteSubscription subscription, boolean internal) {
        this.request = request;
        this.startNanos = startNanos;
        this.deadlineNanos = deadlineNanos;
        this.subscription = subscription;
        this.internal = internal;
    }

    /** Whether the request changes data: its outcome is unknown if the reply is lost. */
    boolean isWrite() {
        return isWrite(request);
    }

    static boolean isWrite(Request request) {
        return switch (request.opcode()) {
            case PUT, PUT_IF_ABSENT, REPLACE, REMOVE, CLEAR -> true;
            default -> false;
        };
    }

    /** Whether the request only reads, so that sending it twice is harmless. */
    boolean isRead() {
        return switch (request.opcode()) {
            case GET, GET_ENTRY, CONTAINS, SIZE, SCAN, HASH_CHECK, STATS, LOAD_LEVELS, PING -> true;
            default -> false;
        };
    }

    /** For messages: {@code PUT on map "users"}. */
    String describe() {
        String map = mapOf(request);
        return request.opcode() + (map == null ? "" : " on map \"" + map + "\"");
    }

    private static String mapOf(Request request) {
        if (request instanceof Request.Get r) {
            return r.map();
        } else if (request instanceof Request.GetEntry r) {
            return r.map();
        } else if (request instanceof Request.Contains r) {
            return r.map();
        } else if (request instanceof Request.Put r) {
            return r.map();
        } else if (request instanceof Request.PutIfAbsent r) {
            return r.map();
        } else if (request instanceof Request.Replace r) {
            return r.map();
        } else if (request instanceof Request.Remove r) {
            return r.map();
        } else if (request instanceof Request.Size r) {
            return r.map();
        } else if (request instanceof Request.Clear r) {
            return r.map();
        } else if (request instanceof Request.Scan r) {
            return r.map();
        } else if (request instanceof Request.Subscribe r) {
            return r.map();
        }
        return null;
    }

    @Override
    public String toString() {
        return "Call{" + describe() + (isDone() ? ", done" : "") + '}';
    }
}
