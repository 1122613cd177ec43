package io.shoal.core;

import io.shoal.KeyHash;
import io.shoal.EntryTooLargeException;
import io.shoal.NodeClosedException;
import io.shoal.protocol.Condition;
import io.shoal.protocol.Frame;
import io.shoal.protocol.Opcode;
import io.shoal.protocol.Request;
import net.openhft.chronicle.bytes.RandomDataInput;
import net.openhft.chronicle.hash.Data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;

/**
 * The data commands of docs/protocol.md section 4.2, run on the engine's raw bytes on the calling
 * thread (the connection's I/O thread), as {@link ShoalMapImpl} runs typed calls: the key and value
 * go into the thread's {@link LocalEngine.Scratch}, the engine applies the operation inline, and
 * the reply is written into the thread's {@link FrameWriter} and handed to the connection.
 *
 * <p>Design. {@link #tryFast} reads the hot requests (GET, GET_ENTRY, CONTAINS, PUT,
 * PUT_IF_ABSENT, REPLACE, REMOVE) straight from the received frame, copying only key and value,
 * with the map handle taken from the session's small cache of recent names. It accepts only frames
 * that are plainly well-formed (zero flags and reserved field, an ASCII map name without control
 * characters, exact lengths, a known condition, a non-negative TTL); anything else returns
 * {@code false} before anything is done, and the caller decodes the frame with the full codec,
 * which either finds the precise error or yields the same request for {@link #execute}. So the
 * fast path can only be faster, never more lenient.
 *
 * <p>A write's reply waits for durability: {@link LocalEngine#durability()} is the future of this
 * thread's last change; when it is not complete yet the reply is copied and sent from its
 * completion (on whatever thread completes it), so the I/O thread never blocks. A durability
 * failure means the change was applied but not stored: {@code STORAGE_NOT_DURABLE}.
 *
 * <p>Value-hash conditions (and REPLACE without a condition, which needs a present value) read the
 * entry, check it, and then write conditionally on the version they read; if another writer moved
 * the version in between, they read again, at most {@link #MAX_CAS_ATTEMPTS} times.
 */
final class DataCommands {
    static final int MAX_CAS_ATTEMPTS = 64;
    private static final int GET = Opcode.GET.code();
    private static final int GET_ENTRY = Opcode.GET_ENTRY.code();
    private static final int CONTAINS = Opcode.CONTAINS.code();
    private static final int PUT = Opcode.PUT.code();
    private static final int PUT_IF_ABSENT = Opcode.PUT_IF_ABSENT.code();
    private static final int REPLACE = Opcode.REPLACE.code();
    private static final int REMOVE = Opcode.REMOVE.code();
    /** SCAN reply bytes besides its entries: header, count, more. */
    private static final int SCAN_REPLY_FIXED_BYTES = Frame.HEADER_BYTES + 4 + 1;
    /** SCAN reply bytes per entry besides key and value: two lengths, three i64. */
    private static final int SCAN_ENTRY_FIXED_BYTES = 4 + 8 + 8 + 8 + 4;

    private final ProtocolServer server;
    private final LocalEngine engine;
    private final MapRegistry maps;
    private final int bucketMask;
    private final int maxKeyBytes;
    private final int maxValueBytes;
    private final int maxFrameBytes;

    DataCommands(ProtocolServer server, LocalEngine engine, MapRegistry maps, EngineConfig engineConfig,
                 ServerConfig config) {
        this.server = server;
        this.engine = engine;
        this.maps = maps;
        this.bucketMask = engineConfig.bucketCount - 1;
        this.maxKeyBytes = engineConfig.maxKeyBytes;
        this.maxValueBytes = engineConfig.maxValueBytes;
        this.maxFrameBytes = config.maxFrameBytes;
    }

    // ------------------------------------------------------------------------------------------
    // Fast path

