package io.shoal.core;

import io.shoal.ChangeType;
import io.shoal.protocol.EventType;
import io.shoal.protocol.Frame;
import io.shoal.protocol.Opcode;
import io.shoal.spi.ChangeRecord;
import io.shoal.spi.Connection;

/**
 * A client's SUBSCRIBE: a listener registration on the map's {@link MapHandle} that pushes each
 * matching change as an EVENT frame on the client's connection.
 *
 * <p>Design: {@link #deliver} runs on the engine's event thread ({@code shoal-events}), which
 * delivers the changes of a bucket in sequence order, so pushes keep that order. Writers never wait
 * for a client: when the connection already has more than {@code server.maxQueuedEventBytes} waiting
 * to be written, the event is dropped and counted, and the count goes out as EVENTS_DROPPED before
 * the subscription's next EVENT (drops of the engine's own event queue arrive through
 * {@link #dropped} and are reported the same way). The node's timer also flushes a pending count
 * once the connection has drained, so a subscriber learns of drops even if no event follows. The
 * monitor keeps a drop notice and the event after it in order between those two threads; the event
 * thread is its only frequent user, so it is uncontended.
 */
final class RemoteSubscription extends ListenerRegistration {
    final int id;
    final MapHandle map;
    private final Connection connection;
    private final ProtocolServer server;
    private final long maxQueuedBytes;
    // Guarded by this.
    private long droppedUnreported;
    private volatile boolean cancelled;

    RemoteSubscription(int id, MapHandle map, Filter filter, byte[] match, Connection connection, ProtocolServer server) {
        super(filter, match);
        this.id = id;
        this.map = map;
        this.connection = connection;
        this.server = server;
        this.maxQueuedBytes = server.config.maxQueuedEventBytes;
    }

    /** Stops deliveries (none is sent once this returns) and removes the registration from its map. */
    void cancel() {
        synchronized (this) {
            cancelled = true;
        }
        map.listeners.remove(this);
    }

    @Override
    void deliver(ChangeRecord record) {
        if (cancelled) {
            return;
        }
        synchronized (this) {
            if (cancelled) {
                return;
            }
            if (connection.queuedBytes() > maxQueuedBytes) {
                droppedUnreported++;
                server.subscriberEventsDropped.increment();
                return;
            }
            sendDropNotice();
            byte[] key = record.key();
            byte[] value = record.value();
            FrameWriter out = FrameWriter.get()
                    .header(Opcode.EVENT.code(), Frame.FLAG_PUSH, 0)
                    .u32(id)
                    .u8(eventType(record.type()).code())
                    .u32(record.bucket())
                    .i64(record.sequence())
                    .i64(record.timestampMs())
                    .bytes(key, 0, key.length)
                    .bool(value != null);
            if (value != null) {
                out.bytes(value, 0, value.length).i64(record.expiresAtMs());
            }
            out.sendTo(connection);
        }
    }

    @Override
    void dropped(long count) {
        synchronized (this) {
            droppedUnreported += count;
        }
    }

    /** Sends a pending drop count if the connection has room (timer thread). */
    void flushDropNotice() {
        if (cancelled) {
            return;
        }
        synchronized (this) {
            if (!cancelled && droppedUnreported > 0 && connection.queuedBytes() <= maxQueuedBytes) {
                sendDropNotice();
            }
        }
    }

    private void sendDropNotice() {
        assert Thread.holdsLock(this);
        if (droppedUnreported > 0) {
            FrameWriter.get()
                    .header(Opcode.EVENTS_DROPPED.code(), Frame.FLAG_PUSH, 0)
                    .u32(id)
                    .i64(droppedUnreported)
                    .sendTo(connection);
            droppedUnreported = 0;
        }
    }

    private static EventType eventType(ChangeType type) {
        return switch (type) {
            case CREATED -> EventType.CREATED;
            case UPDATED -> EventType.UPDATED;
            case REMOVED -> EventType.REMOVED;
            case EXPIRED -> EventType.EXPIRED;
            case EVICTED -> EventType.EVICTED;
        };
    }
}
