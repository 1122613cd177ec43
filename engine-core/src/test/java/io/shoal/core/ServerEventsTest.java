package io.shoal.core;

import io.shoal.KeyHash;
import io.shoal.ShoalNode;
import io.shoal.protocol.Condition;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.EventType;
import io.shoal.protocol.Frame;
import io.shoal.protocol.Push;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import io.shoal.protocol.SubscriptionKind;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SUBSCRIBE, UNSUBSCRIBE, EVENT and EVENTS_DROPPED over TCP (docs/protocol.md 4.3). */
class ServerEventsTest {
    private static ShoalNode node;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeAll
    static void startNode() {
        node = ServerNodes.start(Map.of("node.id", "events-1", "expiry.sweepIntervalMs", 20,
                "server.maxSubscriptionsPerConnection", 3, "server.maxQueuedEventBytes", "64k",
                "store.maxValueBytes", "64k", "server.maxFrameBytes", "1m"));
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    private RawClient client() {
        RawClient client = RawClient.connect(ServerNodes.address(node));
        closing.add(client);
        client.hello();
        return client;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static int subscribe(RawClient client, String map, SubscriptionKind kind, String match) {
        return client.call(new Request.Subscribe(map, kind, b(match)), Reply.Subscribe.class).subscriptionId();
    }

    @Test
    void subscriptionsToAMapAKeyAndAPrefixGetTheirEvents() {
        RawClient subscriber = client();
        RawClient writer = client();
        int all = subscribe(subscriber, "ev", SubscriptionKind.ALL, "");
        int key = subscribe(subscriber, "ev", SubscriptionKind.KEY, "apple");
        int prefix = subscribe(subscriber, "ev", SubscriptionKind.PREFIX, "ap");
        long created = writer.call(new Request.Put("ev", b("apple"), b("red"), 60_000), Reply.Put.class).version();
        long updated = writer.call(new Request.Put("ev", b("apple"), b("green"), 0), Reply.Put.class).version();
        writer.call(new Request.Put("ev", b("banana"), b("yellow"), 0), Reply.Put.class);
        writer.call(new Request.Put("ev", b("apricot"), b("orange"), 0), Reply.Put.class);
        long removed = writer.call(new Request.Remove("ev", b("apple"), Condition.NONE, 0), Reply.Remove.class).version();
        writer.call(new Request.Put("other-map", b("apple"), b("x"), 0), Reply.Put.class);

        Map<Integer, List<Push.Event>> bySubscription = new HashMap<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            for (Frame frame : subscriber.drain()) {
                if (frame.body() instanceof Push.Event event) {
                    bySubscription.computeIfAbsent(event.subscriptionId(), id -> new ArrayList<>()).add(event);
                }
            }
            return count(bySubscription, all) == 5 && count(bySubscription, key) == 3 && count(bySubscription, prefix) == 4;
        });
        List<Push.Event> apple = bySubscription.get(key);
        long bucket = KeyHash.hash(b("apple")) & 15;
        Push.Event first = apple.get(0);
        assertEquals(EventType.CREATED, first.type());
        assertEquals(bucket, first.bucket());
        assertEquals(created, first.sequence());
        assertArrayEquals(b("apple"), first.key());
        assertArrayEquals(b("red"), first.value());
        assertTrue(first.expiresAtMs() > System.currentTimeMillis(), "the value's expiry time");
        assertTrue(first.timestampMs() > 0);
        assertEquals(EventType.UPDATED, apple.get(1).type());
        assertEquals(updated, apple.get(1).sequence());
        assertEquals(0, apple.get(1).expiresAtMs());
        Push.Event gone = apple.get(2);
        assertEquals(EventType.REMOVED, gone.type());
        assertFalse(gone.hasValue());
        assertNull(gone.value());
        assertTrue(gone.sequence() > updated);
        assertTrue(removed > 0);
        assertTrue(bySubscription.get(prefix).stream().noneMatch(e -> new String(e.key(), StandardCharsets.UTF_8).equals("banana")));
    }

