package io.shoal.client;

import io.shoal.ChangeEvent;
import io.shoal.ChangeListener;
import io.shoal.ChangeType;
import io.shoal.CodecException;
import io.shoal.ShoalException;
import io.shoal.Subscription;
import io.shoal.protocol.Push;
import io.shoal.protocol.Request;
import io.shoal.protocol.SubscriptionKind;
import io.shoal.spi.Codec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One listener of a {@link ShoalClient}: what it subscribes to, the connection and node-side id it
 * is subscribed under right now (if any), and its delivery on the event thread.
 *
 * <p>The monitor guards the binding ({@code boundTo}, {@code serverId}, {@code everEstablished},
 * {@code closed}); it is held only for those few fields and the connection's id map, never while
 * sending or delivering. {@code missedPending} and {@code droppedPending} carry notices that did not
 * fit in the event queue; only the event thread reads and clears them.
 */
final class RemoteSubscription implements Subscription {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteSubscription.class);

    enum Bound {
        /** First subscription. */
        FIRST,
        /** Subscribed again after a reconnect: events may have been missed. */
        AGAIN,
        /** The reply came for a binding that no longer holds (closed, or another connection now). */
        STALE
    }

    final String mapName;
    private final ClientImpl client;
    private final SubscriptionKind kind;
    private final byte[] match;
    private final ChangeListener<Object, Object> listener;
    private final Codec<Object> keyCodec;
    private final Codec<Object> valueCodec;
    /** Completes at the first successful SUBSCRIBE, or exceptionally if the node refused it. */
    final CompletableFuture<Void> established = new CompletableFuture<>();
    final AtomicLong droppedPending = new AtomicLong();
    volatile boolean missedPending;
    private volatile boolean closed;
    // Guarded by this:
    private NodeConnection boundTo;
    private boolean hasServerId;
    private int serverId;
    private boolean everEstablished;

    @SuppressWarnings("unchecked")
    <K, V> RemoteSubscription(ClientImpl client, String mapName, SubscriptionKind kind, byte[] match,
                              ChangeListener<K, V> listener, Codec<K> keyCodec, Codec<V> valueCodec) {
        this.client = client;
        this.mapName = mapName;
        this.kind = kind;
        this.match = match;
        this.listener = (ChangeListener<Object, Object>) listener;
        this.keyCodec = (Codec<Object>) keyCodec;
        this.valueCodec = (Codec<Object>) valueCodec;
    }

    Request.Subscribe request() {
        return new Request.Subscribe(mapName, kind, match);
    }

    /** Claims the binding to {@code c}; false if closed or already bound to it. */
    synchronized boolean bindTo(NodeConnection c) {
        if (closed || boundTo == c) {
            return false;
        }
        boundTo = c;
        hasServerId = false;
        return true;
    }

    /** Forgets the binding to {@code c} (it closed, or the SUBSCRIBE could not be sent). */
    synchronized void unbind(NodeConnection c) {
        if (boundTo == c) {
            boundTo = null;
            hasServerId = false;
        }
    }

    /** The node accepted the SUBSCRIBE sent on {@code c} under {@code id}. */
    synchronized Bound bound(NodeConnection c, int id) {
        if (closed || boundTo != c || hasServerId) {
            return Bound.STALE; // closed, moved on, or subscribed on c already: the node may forget this one
        }
        hasServerId = true;
        serverId = id;
        c.subscriptions.put(id, this);
        boolean again = everEstablished;
        everEstablished = true;
        return again ? Bound.AGAIN : Bound.FIRST;
    }

    /**
     * The SUBSCRIBE sent on {@code c} got no reply in time: forgets the binding unless the node
     * answered meanwhile. Returns whether it did (so that the caller subscribes again), and whether
     * the listener had been subscribed before through {@link #wasEstablished()}.
     */
    synchronized boolean timedOut(NodeConnection c) {
        if (closed || boundTo != c || hasServerId) {
            return false;
        }
        boundTo = null;
        return true;
    }

    synchronized boolean wasEstablished() {
        return everEstablished;
    }

    /** The node refused the SUBSCRIBE sent on {@code c}; returns whether it was the first attempt. */
    synchronized boolean refused(NodeConnection c) {
        if (boundTo == c) {
            boundTo = null;
            hasServerId = false;
        }
        return !everEstablished;
    }

    /** Unsubscribes: no event is delivered after this returns, except one being delivered. Idempotent. */
    @Override
    public void close() {
        NodeConnection c;
        int id;
        boolean subscribed;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            c = boundTo;
            id = serverId;
            subscribed = hasServerId && c != null;
            boundTo = null;
            hasServerId = false;
            if (subscribed) {
                c.subscriptions.remove(id, this);
            }
        }
        client.subscriptions.remove(this);
        established.completeExceptionally(new ShoalException("the subscription was closed"));
        if (subscribed) {
            c.sendInternal(new Request.Unsubscribe(id)); // fire and forget: the node forgets it when the connection ends anyway
        }
    }

    /** Closes without telling the node (the client is closing). */
    void closeLocally() {
        synchronized (this) {
            closed = true;
            boundTo = null;
        }
        client.subscriptions.remove(this);
    }

    // ---------------------------------------------------------------------------------------
    // Delivery (the event thread)

    /** Delivers one queued item: a {@link Push.Event}, a dropped count ({@link Long}) or {@link EventDispatcher#MISSED}. */
    void deliver(Object item) {
        if (closed) {
            return;
        }
        flushNotices();
        try {
            if (item instanceof Push.Event event) {
                onEvent(event);
            } else if (item instanceof Long count) {
                listener.onEventsDropped(count);
            } else if (item == EventDispatcher.MISSED) {
                listener.onEventsMissed();
            }
        } catch (RuntimeException e) {
            LOG.warn("change listener of map \"{}\" failed; delivery goes on", mapName, e);
        }
    }

    /** Tells the listener about notices that did not fit in the event queue. */
    void flushNotices() {
        if (closed) {
            return;
        }
        try {
            if (missedPending) {
                missedPending = false;
                listener.onEventsMissed();
            }
            long dropped = droppedPending.getAndSet(0);
            if (dropped > 0) {
                listener.onEventsDropped(dropped);
            }
        } catch (RuntimeException e) {
            LOG.warn("change listener of map \"{}\" failed; delivery goes on", mapName, e);
        }
    }

    private void onEvent(Push.Event event) {
        Object key = decode(keyCodec, event.key(), "key");
        ChangeType type = ChangeType.valueOf(event.type().name());
        Object value = type.isRemoval() || !event.hasValue() ? null : decode(valueCodec, event.value(), "value");
        listener.onChange(new ChangeEvent<>(mapName, type, key, value, (int) event.bucket(), event.sequence(),
                event.timestampMs()));
    }

    private Object decode(Codec<Object> codec, byte[] bytes, String what) {
        try {
            return codec.decode(bytes, 0, bytes.length);
        } catch (ShoalException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CodecException("cannot decode the " + what + " of an event of map \"" + mapName + "\" ("
                    + bytes.length + " bytes): " + e.getMessage(), e);
        }
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "Subscription{map=" + mapName + ", " + kind + (closed ? ", closed" : "") + '}';
    }
}
