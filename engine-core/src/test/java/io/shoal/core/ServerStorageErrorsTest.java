package io.shoal.core;

import io.shoal.ShoalNode;
import io.shoal.StorageUnavailableException;
import io.shoal.protocol.Condition;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.Frame;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replies to writes wait for durability, and storage and memory failures get their error codes
 * (docs/protocol.md section 5): persistence steered by {@link GatedPersistenceProvider} and
 * {@link TestPersistenceProvider}, memory by a small {@code memory.maxBytes}.
 */
class ServerStorageErrorsTest {
    private static final String GATE = "storage-errors";
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        GatedPersistenceProvider.remove(GATE);
        TestPersistenceProvider.unavailableBecause = null;
    }

    private ShoalNode node(Map<String, Object> overrides) {
        ShoalNode node = ServerNodes.start(overrides);
        closing.add(node);
        return node;
    }

    private ShoalNode gatedNode() {
        GatedPersistenceProvider.gate(GATE).holdAppends = true;
        return node(Map.of("persistence", "test-gated", "test.gate", GATE));
    }

    private RawClient client(ShoalNode node) {
        RawClient client = RawClient.connect(ServerNodes.address(node));
        closing.add(client);
        client.hello();
        return client;
    }

    private static boolean repliedTo(List<Frame> frames, int id) {
        return frames.stream().anyMatch(f -> f.requestId() == id);
    }

    @Test
    void aWriteIsAnsweredOnlyOnceItIsDurable() {
        GatedPersistenceProvider.Gate gate = GatedPersistenceProvider.gate(GATE);
        RawClient client = client(gatedNode());
        int put = client.send(new Request.Put("m", new byte[] {1}, new byte[] {2}, 0));
        CompletableFuture<Void> append = gate.nextAppend();
        List<Frame> early = client.drain(); // a PING round trip: answered while the PUT waits
        assertTrue(!repliedTo(early, put), "no PUT reply before durability: " + early);
        append.complete(null);
        assertInstanceOf(Reply.Put.class, client.replyTo(put).body());
        int get = client.send(new Request.Get("m", new byte[] {1}));
        assertInstanceOf(Reply.Get.class, client.replyTo(get).body(), "reads are answered at once");
    }

    @Test
    void everyWriteCommandWaitsForDurability() {
        GatedPersistenceProvider.Gate gate = GatedPersistenceProvider.gate(GATE);
        RawClient client = client(gatedNode());
        byte[] k = {1};
        List<Request> writes = List.of(new Request.Put("m", k, new byte[] {1}, 0),
                new Request.PutIfAbsent("m", new byte[] {2}, new byte[] {2}, 0),
                new Request.Replace("m", k, new byte[] {3}, 0, Condition.NONE, 0),
                new Request.Remove("m", k, Condition.NONE, 0));
        for (Request write : writes) {
            int id = client.send(write);
            CompletableFuture<Void> append = gate.nextAppend();
            assertTrue(!repliedTo(client.drain(), id), write + " answered before durability");
            append.complete(null);
            assertInstanceOf(Reply.class, client.replyTo(id).body());
        }
    }

    @Test
    void clearWaitsForEveryRemoval() {
        GatedPersistenceProvider.Gate gate = GatedPersistenceProvider.gate(GATE);
        ShoalNode node = gatedNode();
        RawClient client = client(node);
        gate.holdAppends = false;
        for (int i = 0; i < 5; i++) {
            client.call(new Request.Put("cleared", new byte[] {(byte) i}, new byte[] {1}, 0), Reply.Put.class);
        }
        gate.holdAppends = true;
        int clear = client.send(new Request.Clear("cleared"));
        List<CompletableFuture<Void>> appends = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            appends.add(gate.nextAppend());
        }
        for (int i = 0; i < 4; i++) {
            appends.get(i).complete(null);
        }
        assertTrue(!repliedTo(client.drain(), clear), "CLEAR answered before its last removal was durable");
        appends.get(4).complete(null);
        assertInstanceOf(Reply.Clear.class, client.replyTo(clear).body());
    }

    @Test
    void aWriteThatCouldNotBeStoredGetsStorageNotDurable() {
        GatedPersistenceProvider.Gate gate = GatedPersistenceProvider.gate(GATE);
        RawClient client = client(gatedNode());
        int put = client.send(new Request.Put("m", new byte[] {1}, new byte[] {2}, 0));
        gate.nextAppend().completeExceptionally(new StorageUnavailableException("disk full", true, null));
        ErrorReply error = assertInstanceOf(ErrorReply.class, client.replyTo(put).body());
        assertEquals(ErrorCode.STORAGE_NOT_DURABLE, error.code());
        assertTrue(error.message().contains("disk full"), error.message());
        assertEquals(1, client.call(new Request.Ping(1), Reply.Ping.class).payload(), "the connection stays");
    }

    @Test
    void goodbyeIsAnsweredAfterTheRepliesToEarlierRequests() {
        GatedPersistenceProvider.Gate gate = GatedPersistenceProvider.gate(GATE);
        RawClient client = client(gatedNode());
        int put = client.send(new Request.Put("m", new byte[] {1}, new byte[] {2}, 0));
        CompletableFuture<Void> append = gate.nextAppend();
        int goodbye = client.send(new Request.Goodbye("done"));
        append.complete(null);
        List<Frame> frames = client.drainAfterClose();
        List<Integer> ids = frames.stream().map(Frame::requestId).toList();
        assertEquals(List.of(put, goodbye), ids, frames::toString);
        assertInstanceOf(Reply.Put.class, frames.get(0).body());
        assertInstanceOf(Reply.Goodbye.class, frames.get(1).body());
    }

    @Test
    void aBugInTheNodeGetsInternalErrorAndTheConnectionStays() {
        GatedPersistenceProvider.Gate gate = GatedPersistenceProvider.gate(GATE);
        RawClient client = client(gatedNode());
        gate.writableFailure = new IllegalStateException("backend bug");
        ErrorReply error = client.expectError(new Request.Put("m", new byte[] {1}, new byte[] {2}, 0), ErrorCode.INTERNAL_ERROR);
        assertTrue(error.message().contains("backend bug"), error.message());
        gate.writableFailure = null;
        gate.holdAppends = false;
        client.call(new Request.Put("m", new byte[] {1}, new byte[] {2}, 0), Reply.Put.class);
    }

    @Test
    void refusedWritesGetStorageRefusedAndReadsGoOn(@TempDir Path dir) {
        ShoalNode node = node(Map.of("persistence", "test-memory", "test.persistence.dir", dir.toString()));
        RawClient client = client(node);
        client.call(new Request.Put("m", new byte[] {1}, new byte[] {2}, 0), Reply.Put.class);
        TestPersistenceProvider.unavailableBecause = "disk full";
        ErrorReply error = client.expectError(new Request.Put("m", new byte[] {1}, new byte[] {3}, 0), ErrorCode.STORAGE_REFUSED);
        assertTrue(error.message().contains("disk full"), error.message());
        client.expectError(new Request.Remove("m", new byte[] {1}, Condition.NONE, 0), ErrorCode.STORAGE_REFUSED);
        assertEquals(2, client.call(new Request.Get("m", new byte[] {1}), Reply.Get.class).value()[0]);
        TestPersistenceProvider.unavailableBecause = null;
        client.call(new Request.Put("m", new byte[] {1}, new byte[] {3}, 0), Reply.Put.class);
    }

    @Test
    void aFullNodeGetsMemoryLimitAndKeepsWhatItHas() {
        ShoalNode node = node(Map.of("memory.maxBytes", "1m", "store.maxValueBytes", "64k", "server.maxFrameBytes", "128k"));
        RawClient client = client(node);
        byte[] value = new byte[60 * 1024];
        ErrorReply refused = null;
        int stored = 0;
        for (int i = 0; i < 40 && refused == null; i++) {
            Frame reply = client.replyTo(client.send(new Request.Put("full", new byte[] {(byte) i}, value, 0)));
            if (reply.body() instanceof ErrorReply error) {
                refused = error;
            } else {
                stored++;
            }
        }
        assertTrue(refused != null, "never refused");
        assertEquals(ErrorCode.MEMORY_LIMIT, refused.code(), refused::toString);
        assertEquals(stored, client.call(new Request.Size("full"), Reply.Size.class).entries());
        assertEquals(value.length, client.call(new Request.Get("full", new byte[] {0}), Reply.Get.class).value().length);
    }
}