    private static int count(Map<Integer, List<Push.Event>> events, int id) {
        return events.getOrDefault(id, List.of()).size();
    }

    @Test
    void expiriesAreEvents() {
        RawClient subscriber = client();
        int id = subscribe(subscriber, "expiring", SubscriptionKind.ALL, "");
        subscriber.call(new Request.Put("expiring", b("k"), b("v"), 1), Reply.Put.class);
        assertEquals(EventType.CREATED, subscriber.nextPush(Push.Event.class).type());
        Push.Event expired = subscriber.nextPush(Push.Event.class);
        assertEquals(EventType.EXPIRED, expired.type());
        assertEquals(id, expired.subscriptionId());
    }

    @Test
    void eventsOfABucketArriveInSequenceOrder() {
        RawClient subscriber = client();
        RawClient writer = client();
        subscribe(subscriber, "ordered", SubscriptionKind.ALL, "");
        int writes = 600;
        int[] ids = new int[writes];
        for (int i = 0; i < writes; i++) {
            ids[i] = writer.send(new Request.Put("ordered", b("k" + (i % 40)), b("v" + i), 0));
        }
        for (int id : ids) {
            assertInstanceOf(Reply.Put.class, writer.replyTo(id).body());
        }
        Map<Long, Long> lastSequence = new HashMap<>();
        for (int i = 0; i < writes; i++) {
            Push.Event event = subscriber.nextPush(Push.Event.class);
            Long last = lastSequence.put(event.bucket(), event.sequence());
            assertTrue(last == null || event.sequence() > last, "bucket " + event.bucket() + ": " + event.sequence()
                    + " after " + last);
        }
    }

    @Test
    void unsubscribeEndsEvents() {
        RawClient subscriber = client();
        int id = subscribe(subscriber, "unsub", SubscriptionKind.ALL, "");
        assertTrue(subscriber.call(new Request.Unsubscribe(id), Reply.Unsubscribe.class).existed());
        assertFalse(subscriber.call(new Request.Unsubscribe(id), Reply.Unsubscribe.class).existed());
        assertFalse(subscriber.call(new Request.Unsubscribe(12345), Reply.Unsubscribe.class).existed());
        subscriber.call(new Request.Put("unsub", b("k"), b("v"), 0), Reply.Put.class);
        RawClient other = client();
        int otherId = subscribe(other, "unsub", SubscriptionKind.ALL, "");
        subscriber.call(new Request.Put("unsub", b("k"), b("w"), 0), Reply.Put.class);
        assertEquals(otherId, other.nextPush(Push.Event.class).subscriptionId()); // delivered by now
        assertTrue(subscriber.drain().stream().noneMatch(f -> f.body() instanceof Push.Event));
    }

    @Test
    void aConnectionHasAtMostMaxSubscriptions() {
        RawClient subscriber = client();
        for (int i = 0; i < 3; i++) {
            subscribe(subscriber, "many", SubscriptionKind.KEY, "k" + i);
        }
        subscriber.expectError(new Request.Subscribe("many", SubscriptionKind.KEY, b("k3")), ErrorCode.TOO_MANY_SUBSCRIPTIONS);
        int first = 1;
        assertTrue(subscriber.call(new Request.Unsubscribe(first), Reply.Unsubscribe.class).existed());
        subscribe(subscriber, "many", SubscriptionKind.KEY, "k3");
    }

    @Test
    void aMatchForKindAllIsAnInvalidArgument() {
        RawClient client = client();
        client.expectRawError(RawSocket.Wire.request(0x30).str("m").u8(0).bytes("x").build(), ErrorCode.INVALID_ARGUMENT);
        assertEquals(1, client.call(new Request.Ping(1), Reply.Ping.class).payload());
    }