    /**
     * Runs a hot request read straight from {@code frame} and returns {@code true}, or returns
     * {@code false} having done nothing if the frame is not a plainly well-formed hot request.
     */
    boolean tryFast(ServerSession session, ByteBuffer b) {
        if (b.order() != ByteOrder.BIG_ENDIAN) {
            return false;
        }
        int p = b.position();
        int end = b.limit();
        if (end - p < Frame.HEADER_BYTES + 2 || b.get(p + 1) != 0 || b.getShort(p + 2) != 0) {
            return false;
        }
        int opcode = b.get(p) & 0xFF;
        if (opcode < GET || opcode > REMOVE) {
            return false;
        }
        int requestId = b.getInt(p + 4);
        int q = p + Frame.HEADER_BYTES;
        int mapLength = b.getShort(q) & 0xFFFF;
        q += 2;
        if (mapLength == 0 || mapLength > end - q) {
            return false;
        }
        int mapAt = q;
        q += mapLength;
        if (end - q < 4) {
            return false;
        }
        long keyLength = b.getInt(q) & 0xFFFF_FFFFL;
        q += 4;
        if (keyLength > end - q) {
            return false;
        }
        int keyAt = q;
        q += (int) keyLength;
        int valueAt = 0;
        long valueLength = 0;
        long ttlMs = 0;
        int condition = 0;
        long expected = 0;
        if (opcode == PUT || opcode == PUT_IF_ABSENT || opcode == REPLACE) {
            if (end - q < 4) {
                return false;
            }
            valueLength = b.getInt(q) & 0xFFFF_FFFFL;
            q += 4;
            if (valueLength > end - q) {
                return false;
            }
            valueAt = q;
            q += (int) valueLength;
            if (end - q < 8) {
                return false;
            }
            ttlMs = b.getLong(q);
            q += 8;
            if (ttlMs < 0) {
                return false;
            }
        }
        if (opcode == REPLACE || opcode == REMOVE) {
            if (end - q < 9) {
                return false;
            }
            condition = b.get(q);
            expected = b.getLong(q + 1);
            q += 9;
            if (condition < 0 || condition > 2) {
                return false;
            }
        }
        if (q != end) {
            return false;
        }
        MapHandle map = session.cachedMap(b, mapAt, mapLength);
        if (map == null) {
            return false; // not a plain ASCII name, or not a valid one: the codec tells
        }
        // From here on the request is well-formed and runs.
        server.countOp();
        try {
            LocalEngine.Scratch s = LocalEngine.scratch();
            checkSizes(map, keyLength, valueLength);
            copy(b, keyAt, (int) keyLength, s.key);
            if (opcode == GET) {
                get(session, requestId, map, s);
            } else if (opcode == GET_ENTRY) {
                getEntry(session, requestId, map, s);
            } else if (opcode == CONTAINS) {
                contains(session, requestId, map, s);
            } else if (opcode == PUT) {
                copy(b, valueAt, (int) valueLength, s.value);
                put(session, requestId, map, s, ttlMs);
            } else if (opcode == PUT_IF_ABSENT) {
                copy(b, valueAt, (int) valueLength, s.value);
                putIfAbsent(session, requestId, map, s, ttlMs);
            } else if (opcode == REPLACE) {
                replace(session, requestId, map, s, b, valueAt, (int) valueLength, ttlMs, condition, expected);
            } else {
                remove(session, requestId, map, s, condition, expected);
            }
        } catch (LocalEngine.NotPrimaryException e) {
            server.uncountOp(); // nothing was done: the decoded request is forwarded, and counted, by execute
            return false;
        } catch (RuntimeException e) {
            session.replyFailure(opcode, requestId, e);
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------
    // Decoded requests

    /** Runs a decoded data request (anything allowed only on a READY connection, except the session's own). */
    void execute(ServerSession session, int requestId, Request request) {
        int opcode = request.opcode().code();
        server.countOp();
        try {
            switch (request.opcode()) {
                case GET -> {
                    Request.Get r = (Request.Get) request;
                    get(session, requestId, open(r.map()), withKey(r.map(), r.key(), 0));
                }
                case GET_ENTRY -> {
                    Request.GetEntry r = (Request.GetEntry) request;
                    getEntry(session, requestId, open(r.map()), withKey(r.map(), r.key(), 0));
                }
                case CONTAINS -> {
                    Request.Contains r = (Request.Contains) request;
                    contains(session, requestId, open(r.map()), withKey(r.map(), r.key(), 0));
                }
                case PUT -> {
                    Request.Put r = (Request.Put) request;
                    LocalEngine.Scratch s = withKey(r.map(), r.key(), r.value().length);
                    s.value.write(r.value());
                    put(session, requestId, open(r.map()), s, r.ttlMs());
                }
                case PUT_IF_ABSENT -> {
                    Request.PutIfAbsent r = (Request.PutIfAbsent) request;
                    LocalEngine.Scratch s = withKey(r.map(), r.key(), r.value().length);
                    s.value.write(r.value());
                    putIfAbsent(session, requestId, open(r.map()), s, r.ttlMs());
                }
                case REPLACE -> {
                    Request.Replace r = (Request.Replace) request;
                    LocalEngine.Scratch s = withKey(r.map(), r.key(), r.value().length);
                    replace(session, requestId, open(r.map()), s, ByteBuffer.wrap(r.value()), 0, r.value().length,
                            r.ttlMs(), r.condition().code(), r.expected());
                }
                case REMOVE -> {
                    Request.Remove r = (Request.Remove) request;
                    remove(session, requestId, open(r.map()), withKey(r.map(), r.key(), 0), r.condition().code(),
                            r.expected());
                }
                case SIZE -> size(session, requestId, open(((Request.Size) request).map()));
                case CLEAR -> clear(session, requestId, open(((Request.Clear) request).map()));
                case SCAN -> scan(session, requestId, (Request.Scan) request);
                case HASH_CHECK -> {
                    byte[] data = ((Request.HashCheck) request).data();
                    long hash = KeyHash.hash(data, 0, data.length);
                    session.send(FrameWriter.get().reply(opcode, requestId).i64(hash).u32((int) (hash & bucketMask)));
                }
                default -> throw new IllegalStateException("not a data request: " + request.opcode());
            }
        } catch (LocalEngine.NotPrimaryException e) {
            session.forward(requestId, request, e);
        } catch (RuntimeException e) {
            session.replyFailure(opcode, requestId, e);
        }
    }

    private MapHandle open(String name) {
        return maps.open(name);
    }

    /** The scratch with the key in it, after the size checks the fast path makes too. */
    private LocalEngine.Scratch withKey(String mapName, byte[] key, int valueLength) {
        if (key.length > maxKeyBytes) {
            throw new EntryTooLargeException("key of " + key.length + " bytes for map \"" + mapName
                    + "\" is larger than store.maxKeyBytes = " + maxKeyBytes);
        }
        if (valueLength > maxValueBytes) {
            throw new EntryTooLargeException("value of " + valueLength + " bytes for map \"" + mapName
                    + "\" is larger than store.maxValueBytes = " + maxValueBytes);
        }
        LocalEngine.Scratch s = LocalEngine.scratch();
        s.key.write(key);
        return s;
    }

    /** Refuses oversized keys and values before they are copied anywhere. */
    private void checkSizes(MapHandle map, long keyLength, long valueLength) {
        if (keyLength > maxKeyBytes) {
            throw new EntryTooLargeException("key of " + keyLength + " bytes for map \"" + map.name
                    + "\" is larger than store.maxKeyBytes = " + maxKeyBytes);
        }
        if (valueLength > maxValueBytes) {
            throw new EntryTooLargeException("value of " + valueLength + " bytes for map \"" + map.name
                    + "\" is larger than store.maxValueBytes = " + maxValueBytes);
        }
    }

    private static void copy(ByteBuffer src, int at, int length, io.shoal.spi.ByteSink sink) {
        sink.reset();
        byte[] dst = sink.ensure(length);
        src.get(at, dst, 0, length);
        sink.advance(length);
    }

    // ------------------------------------------------------------------------------------------
    // Reads

    private void get(ServerSession session, int requestId, MapHandle map, LocalEngine.Scratch s) {
        FrameWriter out = FrameWriter.get().reply(GET, requestId);
        if (engine.read(map, s)) {
            StoredValue v = s.storedValue;
            out.bool(true).bytes(v.bytes, 0, v.length);
        } else {
            out.bool(false);
        }
        session.send(out);
    }

    private void getEntry(ServerSession session, int requestId, MapHandle map, LocalEngine.Scratch s) {
        FrameWriter out = FrameWriter.get().reply(GET_ENTRY, requestId);
        if (engine.read(map, s)) {
            StoredValue v = s.storedValue;
            out.bool(true).i64(v.version).i64(v.valueHash).i64(v.timestampMs).i64(v.expiresAtMs).bytes(v.bytes, 0, v.length);
        } else {
            out.bool(false);
        }
        session.send(out);
    }

    private void contains(ServerSession session, int requestId, MapHandle map, LocalEngine.Scratch s) {
        session.send(FrameWriter.get().reply(CONTAINS, requestId).bool(engine.read(map, s)));
    }

    private void size(ServerSession session, int requestId, MapHandle map) {
        if (engine.isClosed()) {
            throw new NodeClosedException(engine.nodeId);
        }
        session.send(FrameWriter.get().reply(Opcode.SIZE.code(), requestId).i64(Math.max(0, map.size.sum())));
    }

    // ------------------------------------------------------------------------------------------
    // Writes

    private void put(ServerSession session, int requestId, MapHandle map, LocalEngine.Scratch s, long ttlMs) {
        engine.put(map, s, BucketStore.PutMode.ALWAYS, 0, ttlMs, false);
        replyWhenDurable(session, requestId, PUT, FrameWriter.get().reply(PUT, requestId).i64(s.result.version));
    }

    private void putIfAbsent(ServerSession session, int requestId, MapHandle map, LocalEngine.Scratch s, long ttlMs) {
        engine.put(map, s, BucketStore.PutMode.IF_ABSENT, 0, ttlMs, true);
        FrameWriter out = FrameWriter.get().reply(PUT_IF_ABSENT, requestId);
        if (s.result.applied) {
            out.bool(true).i64(s.result.version);
        } else {
            StoredValue existing = s.existing;
            out.bool(false).i64(existing.version).bytes(existing.bytes, 0, existing.length);
        }
        replyWhenDurable(session, requestId, PUT_IF_ABSENT, out);
    }

    private void replace(ServerSession session, int requestId, MapHandle map, LocalEngine.Scratch s, ByteBuffer value,
                         int valueAt, int valueLength, long ttlMs, int condition, long expected) {
        if (condition == Condition.VERSION.code()) {
            copy(value, valueAt, valueLength, s.value);
            engine.put(map, s, BucketStore.PutMode.IF_VERSION, expected, ttlMs, true);
            long version = s.result.applied ? s.result.version : s.result.existed ? s.existing.version : 0;
            replyWhenDurable(session, requestId, REPLACE,
                    FrameWriter.get().reply(REPLACE, requestId).bool(s.result.applied).i64(version));
            return;
        }
        long seen = 0;
        for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
            // The read may land in the array the value was copied to last time: copy it after the read.
            if (!engine.read(map, s)) {
                seen = 0;
                break;
            }
            seen = s.storedValue.version;
            if (condition == Condition.VALUE_HASH.code() && s.storedValue.valueHash != expected) {
                break;
            }
            copy(value, valueAt, valueLength, s.value);
            engine.put(map, s, BucketStore.PutMode.IF_VERSION, seen, ttlMs, false);
            if (s.result.applied) {
                replyWhenDurable(session, requestId, REPLACE,
                        FrameWriter.get().reply(REPLACE, requestId).bool(true).i64(s.result.version));
                return;
            }
        }
        replyWhenDurable(session, requestId, REPLACE, FrameWriter.get().reply(REPLACE, requestId).bool(false).i64(seen));
    }

    private void remove(ServerSession session, int requestId, MapHandle map, LocalEngine.Scratch s, int condition,
                        long expected) {
        boolean removed = false;
        long version = 0;
        if (condition == Condition.NONE.code()) {
            engine.remove(map, s, -1, true);
            removed = s.result.applied;
            version = removed ? s.existing.version : 0;
        } else if (condition == Condition.VERSION.code()) {
            if (expected >= 1) { // versions start at 1; a negative one would mean "any" to the engine
                engine.remove(map, s, expected, true);
                removed = s.result.applied;
            }
            version = removed ? s.existing.version : engine.read(map, s) ? s.storedValue.version : 0;
        } else {
            for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
                if (!engine.read(map, s)) {
                    version = 0;
                    break;
                }
                version = s.storedValue.version;
                if (s.storedValue.valueHash != expected) {
                    break;
                }
                engine.remove(map, s, version, false);
                if (s.result.applied) {
                    removed = true;
                    break;
                }
            }
        }
        replyWhenDurable(session, requestId, REMOVE, FrameWriter.get().reply(REMOVE, requestId).bool(removed).i64(version));
    }

