package io.shoal.protocol;

import static io.shoal.protocol.Fields.bytes;
import static io.shoal.protocol.Fields.equal;
import static io.shoal.protocol.Fields.hash;
import static io.shoal.protocol.Fields.list;
import static io.shoal.protocol.Fields.notNull;
import static io.shoal.protocol.Fields.show;
import static io.shoal.protocol.Fields.str;
import static io.shoal.protocol.Fields.u32;

import java.util.List;
import java.util.Objects;

/**
 * A push body (frame flags {@code PUSH}, request id 0): sent by the node without a request, never
 * answered (docs/protocol.md sections 4.3 and 4.4).
 */
public sealed interface Push extends Message {

    /** The push's opcode. */
    Opcode opcode();

    /**
     * EVENT: a change seen by a subscription. {@code value} and {@code expiresAtMs} are sent only if
     * {@code hasValue}; without it they are {@code null} and 0.
     */
    record Event(int subscriptionId, EventType type, long bucket, long sequence, long timestampMs, byte[] key,
                 boolean hasValue, byte[] value, long expiresAtMs) implements Push {
        public Event {
            notNull(type, "type");
            u32(bucket, "bucket");
            bytes(key, "key");
            if (hasValue) {
                notNull(value, "value (present when hasValue)");
            } else if (value != null || expiresAtMs != 0) {
                throw new IllegalArgumentException("an EVENT without hasValue has value null and expiresAtMs 0");
            }
        }

        @Override
        public Opcode opcode() {
            return Opcode.EVENT;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Event other && subscriptionId == other.subscriptionId && type == other.type
                    && bucket == other.bucket && sequence == other.sequence && timestampMs == other.timestampMs
                    && equal(key, other.key) && hasValue == other.hasValue && equal(value, other.value)
                    && expiresAtMs == other.expiresAtMs;
        }

        @Override
        public int hashCode() {
            return Objects.hash(subscriptionId, type, bucket, sequence, timestampMs, hash(key), hasValue,
                    hash(value), expiresAtMs);
        }

        @Override
        public String toString() {
            return "Event[subscriptionId=" + subscriptionId + ", type=" + type + ", bucket=" + bucket
                    + ", sequence=" + sequence + ", timestampMs=" + timestampMs + ", key=" + show(key)
                    + ", hasValue=" + hasValue + ", value=" + show(value) + ", expiresAtMs=" + expiresAtMs + "]";
        }
    }

    /** EVENTS_DROPPED: {@code count} events of the subscription were dropped before its next EVENT. */
    record EventsDropped(int subscriptionId, long count) implements Push {
        @Override
        public Opcode opcode() {
            return Opcode.EVENTS_DROPPED;
        }
    }

    /** SERVER_INFO: the nodes of the cluster (at most 65,535) and the table version they come from. */
    record ServerInfo(long tableVersion, List<NodeAddress> nodes) implements Push {
        public ServerInfo {
            nodes = list(nodes, "nodes", Fields.MAX_U16);
        }

        @Override
        public Opcode opcode() {
            return Opcode.SERVER_INFO;
        }
    }

    /** One node of a {@link ServerInfo}: its id and how clients reach it. */
    record NodeAddress(String nodeId, String address) {
        public NodeAddress {
            str(nodeId, "nodeId");
            str(address, "address");
        }
    }
}