    @Test
    void closingAConnectionEndsItsSubscriptions() {
        RawClient subscriber = client();
        subscribe(subscriber, "closed", SubscriptionKind.ALL, "");
        subscribe(subscriber, "closed", SubscriptionKind.PREFIX, "a");
        RawClient observer = client();
        assertTrue(stat(observer, "subscriptions") >= 2);
        subscriber.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> stat(observer, "subscriptions") == 0);
    }

    private static long stat(RawClient client, String name) {
        return client.call(new Request.Stats(), Reply.Stats.class).stats().stream()
                .filter(s -> s.name().equals(name)).findFirst().orElseThrow().value();
    }

    @Test
    void aSlowSubscriberLosesEventsAndIsToldHowMany() throws IOException {
        // A subscriber that stops reading: a raw socket with a small receive buffer.
        try (RawSocket slow = RawSocket.connect(ServerNodes.address(node), 4096)) {
            slow.hello();
            slow.send(new Frame(2, new Request.Subscribe("flood", SubscriptionKind.ALL, new byte[0])));
            int subscription = assertInstanceOf(Reply.Subscribe.class, slow.read().body()).subscriptionId();
            RawClient writer = client();
            byte[] value = new byte[32 * 1024];
            int writes = 400;
            int[] ids = new int[writes];
            for (int i = 0; i < writes; i++) {
                ids[i] = writer.send(new Request.Put("flood", b("k" + (i % 8)), value, 0));
            }
            for (int id : ids) {
                assertInstanceOf(Reply.Put.class, writer.replyTo(id).body());
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> stat(writer, "subscriberEventsDropped") > 0);

            // Reading now: what was queued, then the count of what was not (once the connection drained).
            DataInputStream in = slow.input();
            SlowReader reader = new SlowReader(subscription);
            while (reader.dropped == 0) {
                reader.accept(readFrame(in));
            }
            // A write after the drops is delivered again.
            long last = writer.call(new Request.Put("flood", b("last"), b("v"), 0), Reply.Put.class).version();
            while (!reader.sawLast(last)) {
                reader.accept(readFrame(in));
            }
            assertEquals(writes + 1, reader.events + reader.dropped, "every event was either delivered or counted as dropped");
        }
    }

    /** Follows a subscription's pushes: per-bucket sequence gaps must come after an EVENTS_DROPPED. */
    private static final class SlowReader {
        final int subscription;
        final Map<Long, Long> lastSequence = new HashMap<>();
        final Map<Long, Integer> noticesAtLastEvent = new HashMap<>();
        int notices;
        long events;
        long dropped;
        Push.Event latest;

        SlowReader(int subscription) {
            this.subscription = subscription;
        }

        void accept(Frame frame) {
            if (frame.body() instanceof Push.EventsDropped notice) {
                assertEquals(subscription, notice.subscriptionId());
                assertTrue(notice.count() > 0);
                dropped += notice.count();
                notices++;
            } else if (frame.body() instanceof Push.Event event) {
                events++;
                latest = event;
                Long previous = lastSequence.put(event.bucket(), event.sequence());
                Integer noticesBefore = noticesAtLastEvent.put(event.bucket(), notices);
                if (previous != null && event.sequence() != previous + 1) {
                    assertTrue(notices > noticesBefore, "a gap in bucket " + event.bucket() + " (" + previous + " to "
                            + event.sequence() + ") without EVENTS_DROPPED before it");
                }
            }
        }

        boolean sawLast(long sequence) {
            return latest != null && latest.sequence() == sequence
                    && new String(latest.key(), StandardCharsets.UTF_8).equals("last");
        }
    }

    private static Frame readFrame(DataInputStream in) throws IOException {
        byte[] frame = new byte[in.readInt()];
        in.readFully(frame);
        try {
            return io.shoal.protocol.ProtocolCodec.decode(ByteBuffer.wrap(frame));
        } catch (io.shoal.protocol.ProtocolException e) {
            throw new AssertionError(e);
        }
    }
}