    private void clear(ServerSession session, int requestId, MapHandle map) {
        List<byte[]> keys = new ArrayList<>();
        List<CompletableFuture<Void>> durable = new ArrayList<>();
        for (int b = 0; b < engine.bucketCount(); b++) {
            keys.clear();
            engine.bucket(b).visitAll(entry -> {
                Data<StoredKey> key = entry.key();
                RandomDataInput in = key.bytes();
                if (in.readLong(key.offset()) == map.id) {
                    byte[] bytes = new byte[(int) (key.size() - ValueLayout.KEY_PREFIX_BYTES)];
                    in.read(key.offset() + ValueLayout.KEY_PREFIX_BYTES, bytes, 0, bytes.length);
                    keys.add(bytes);
                }
                return true;
            });
            for (byte[] key : keys) {
                LocalEngine.Scratch s = LocalEngine.scratch();
                s.key.write(key);
                engine.remove(map, s, -1, false);
                CompletableFuture<Void> d = engine.durability();
                if (d != null && !(d.isDone() && !d.isCompletedExceptionally())) {
                    durable.add(d);
                }
            }
        }
        FrameWriter out = FrameWriter.get().reply(Opcode.CLEAR.code(), requestId);
        if (durable.isEmpty()) {
            session.send(out);
        } else {
            session.sendWhenDurable(out.copy(), CompletableFuture.allOf(durable.toArray(CompletableFuture[]::new)),
                    Opcode.CLEAR.code(), requestId);
        }
    }

