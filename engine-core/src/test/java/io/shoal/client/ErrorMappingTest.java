package io.shoal.client;

import io.shoal.ChangeListener;
import io.shoal.EntryTooLargeException;
import io.shoal.MemoryLimitExceededException;
import io.shoal.ShoalException;
import io.shoal.ShoalMap;
import io.shoal.StorageUnavailableException;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every error code of protocol section 5 comes back as the exception an in-process call throws. */
@Timeout(60)
class ErrorMappingTest {
    private FakeNode node;
    private FakeNode spare;
    private ShoalClient client;
    private ShoalMap<String, String> map;

    @BeforeEach
    void start() {
        node = FakeNode.start("n1");
        spare = FakeNode.start("n2");
        client = Clients.connect(node, spare);
        map = client.map("m", String.class, String.class);
        assertEquals(node.address(), client.connectedNode().orElseThrow(), "connected to the first node");
    }

    @AfterEach
    void stop() {
        client.close();
        node.close();
        spare.close();
    }

    private void answerPutWith(ErrorCode code) {
        node.script = (c, frame) -> {
            if (frame.body() instanceof Request.Put) {
                c.replyError(frame, code, "node says " + code);
                if (code.closesConnection()) {
                    c.close();
                }
                return true;
            }
            return false;
        };
    }

    @ParameterizedTest
    @EnumSource(ErrorCode.class)
    void everyCode(ErrorCode code) throws Exception {
        if (code == ErrorCode.NOT_OWNER) {
            return; // retried, not mapped: notOwnerIsAskedAgainUntilTheNodeServesTheKey
        }
        answerPutWith(code);
        if (code == ErrorCode.SHUTTING_DOWN || code == ErrorCode.NOT_READY) {
            assertTrue(map.put("k", "v") > 0, "sent again to the next node");
            assertEquals(spare.address(), client.connectedNode().orElseThrow());
            return;
        }
        RuntimeException e = assertThrows(RuntimeException.class, () -> map.put("k", "v"));
        Class<? extends RuntimeException> expected = switch (code) {
            case INVALID_ARGUMENT -> IllegalArgumentException.class;
            case ENTRY_TOO_LARGE -> EntryTooLargeException.class;
            case MEMORY_LIMIT -> MemoryLimitExceededException.class;
            case STORAGE_REFUSED, STORAGE_NOT_DURABLE -> StorageUnavailableException.class;
            case BUCKET_LOST -> io.shoal.BucketLostException.class;
            case CLUSTER_PAUSED -> io.shoal.ClusterPausedException.class;
            default -> ShoalException.class;
        };
        assertSame(expected, e.getClass(), code + " gave " + e);
        assertTrue(e.getMessage().contains("node says " + code), e.getMessage());
        if (e instanceof StorageUnavailableException storage) {
            assertEquals(code == ErrorCode.STORAGE_NOT_DURABLE, storage.changeApplied());
        }
        if (code.closesConnection()) {
            // the node closed the connection after the error: the client goes on with the next node
            await().atMost(Duration.ofSeconds(5)).until(() -> client.connectedNode().equals(java.util.Optional.of(spare.address())));
        } else {
            CompletableFuture<Long> async = map.putAsync("k", "v");
            ExecutionException failure = assertThrows(ExecutionException.class, () -> async.get(5, TimeUnit.SECONDS));
            assertSame(expected, failure.getCause().getClass(), code + " async gave " + failure.getCause());
            assertEquals(node.address(), client.connectedNode().orElseThrow(), "the connection stays");
        }
        node.script = null;
        spare.script = null;
        map.put("k", "fine");
    }

    @Test
    void notOwnerIsAskedAgainUntilTheNodeServesTheKey() {
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        node.script = (c, frame) -> {
            if (frame.body() instanceof Request.Put && refused.incrementAndGet() <= 3) {
                c.replyError(frame, ErrorCode.NOT_OWNER, "the table is changing");
                return true;
            }
            return false;
        };
        assertTrue(map.put("k", "v") > 0);
        assertEquals(4, refused.get(), "refused three times, then served");
        assertEquals("v", map.get("k"));
        assertEquals(node.address(), client.connectedNode().orElseThrow(), "the connection stays");
    }

    @Test
    void notOwnerUntilTheDeadlineFailsWithTheNodesAnswer() {
        answerPutWith(ErrorCode.NOT_OWNER);
        ShoalClient quick = ShoalClient.connect(Clients.config(node).requestTimeout(Duration.ofMillis(500)).build());
        try {
            long start = System.nanoTime();
            ShoalException e = assertThrows(ShoalException.class,
                    () -> quick.map("m", String.class, String.class).put("k", "v"));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(e.getMessage().contains("NOT_OWNER"), e.getMessage());
            assertTrue(tookMs >= 400 && tookMs < 1_500, "asked again until about the deadline: " + tookMs + " ms");
        } finally {
            quick.close();
        }
    }

    @Test
    void withoutRetryNotOwnerTheFirstNotOwnerFailsTheCallAtOnce() {
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        node.script = (c, frame) -> {
            if (frame.body() instanceof Request.Put) {
                refused.incrementAndGet();
                c.replyError(frame, ErrorCode.NOT_OWNER, "bucket 3 is served by node n9");
                return true;
            }
            return false;
        };
        ShoalClient member = ShoalClient.connect(Clients.config(node).retryNotOwner(false).build());
        try {
            NotOwnerException e = assertThrows(NotOwnerException.class,
                    () -> member.map("m", String.class, String.class).put("k", "v"));
            assertTrue(e.getMessage().contains("served by node n9") && e.getMessage().contains("not applied"),
                    e.getMessage());
            assertEquals(1, refused.get(), "asked once");
        } finally {
            member.close();
        }
    }

    @Test
    void tooManySubscriptions() {
        node.script = (c, frame) -> {
            if (frame.body() instanceof Request.Subscribe) {
                c.replyError(frame, ErrorCode.TOO_MANY_SUBSCRIPTIONS, "1024 already");
                return true;
            }
            return false;
        };
        ShoalException e = assertThrows(ShoalException.class, () -> map.addListener(new ChangeListener<>() {
        }));
        assertTrue(e.getMessage().contains("TOO_MANY") || e.getMessage().contains("maxSubscriptionsPerConnection"),
                e.getMessage());
    }

    @Test
    void theNodesOwnLimits() {
        node.store.maxValueBytes = 10;
        EntryTooLargeException e = assertThrows(EntryTooLargeException.class, () -> map.put("k", "longer than ten"));
        assertTrue(e.getMessage().contains("over 10"), e.getMessage());
        assertFalse(map.containsKey("k"));
    }

    @Test
    void aFrameOverTheNodesLimitIsNotSent() {
        node.maxFrameBytes = 4096;
        ShoalClient small = Clients.connect(node);
        try {
            ShoalMap<String, byte[]> bytes = small.map("m", String.class, byte[].class);
            EntryTooLargeException e = assertThrows(EntryTooLargeException.class, () -> bytes.put("k", new byte[5000]));
            assertTrue(e.getMessage().contains("4096"), e.getMessage());
            long puts = node.requestsOf(Request.Put.class);
            bytes.put("k", new byte[1000]);
            assertEquals(puts + 1, node.requestsOf(Request.Put.class));
            assertEquals(node.address(), small.connectedNode().orElseThrow(), "the connection stays");
        } finally {
            small.close();
        }
    }
}