    /** Sends a write's reply now, or once its change is durable. */
    private void replyWhenDurable(ServerSession session, int requestId, int opcode, FrameWriter out) {
        CompletableFuture<Void> durable = engine.durability();
        if (durable == null || (durable.isDone() && !durable.isCompletedExceptionally())) {
            session.send(out);
        } else {
            session.sendWhenDurable(out.copy(), durable, opcode, requestId);
        }
    }

    // ------------------------------------------------------------------------------------------
    // SCAN

    /** One candidate entry of a SCAN page. */
    private record ScanItem(long hash, byte[] key, long version, long timestampMs, long expiresAtMs, byte[] value) {
    }

    /** Scan order: key hash as unsigned, then key bytes as unsigned (docs/protocol.md 4.2). */
    private static int compare(long hashA, byte[] keyA, int lengthA, long hashB, byte[] keyB) {
        int byHash = Long.compareUnsigned(hashA, hashB);
        return byHash != 0 ? byHash : Arrays.compareUnsigned(keyA, 0, lengthA, keyB, 0, keyB.length);
    }

    /**
     * Reads the bucket with its writers held off ({@link BucketStore#copyAll}), keeping the
     * {@code maxEntries + 1} smallest entries of the map after the cursor in a bounded heap (the
     * extra one tells {@code more}), then fills the page in order while it fits the frame limit.
     * Only entries that enter the heap are copied.
     */
    private void scan(ServerSession session, int requestId, Request.Scan request) {
        if (request.bucket() > bucketMask) {
            throw new IllegalArgumentException("bucket " + request.bucket() + " is not below the node's bucketCount "
                    + (bucketMask + 1));
        }
        MapHandle map = open(request.map());
        int keep = request.maxEntries() + 1;
        Request.ScanCursor cursor = request.cursor();
        PriorityQueue<ScanItem> largestFirst = new PriorityQueue<>(Math.min(keep, 1024),
                (a, b) -> compare(b.hash, b.key, b.key.length, a.hash, a.key));
        long nowMs = System.currentTimeMillis();
        engine.bucket((int) request.bucket()).copyAll((key, value) -> {
            if (key.mapId != map.id || (value.expiresAtMs != 0 && value.expiresAtMs <= nowMs)) {
                return;
            }
            long hash = KeyHash.hash(key.bytes, 0, key.length);
            if (cursor != null && compare(hash, key.bytes, key.length, cursor.afterHash(), cursor.afterKey()) <= 0) {
                return;
            }
            if (largestFirst.size() == keep) {
                ScanItem largest = largestFirst.peek();
                if (compare(hash, key.bytes, key.length, largest.hash, largest.key) >= 0) {
                    return;
                }
                largestFirst.poll();
            }
            largestFirst.add(new ScanItem(hash, key.keyBytes(), value.version, value.timestampMs, value.expiresAtMs,
                    Arrays.copyOf(value.bytes, value.length)));
        });
        ScanItem[] sorted = largestFirst.toArray(new ScanItem[0]);
        Arrays.sort(sorted, (a, b) -> compare(a.hash, a.key, a.key.length, b.hash, b.key));
        long sizeBytes = SCAN_REPLY_FIXED_BYTES;
        int count = 0;
        while (count < sorted.length && count < request.maxEntries()) {
            ScanItem item = sorted[count];
            long entryBytes = SCAN_ENTRY_FIXED_BYTES + (long) item.key.length + item.value.length;
            if (sizeBytes + entryBytes > maxFrameBytes) {
                break;
            }
            sizeBytes += entryBytes;
            count++;
        }
        boolean more = count < sorted.length;
        FrameWriter out = FrameWriter.get().reply(Opcode.SCAN.code(), requestId).u32(count);
        for (int i = 0; i < count; i++) {
            ScanItem item = sorted[i];
            out.bytes(item.key, 0, item.key.length).i64(item.version).i64(item.timestampMs).i64(item.expiresAtMs)
                    .bytes(item.value, 0, item.value.length);
        }
        session.send(out.bool(more));
    }
}
