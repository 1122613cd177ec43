package io.shoal.protocol;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Encodes {@link Frame}s to bytes and decodes bytes to frames, exactly as docs/protocol.md
 * (version 1) lays them out. Shoal-internal: the wire codec shared by the node and the Java client;
 * applications use {@code ShoalClient}.
 *
 * <p>Design: stateless static functions, safe on any thread. One layout function per direction
 * drives both {@link #encodedSizeBytes} and {@link #encode(Frame, ByteBuffer)} through a size
 * counter or a buffer writer, so the two cannot disagree; encoding checks nothing because the
 * message records already refused whatever the wire cannot carry. Decoding reads the frame with
 * absolute indexes between the buffer's position and limit (the buffer is not moved) and checks,
 * before it allocates or copies anything, that every length fits in the bytes left; everything
 * section 3 of the spec calls malformed fails with {@link ProtocolException} and
 * {@link ErrorCode#MALFORMED_FRAME}; for the cluster messages (section 11) that includes a partition
 * table that breaks its rules, a node named twice in a view or a bucket, and a bucket from 65,536
 * on. Values that are well-formed but not allowed (a bad map name, a negative TTL, SCAN's
 * maxEntries outside 1..65,536, a non-empty match for kind ALL, a replicated change whose
 * {@code hasValue} does not fit its type) are noted and reported as
 * {@link ErrorCode#INVALID_ARGUMENT} only after the whole frame proved well-formed, so that a
 * malformed frame always closes the connection (a list element holding such a value is not
 * built). Whether the body is a request, a reply, an error reply or a push comes from the
 * header's flags, and its layout from the header's opcode: replies are decoded without knowing
 * the request. Every valid frame has exactly one encoding, so
 * {@code encode(decode(bytes))} gives back the same bytes.
 *
 * <p>Strings are decoded as strict UTF-8 (malformed sequences, overlong forms and encoded
 * surrogates are malformed frames), with a fast path for ASCII.
 */
public final class ProtocolCodec {

    private ProtocolCodec() {
    }

    // ------------------------------------------------------------------------------------------
    // Decoding

    /**
     * Reads and checks the 8-byte header at the buffer's position: reserved flag bits and field,
     * the opcode (known, except in an error reply, which echoes any opcode), and whether the flags
     * fit it ({@code PUSH} only on a push opcode and with request id 0; a push opcode only with
     * {@code PUSH}; {@code ERROR} only with {@code REPLY}). Bytes after the header are not looked
     * at. The buffer's position and limit are not changed.
     *
     * @throws ProtocolException {@link ErrorCode#MALFORMED_FRAME} or {@link ErrorCode#UNKNOWN_OPCODE}
     */
    public static FrameHeader decodeHeader(ByteBuffer frame) throws ProtocolException {
        return new WireReader(frame).header();
    }

    /**
     * Decodes the bytes between the buffer's position and limit as one whole frame: the header (as
     * {@link #decodeHeader}), then the body the flags and opcode select, then checks that no byte is
     * left over. The buffer's position and limit are not changed, and the result shares no memory
     * with it.
     *
     * <p>The flags say whether the frame is a request, a reply, an error reply or a push, and the
     * opcode which body layout follows, so the same function decodes both directions. It does not
     * know who sent the frame: the node refuses what a client may not send (a push, a reply to a
     * request the node never made) by the body's type.
     *
     * @throws ProtocolException {@link ErrorCode#MALFORMED_FRAME}, {@link ErrorCode#UNKNOWN_OPCODE}
     *                           or {@link ErrorCode#INVALID_ARGUMENT}; never another exception for
     *                           any input
     */
    public static Frame decode(ByteBuffer frame) throws ProtocolException {
        WireReader in = new WireReader(frame);
        FrameHeader header = in.header();
        Message body;
        if (header.isRequest()) {
            body = readRequest(Opcode.lookup(header.opcode()), in);
        } else if (header.isReply()) {
            body = readReply(Opcode.lookup(header.opcode()), in);
        } else if (header.isPush()) {
            body = readPush(Opcode.lookup(header.opcode()), in);
        } else {
            body = readError(header.opcode(), in);
        }
        return new Frame(header.requestId(), body);
    }

    private static Request readRequest(Opcode opcode, WireReader in) throws ProtocolException {
        switch (opcode) {
            case HELLO: {
                int minVersion = in.u16("minVersion");
                int maxVersion = in.u16("maxVersion");
                String clusterName = in.str("clusterName");
                String clientName = in.str("clientName");
                in.finish();
                return new Request.Hello(minVersion, maxVersion, clusterName, clientName);
            }
            case AUTH: {
                byte[] clientNonce = in.raw32("clientNonce");
                byte[] clientProof = in.raw32("clientProof");
                in.finish();
                return new Request.Auth(clientNonce, clientProof);
            }
            case PING: {
                long payload = in.i64("payload");
                in.finish();
                return new Request.Ping(payload);
            }
            case GOODBYE: {
                String reason = in.str("reason");
                in.finish();
                return new Request.Goodbye(reason);
            }
            case GET:
            case GET_ENTRY:
            case CONTAINS: {
                String map = in.map();
                byte[] key = in.bytes("key");
                in.finish();
                if (opcode == Opcode.GET) {
                    return new Request.Get(map, key);
                }
                return opcode == Opcode.GET_ENTRY ? new Request.GetEntry(map, key) : new Request.Contains(map, key);
            }
            case PUT:
            case PUT_IF_ABSENT: {
                String map = in.map();
                byte[] key = in.bytes("key");
                byte[] value = in.bytes("value");
                long ttlMs = in.ttlMs();
                in.finish();
                return opcode == Opcode.PUT ? new Request.Put(map, key, value, ttlMs)
                        : new Request.PutIfAbsent(map, key, value, ttlMs);
            }
            case REPLACE: {
                String map = in.map();
                byte[] key = in.bytes("key");
                byte[] value = in.bytes("value");
                long ttlMs = in.ttlMs();
                Condition condition = in.condition();
                long expected = in.i64("expected");
                in.finish();
                return new Request.Replace(map, key, value, ttlMs, condition, expected);
            }
            case REMOVE: {
                String map = in.map();
                byte[] key = in.bytes("key");
                Condition condition = in.condition();
                long expected = in.i64("expected");
                in.finish();
                return new Request.Remove(map, key, condition, expected);
            }
            case SIZE:
            case CLEAR: {
                String map = in.map();
                in.finish();
                return opcode == Opcode.SIZE ? new Request.Size(map) : new Request.Clear(map);
            }
            case SCAN: {
                String map = in.map();
                long bucket = in.u32("bucket");
                Request.ScanCursor cursor = null;
                if (in.bool("hasCursor")) {
                    long afterHash = in.i64("afterHash");
                    cursor = new Request.ScanCursor(afterHash, in.bytes("afterKey"));
                }
                int at = in.offset();
                long maxEntries = in.u32("maxEntries");
                if (maxEntries < Fields.MIN_SCAN_ENTRIES || maxEntries > Fields.MAX_SCAN_ENTRIES) {
                    in.invalid("maxEntries", at, maxEntries + " is not in 1..65536");
                }
                in.finish();
                return new Request.Scan(map, bucket, cursor, (int) maxEntries);
            }
            case HASH_CHECK: {
                byte[] data = in.bytes("data");
                in.finish();
                return new Request.HashCheck(data);
            }
            case SUBSCRIBE: {
                String map = in.map();
                SubscriptionKind kind = in.subscriptionKind();
                int at = in.offset();
                byte[] match = in.bytes("match");
                if (kind == SubscriptionKind.ALL && match.length != 0) {
                    in.invalid("match", at, "must be empty for kind 0 (ALL), has " + match.length + " bytes");
                }
                in.finish();
                return new Request.Subscribe(map, kind, match);
            }
            case UNSUBSCRIBE: {
                int subscriptionId = (int) in.u32("subscriptionId");
                in.finish();
                return new Request.Unsubscribe(subscriptionId);
            }
            case STATS:
                in.finish();
                return new Request.Stats();
            case LOAD_LEVELS:
                in.finish();
                return new Request.LoadLevels();
            case JOIN: {
                String nodeId = in.str("nodeId");
                String address = in.str("address");
                String zone = in.str("zone");
                long incarnation = in.i64("incarnation");
                in.finish();
                return new Request.Join(nodeId, address, zone, incarnation);
            }
            case VIEW: {
                ClusterWire.View view = readView(in);
                in.finish();
                return new Request.View(view);
            }
            case HEARTBEAT: {
                String nodeId = in.str("nodeId");
                long viewVersion = in.i64("viewVersion");
                long tableVersion = in.i64("tableVersion");
                in.finish();
                return new Request.Heartbeat(nodeId, viewVersion, tableVersion);
            }
            case TABLE: {
                ClusterWire.Table table = readTable(in, false);
                in.finish();
                return new Request.Table(table);
            }
            case TABLE_FETCH:
                in.finish();
                return new Request.TableFetch();
            case REPLICATE: {
                int count = in.count16("count", MIN_CHANGE_BYTES);
                List<ClusterWire.Change> changes = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    ClusterWire.Change change = readChange(in);
                    if (change != null) {
                        changes.add(change);
                    }
                }
                in.finish();
                return new Request.Replicate(changes);
            }
            case MIGRATE_CHUNK: {
                int bucket = in.bucket("bucket");
                long tableVersion = in.i64("tableVersion");
                long sequence = in.i64("sequence");
                boolean last = in.bool("last");
                int count = in.count32("count", MIN_ENTRY_BYTES, 0);
                List<ClusterWire.Entry> entries = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    String map = in.map();
                    byte[] key = in.bytes("key");
                    byte[] value = in.bytes("value");
                    long version = in.i64("version");
                    long timestampMs = in.i64("timestampMs");
                    long expiresAtMs = in.i64("expiresAtMs");
                    if (in.valid()) { // else finish() reports the bad map name
                        entries.add(new ClusterWire.Entry(map, key, value, version, timestampMs, expiresAtMs));
                    }
                }
                in.finish();
                return new Request.MigrateChunk(bucket, tableVersion, sequence, last, entries);
            }
            case BUCKET_DIGEST: {
                int bucket = in.bucket("bucket");
                in.finish();
                return new Request.BucketDigest(bucket);
            }
            case LEAVE: {
                String nodeId = in.str("nodeId");
                String reason = in.str("reason");
                in.finish();
                return new Request.Leave(nodeId, reason);
            }
            case CLUSTER_STATE: {
                int action = in.code8("action", ClusterWire.QUERY, ClusterWire.RESUME);
                in.finish();
                return new Request.ClusterState(action);
            }
            case FEED_DONE: {
                int bucket = in.bucket("bucket");
                long tableVersion = in.i64("tableVersion");
                String receiverNodeId = in.str("receiverNodeId");
                long sequence = in.i64("sequence");
                in.finish();
                return new Request.FeedDone(bucket, tableVersion, receiverNodeId, sequence);
            }
            default:
                // decodeHeader lets only request opcodes through with flags 0
                throw new IllegalStateException("not a request opcode: " + opcode);
        }
    }

    private static Reply readReply(Opcode opcode, WireReader in) throws ProtocolException {
        switch (opcode) {
            case HELLO: {
                int version = in.u16("version");
                String nodeId = in.str("nodeId");
                String clusterName = in.str("clusterName");
                boolean authRequired = in.bool("authRequired");
                byte[] serverNonce = in.raw32("serverNonce");
                long maxFrameBytes = in.u32("maxFrameBytes");
                long bucketCount = in.u32("bucketCount");
                in.finish();
                return new Reply.Hello(version, nodeId, clusterName, authRequired, serverNonce, maxFrameBytes,
                        bucketCount);
            }
            case AUTH: {
                byte[] serverProof = in.raw32("serverProof");
                in.finish();
                return new Reply.Auth(serverProof);
            }
            case PING: {
                long payload = in.i64("payload");
                in.finish();
                return new Reply.Ping(payload);
            }
            case GOODBYE:
                in.finish();
                return new Reply.Goodbye();
            case GET: {
                boolean found = in.bool("found");
                byte[] value = found ? in.bytes("value") : null;
                in.finish();
                return new Reply.Get(found, value);
            }
            case GET_ENTRY: {
                boolean found = in.bool("found");
                if (!found) {
                    in.finish();
                    return new Reply.GetEntry(false, 0, 0, 0, 0, null);
                }
                long version = in.i64("version");
                long valueHash = in.i64("valueHash");
                long timestampMs = in.i64("timestampMs");
                long expiresAtMs = in.i64("expiresAtMs");
                byte[] value = in.bytes("value");
                in.finish();
                return new Reply.GetEntry(true, version, valueHash, timestampMs, expiresAtMs, value);
            }
            case CONTAINS: {
                boolean found = in.bool("found");
                in.finish();
                return new Reply.Contains(found);
            }
            case PUT: {
                long version = in.i64("version");
                in.finish();
                return new Reply.Put(version);
            }
            case PUT_IF_ABSENT: {
                boolean applied = in.bool("applied");
                long version = in.i64("version");
                byte[] existing = applied ? null : in.bytes("existing");
                in.finish();
                return new Reply.PutIfAbsent(applied, version, existing);
            }
            case REPLACE: {
                boolean applied = in.bool("applied");
                long version = in.i64("version");
                in.finish();
                return new Reply.Replace(applied, version);
            }
            case REMOVE: {
                boolean removed = in.bool("removed");
                long version = in.i64("version");
                in.finish();
                return new Reply.Remove(removed, version);
            }
            case SIZE: {
                long entries = in.i64("entries");
                in.finish();
                return new Reply.Size(entries);
            }
            case CLEAR:
                in.finish();
                return new Reply.Clear();
            case SCAN: {
                // an entry is at least key length + 3 x i64 + value length; "more" follows the entries
                int count = in.count32("count", 4 + 3 * 8 + 4, 1);
                List<Reply.ScanEntry> entries = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    byte[] key = in.bytes("key");
                    long version = in.i64("version");
                    long timestampMs = in.i64("timestampMs");
                    long expiresAtMs = in.i64("expiresAtMs");
                    byte[] value = in.bytes("value");
                    entries.add(new Reply.ScanEntry(key, version, timestampMs, expiresAtMs, value));
                }
                boolean more = in.bool("more");
                in.finish();
                return new Reply.Scan(entries, more);
            }
            case HASH_CHECK: {
                long hash = in.i64("hash");
                long bucket = in.u32("bucket");
                in.finish();
                return new Reply.HashCheck(hash, bucket);
            }
            case SUBSCRIBE: {
                int subscriptionId = (int) in.u32("subscriptionId");
                in.finish();
                return new Reply.Subscribe(subscriptionId);
            }
            case UNSUBSCRIBE: {
                boolean existed = in.bool("existed");
                in.finish();
                return new Reply.Unsubscribe(existed);
            }
            case STATS: {
                int count = in.count16("count", 2 + 8);
                List<Reply.Stat> stats = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    String name = in.str("name");
                    stats.add(new Reply.Stat(name, in.i64("value")));
                }
                in.finish();
                return new Reply.Stats(stats);
            }
            case LOAD_LEVELS: {
                int count = in.count16("count", 2 + 4 * 8);
                List<Reply.LoadLevel> levels = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    String nodeId = in.str("nodeId");
                    long entries = in.i64("entries");
                    long memoryUsedBytes = in.i64("memoryUsedBytes");
                    long memoryMaxBytes = in.i64("memoryMaxBytes");
                    long opsPerSecond = in.i64("opsPerSecond");
                    levels.add(new Reply.LoadLevel(nodeId, entries, memoryUsedBytes, memoryMaxBytes, opsPerSecond));
                }
                in.finish();
                return new Reply.LoadLevels(levels);
            }
            case JOIN: {
                if (in.bool("accepted")) {
                    ClusterWire.View view = readView(in);
                    ClusterWire.Table table = readTable(in, true);
                    in.finish();
                    return new Reply.Join(true, "", view, table);
                }
                String coordinatorAddress = in.str("coordinatorAddress");
                in.finish();
                return new Reply.Join(false, coordinatorAddress, null, null);
            }
            case VIEW: {
                long viewVersion = in.i64("viewVersion");
                in.finish();
                return new Reply.View(viewVersion);
            }
            case HEARTBEAT: {
                long viewVersion = in.i64("viewVersion");
                long tableVersion = in.i64("tableVersion");
                in.finish();
                return new Reply.Heartbeat(viewVersion, tableVersion);
            }
            case TABLE: {
                long tableVersion = in.i64("tableVersion");
                in.finish();
                return new Reply.Table(tableVersion);
            }
            case TABLE_FETCH: {
                ClusterWire.Table table = readTable(in, true);
                in.finish();
                return new Reply.TableFetch(table);
            }
            case REPLICATE: {
                int applied = in.u16("applied");
                in.finish();
                return new Reply.Replicate(applied);
            }
            case MIGRATE_CHUNK: {
                int received = in.u31("received");
                in.finish();
                return new Reply.MigrateChunk(received);
            }
            case BUCKET_DIGEST: {
                int bucket = in.bucket("bucket");
                long sequence = in.i64("sequence");
                long entries = in.i64("entries");
                long digest = in.i64("digest");
                in.finish();
                return new Reply.BucketDigest(bucket, sequence, entries, digest);
            }
            case LEAVE:
                in.finish();
                return new Reply.Leave();
            case CLUSTER_STATE: {
                boolean paused = in.bool("paused");
                long tableVersion = in.i64("tableVersion");
                in.finish();
                return new Reply.ClusterState(paused, tableVersion);
            }
            case FEED_DONE:
                in.finish();
                return new Reply.FeedDone();
            default:
                // decodeHeader lets only request opcodes through with flags REPLY
                throw new IllegalStateException("not a request opcode: " + opcode);
        }
    }

    private static Push readPush(Opcode opcode, WireReader in) throws ProtocolException {
        switch (opcode) {
            case EVENT: {
                int subscriptionId = (int) in.u32("subscriptionId");
                EventType type = in.eventType();
                long bucket = in.u32("bucket");
                long sequence = in.i64("sequence");
                long timestampMs = in.i64("timestampMs");
                byte[] key = in.bytes("key");
                boolean hasValue = in.bool("hasValue");
                byte[] value = null;
                long expiresAtMs = 0;
                if (hasValue) {
                    value = in.bytes("value");
                    expiresAtMs = in.i64("expiresAtMs");
                }
                in.finish();
                return new Push.Event(subscriptionId, type, bucket, sequence, timestampMs, key, hasValue, value,
                        expiresAtMs);
            }
            case EVENTS_DROPPED: {
                int subscriptionId = (int) in.u32("subscriptionId");
                long count = in.i64("count");
                in.finish();
                return new Push.EventsDropped(subscriptionId, count);
            }
            case SERVER_INFO: {
                long tableVersion = in.i64("tableVersion");
                int count = in.count16("count", 2 + 2);
                List<Push.NodeAddress> nodes = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    String nodeId = in.str("nodeId");
                    nodes.add(new Push.NodeAddress(nodeId, in.str("address")));
                }
                in.finish();
                return new Push.ServerInfo(tableVersion, nodes);
            }
            default:
                // decodeHeader lets only push opcodes through with flags PUSH
                throw new IllegalStateException("not a push opcode: " + opcode);
        }
    }

    private static ErrorReply readError(int opcode, WireReader in) throws ProtocolException {
        ErrorCode code = in.errorCode();
        String message = in.str("message");
        in.finish();
        return new ErrorReply(opcode, code, message);
    }

    // cluster values (section 11): the fewest bytes each can take on the wire
    /** {@code nodeId str, address str, zone str, incarnation i64}. */
    private static final int MIN_MEMBER_BYTES = 2 + 2 + 2 + 8;
    /** {@code bucket u32, count u8}. */
    private static final int MIN_BUCKET_OWNERS_BYTES = 4 + 1;
    /** {@code nodeId str, state u8}. */
    private static final int MIN_REPLICA_BYTES = 2 + 1;
    /** {@code bucket u32, sequence i64, changeType u8, map str, key bytes, hasValue bool, 2 x i64}. */
    private static final int MIN_CHANGE_BYTES = 4 + 8 + 1 + 2 + 4 + 1 + 8 + 8;
    /** {@code map str, key bytes, value bytes, version i64, timestampMs i64, expiresAtMs i64}. */
    private static final int MIN_ENTRY_BYTES = 2 + 4 + 4 + 8 + 8 + 8;

    private static ClusterWire.View readView(WireReader in) throws ProtocolException {
        long version = in.i64("version");
        int count = in.count16("memberCount", MIN_MEMBER_BYTES);
        List<ClusterWire.Member> members = new ArrayList<>(count);
        Set<String> nodeIds = new HashSet<>();
        for (int i = 0; i < count; i++) {
            int at = in.offset();
            String nodeId = in.str("nodeId");
            if (!nodeIds.add(nodeId)) {
                throw in.malformed("field 'nodeId' at offset " + at + ": the view lists node " + Fields.quote(nodeId)
                        + " twice");
            }
            String address = in.str("address");
            String zone = in.str("zone");
            long incarnation = in.i64("incarnation");
            members.add(new ClusterWire.Member(nodeId, address, zone, incarnation));
        }
        return new ClusterWire.View(version, members);
    }

    /** A partition table; {@code mustBeFull} where the spec sends only full tables. */
    private static ClusterWire.Table readTable(WireReader in, boolean mustBeFull) throws ProtocolException {
        int at = in.offset();
        long fromVersion = in.i64("fromVersion");
        long toVersion = in.i64("toVersion");
        long bucketCount = in.u32("bucketCount");
        int backupCount = in.u8("backupCount");
        String problem = ClusterWire.tableHeaderProblem(fromVersion, toVersion, bucketCount, backupCount);
        if (problem != null) {
            throw in.malformed("table at offset " + at + ": " + problem);
        }
        if (mustBeFull && fromVersion != 0) {
            throw in.malformed("table at offset " + at + ": must be a full table (fromVersion 0), is a difference from "
                    + fromVersion);
        }
        boolean full = fromVersion == 0;
        int countAt = in.offset();
        int count = in.count32("entryCount", MIN_BUCKET_OWNERS_BYTES, 0);
        if (full ? count != bucketCount : count > bucketCount) {
            throw in.malformed("field 'entryCount' at offset " + countAt + " is " + count + ": a "
                    + (full ? "full table lists exactly " : "difference lists at most ") + bucketCount + " buckets");
        }
        List<ClusterWire.BucketOwners> buckets = new ArrayList<>(count);
        long previous = -1;
        for (int i = 0; i < count; i++) {
            int bucketAt = in.offset();
            int bucket = in.bucket("bucket");
            problem = ClusterWire.tableBucketProblem(full, bucketCount, i, previous, bucket);
            if (problem != null) {
                throw in.malformed("field 'bucket' at offset " + bucketAt + ": " + problem);
            }
            previous = bucket;
            int replicaCount = in.count8("replicaCount", MIN_REPLICA_BYTES);
            List<ClusterWire.Replica> replicas = new ArrayList<>(replicaCount);
            for (int j = 0; j < replicaCount; j++) {
                int nodeAt = in.offset();
                String nodeId = in.str("nodeId");
                for (ClusterWire.Replica earlier : replicas) { // a few copies: no set needed
                    if (earlier.nodeId().equals(nodeId)) {
                        throw in.malformed("field 'nodeId' at offset " + nodeAt + ": bucket " + bucket
                                + " lists node " + Fields.quote(nodeId) + " twice");
                    }
                }
                int state = in.code8("state", ClusterWire.UP_TO_DATE, ClusterWire.DISCARDED);
                replicas.add(new ClusterWire.Replica(nodeId, state));
            }
            buckets.add(new ClusterWire.BucketOwners(bucket, replicas));
        }
        return new ClusterWire.Table(fromVersion, toVersion, (int) bucketCount, backupCount, buckets);
    }

    /** One change of a REPLICATE request, or {@code null} if an invalid value was noted (finish() reports it). */
    private static ClusterWire.Change readChange(WireReader in) throws ProtocolException {
        int bucket = in.bucket("bucket");
        long sequence = in.i64("sequence");
        int changeType = in.code8("changeType", EventType.CREATED.code(), EventType.EVICTED.code());
        String map = in.map();
        byte[] key = in.bytes("key");
        int hasValueAt = in.offset();
        boolean hasValue = in.bool("hasValue");
        byte[] value = hasValue ? in.bytes("value") : null;
        long timestampMs = in.i64("timestampMs");
        long expiresAtMs = in.i64("expiresAtMs");
        if (hasValue != ClusterWire.carriesValue(changeType)) {
            in.invalid("hasValue", hasValueAt, "a change of type " + changeType + " (" + EventType.lookup(changeType)
                    + ") " + (hasValue ? "carries no value" : "carries a value"));
        }
        if (!in.valid()) {
            return null;
        }
        return new ClusterWire.Change(bucket, sequence, changeType, map, key, value, timestampMs, expiresAtMs);
    }

    // ------------------------------------------------------------------------------------------
    // Encoding

    /**
     * The number of bytes {@link #encode(Frame, ByteBuffer)} writes for this frame, header included.
     *
     * @throws IllegalArgumentException if the frame would be larger than {@link Integer#MAX_VALUE}
     *                                   bytes (no buffer can hold it)
     */
    public static int encodedSizeBytes(Frame frame) {
        SizeCounter counter = new SizeCounter();
        write(frame, counter);
        if (counter.sizeBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("frame of " + counter.sizeBytes + " bytes is too large to encode");
        }
        return (int) counter.sizeBytes;
    }

    /**
     * Writes the frame at the buffer's position and advances the position past it; the buffer's
     * byte order does not matter. If the frame does not fit in the bytes remaining, nothing is
     * written. A server can encode its replies into one reused buffer, sized with
     * {@link #encodedSizeBytes}.
     *
     * @throws BufferOverflowException if fewer than {@link #encodedSizeBytes} bytes remain
     * @throws java.nio.ReadOnlyBufferException if the buffer is read-only
     */
    public static void encode(Frame frame, ByteBuffer out) {
        int sizeBytes = encodedSizeBytes(frame);
        if (out.remaining() < sizeBytes) {
            throw new BufferOverflowException();
        }
        int start = out.position();
        ByteBuffer target = out.order() == ByteOrder.BIG_ENDIAN ? out : out.duplicate().order(ByteOrder.BIG_ENDIAN);
        write(frame, new BufferWriter(target));
        if (target.position() - start != sizeBytes) {
            throw new IllegalStateException("wrote " + (target.position() - start) + " bytes, counted " + sizeBytes);
        }
        out.position(start + sizeBytes);
    }

    /** The frame's bytes in a new heap buffer, from position 0 to its limit. */
    public static ByteBuffer encode(Frame frame) {
        ByteBuffer out = ByteBuffer.allocate(encodedSizeBytes(frame));
        encode(frame, out);
        return out.flip();
    }

    private static void write(Frame frame, Sink out) {
        out.u8(frame.opcode());
        out.u8(frame.flags());
        out.u16(0);
        out.u32(frame.requestId());
        Message body = frame.body();
        if (body instanceof Request request) {
            writeRequest(request, out);
        } else if (body instanceof Reply reply) {
            writeReply(reply, out);
        } else if (body instanceof Push push) {
            writePush(push, out);
        } else {
            ErrorReply error = (ErrorReply) body;
            out.u16(error.code().code());
            out.str(error.message());
        }
    }

    private static void writeRequest(Request request, Sink out) {
        switch (request.opcode()) {
            case HELLO: {
                Request.Hello m = (Request.Hello) request;
                out.u16(m.minVersion());
                out.u16(m.maxVersion());
                out.str(m.clusterName());
                out.str(m.clientName());
                break;
            }
            case AUTH: {
                Request.Auth m = (Request.Auth) request;
                out.raw(m.clientNonce());
                out.raw(m.clientProof());
                break;
            }
            case PING:
                out.i64(((Request.Ping) request).payload());
                break;
            case GOODBYE:
                out.str(((Request.Goodbye) request).reason());
                break;
            case GET: {
                Request.Get m = (Request.Get) request;
                out.str(m.map());
                out.bytes(m.key());
                break;
            }
            case GET_ENTRY: {
                Request.GetEntry m = (Request.GetEntry) request;
                out.str(m.map());
                out.bytes(m.key());
                break;
            }
            case CONTAINS: {
                Request.Contains m = (Request.Contains) request;
                out.str(m.map());
                out.bytes(m.key());
                break;
            }
            case PUT: {
                Request.Put m = (Request.Put) request;
                out.str(m.map());
                out.bytes(m.key());
                out.bytes(m.value());
                out.i64(m.ttlMs());
                break;
            }
            case PUT_IF_ABSENT: {
                Request.PutIfAbsent m = (Request.PutIfAbsent) request;
                out.str(m.map());
                out.bytes(m.key());
                out.bytes(m.value());
                out.i64(m.ttlMs());
                break;
            }
            case REPLACE: {
                Request.Replace m = (Request.Replace) request;
                out.str(m.map());
                out.bytes(m.key());
                out.bytes(m.value());
                out.i64(m.ttlMs());
                out.u8(m.condition().code());
                out.i64(m.expected());
                break;
            }
            case REMOVE: {
                Request.Remove m = (Request.Remove) request;
                out.str(m.map());
                out.bytes(m.key());
                out.u8(m.condition().code());
                out.i64(m.expected());
                break;
            }
            case SIZE:
                out.str(((Request.Size) request).map());
                break;
            case CLEAR:
                out.str(((Request.Clear) request).map());
                break;
            case SCAN: {
                Request.Scan m = (Request.Scan) request;
                out.str(m.map());
                out.u32((int) m.bucket());
                out.bool(m.cursor() != null);
                if (m.cursor() != null) {
                    out.i64(m.cursor().afterHash());
                    out.bytes(m.cursor().afterKey());
                }
                out.u32(m.maxEntries());
                break;
            }
            case HASH_CHECK:
                out.bytes(((Request.HashCheck) request).data());
                break;
            case SUBSCRIBE: {
                Request.Subscribe m = (Request.Subscribe) request;
                out.str(m.map());
                out.u8(m.kind().code());
                out.bytes(m.match());
                break;
            }
            case UNSUBSCRIBE:
                out.u32(((Request.Unsubscribe) request).subscriptionId());
                break;
            case STATS:
            case LOAD_LEVELS:
            case TABLE_FETCH:
                break;
            case JOIN: {
                Request.Join m = (Request.Join) request;
                out.str(m.nodeId());
                out.str(m.address());
                out.str(m.zone());
                out.i64(m.incarnation());
                break;
            }
            case VIEW:
                writeView(((Request.View) request).view(), out);
                break;
            case HEARTBEAT: {
                Request.Heartbeat m = (Request.Heartbeat) request;
                out.str(m.nodeId());
                out.i64(m.viewVersion());
                out.i64(m.tableVersion());
                break;
            }
            case TABLE:
                writeTable(((Request.Table) request).table(), out);
                break;
            case REPLICATE: {
                Request.Replicate m = (Request.Replicate) request;
                out.u16(m.changes().size());
                for (ClusterWire.Change change : m.changes()) {
                    out.u32(change.bucket());
                    out.i64(change.sequence());
                    out.u8(change.changeType());
                    out.str(change.map());
                    out.bytes(change.key());
                    out.bool(change.value() != null);
                    if (change.value() != null) {
                        out.bytes(change.value());
                    }
                    out.i64(change.timestampMs());
                    out.i64(change.expiresAtMs());
                }
                break;
            }
            case MIGRATE_CHUNK: {
                Request.MigrateChunk m = (Request.MigrateChunk) request;
                out.u32(m.bucket());
                out.i64(m.tableVersion());
                out.i64(m.sequence());
                out.bool(m.last());
                out.u32(m.entries().size());
                for (ClusterWire.Entry entry : m.entries()) {
                    out.str(entry.map());
                    out.bytes(entry.key());
                    out.bytes(entry.value());
                    out.i64(entry.version());
                    out.i64(entry.timestampMs());
                    out.i64(entry.expiresAtMs());
                }
                break;
            }
            case BUCKET_DIGEST:
                out.u32(((Request.BucketDigest) request).bucket());
                break;
            case LEAVE: {
                Request.Leave m = (Request.Leave) request;
                out.str(m.nodeId());
                out.str(m.reason());
                break;
            }
            case CLUSTER_STATE:
                out.u8(((Request.ClusterState) request).action());
                break;
            case FEED_DONE: {
                Request.FeedDone m = (Request.FeedDone) request;
                out.u32(m.bucket());
                out.i64(m.tableVersion());
                out.str(m.receiverNodeId());
                out.i64(m.sequence());
                break;
            }
            default:
                throw new IllegalStateException("not a request opcode: " + request.opcode());
        }
    }

    private static void writeReply(Reply reply, Sink out) {
        switch (reply.opcode()) {
            case HELLO: {
                Reply.Hello m = (Reply.Hello) reply;
                out.u16(m.version());
                out.str(m.nodeId());
                out.str(m.clusterName());
                out.bool(m.authRequired());
                out.raw(m.serverNonce());
                out.u32((int) m.maxFrameBytes());
                out.u32((int) m.bucketCount());
                break;
            }
            case AUTH:
                out.raw(((Reply.Auth) reply).serverProof());
                break;
            case PING:
                out.i64(((Reply.Ping) reply).payload());
                break;
            case GOODBYE:
            case CLEAR:
                break;
            case GET: {
                Reply.Get m = (Reply.Get) reply;
                out.bool(m.found());
                if (m.found()) {
                    out.bytes(m.value());
                }
                break;
            }
            case GET_ENTRY: {
                Reply.GetEntry m = (Reply.GetEntry) reply;
                out.bool(m.found());
                if (m.found()) {
                    out.i64(m.version());
                    out.i64(m.valueHash());
                    out.i64(m.timestampMs());
                    out.i64(m.expiresAtMs());
                    out.bytes(m.value());
                }
                break;
            }
            case CONTAINS:
                out.bool(((Reply.Contains) reply).found());
                break;
            case PUT:
                out.i64(((Reply.Put) reply).version());
                break;
            case PUT_IF_ABSENT: {
                Reply.PutIfAbsent m = (Reply.PutIfAbsent) reply;
                out.bool(m.applied());
                out.i64(m.version());
                if (!m.applied()) {
                    out.bytes(m.existing());
                }
                break;
            }
            case REPLACE: {
                Reply.Replace m = (Reply.Replace) reply;
                out.bool(m.applied());
                out.i64(m.version());
                break;
            }
            case REMOVE: {
                Reply.Remove m = (Reply.Remove) reply;
                out.bool(m.removed());
                out.i64(m.version());
                break;
            }
            case SIZE:
                out.i64(((Reply.Size) reply).entries());
                break;
            case SCAN: {
                Reply.Scan m = (Reply.Scan) reply;
                out.u32(m.entries().size());
                for (Reply.ScanEntry entry : m.entries()) {
                    out.bytes(entry.key());
                    out.i64(entry.version());
                    out.i64(entry.timestampMs());
                    out.i64(entry.expiresAtMs());
                    out.bytes(entry.value());
                }
                out.bool(m.more());
                break;
            }
            case HASH_CHECK: {
                Reply.HashCheck m = (Reply.HashCheck) reply;
                out.i64(m.hash());
                out.u32((int) m.bucket());
                break;
            }
            case SUBSCRIBE:
                out.u32(((Reply.Subscribe) reply).subscriptionId());
                break;
            case UNSUBSCRIBE:
                out.bool(((Reply.Unsubscribe) reply).existed());
                break;
            case STATS: {
                Reply.Stats m = (Reply.Stats) reply;
                out.u16(m.stats().size());
                for (Reply.Stat stat : m.stats()) {
                    out.str(stat.name());
                    out.i64(stat.value());
                }
                break;
            }
            case LOAD_LEVELS: {
                Reply.LoadLevels m = (Reply.LoadLevels) reply;
                out.u16(m.levels().size());
                for (Reply.LoadLevel level : m.levels()) {
                    out.str(level.nodeId());
                    out.i64(level.entries());
                    out.i64(level.memoryUsedBytes());
                    out.i64(level.memoryMaxBytes());
                    out.i64(level.opsPerSecond());
                }
                break;
            }
            case JOIN: {
                Reply.Join m = (Reply.Join) reply;
                out.bool(m.accepted());
                if (m.accepted()) {
                    writeView(m.view(), out);
                    writeTable(m.table(), out);
                } else {
                    out.str(m.coordinatorAddress());
                }
                break;
            }
            case VIEW:
                out.i64(((Reply.View) reply).viewVersion());
                break;
            case HEARTBEAT: {
                Reply.Heartbeat m = (Reply.Heartbeat) reply;
                out.i64(m.viewVersion());
                out.i64(m.tableVersion());
                break;
            }
            case TABLE:
                out.i64(((Reply.Table) reply).tableVersion());
                break;
            case TABLE_FETCH:
                writeTable(((Reply.TableFetch) reply).table(), out);
                break;
            case REPLICATE:
                out.u16(((Reply.Replicate) reply).applied());
                break;
            case MIGRATE_CHUNK:
                out.u32(((Reply.MigrateChunk) reply).received());
                break;
            case BUCKET_DIGEST: {
                Reply.BucketDigest m = (Reply.BucketDigest) reply;
                out.u32(m.bucket());
                out.i64(m.sequence());
                out.i64(m.entries());
                out.i64(m.digest());
                break;
            }
            case LEAVE:
            case FEED_DONE:
                break;
            case CLUSTER_STATE: {
                Reply.ClusterState m = (Reply.ClusterState) reply;
                out.bool(m.paused());
                out.i64(m.tableVersion());
                break;
            }
            default:
                throw new IllegalStateException("not a request opcode: " + reply.opcode());
        }
    }

    private static void writeView(ClusterWire.View view, Sink out) {
        out.i64(view.version());
        out.u16(view.members().size());
        for (ClusterWire.Member member : view.members()) {
            out.str(member.nodeId());
            out.str(member.address());
            out.str(member.zone());
            out.i64(member.incarnation());
        }
    }

    private static void writeTable(ClusterWire.Table table, Sink out) {
        out.i64(table.fromVersion());
        out.i64(table.toVersion());
        out.u32(table.bucketCount());
        out.u8(table.backupCount());
        out.u32(table.buckets().size());
        for (ClusterWire.BucketOwners owners : table.buckets()) {
            out.u32(owners.bucket());
            out.u8(owners.replicas().size());
            for (ClusterWire.Replica replica : owners.replicas()) {
                out.str(replica.nodeId());
                out.u8(replica.state());
            }
        }
    }

    private static void writePush(Push push, Sink out) {
        switch (push.opcode()) {
            case EVENT: {
                Push.Event m = (Push.Event) push;
                out.u32(m.subscriptionId());
                out.u8(m.type().code());
                out.u32((int) m.bucket());
                out.i64(m.sequence());
                out.i64(m.timestampMs());
                out.bytes(m.key());
                out.bool(m.hasValue());
                if (m.hasValue()) {
                    out.bytes(m.value());
                    out.i64(m.expiresAtMs());
                }
                break;
            }
            case EVENTS_DROPPED: {
                Push.EventsDropped m = (Push.EventsDropped) push;
                out.u32(m.subscriptionId());
                out.i64(m.count());
                break;
            }
            case SERVER_INFO: {
                Push.ServerInfo m = (Push.ServerInfo) push;
                out.i64(m.tableVersion());
                out.u16(m.nodes().size());
                for (Push.NodeAddress node : m.nodes()) {
                    out.str(node.nodeId());
                    out.str(node.address());
                }
                break;
            }
            default:
                throw new IllegalStateException("not a push opcode: " + push.opcode());
        }
    }

    /** Where a layout goes: counted ({@link SizeCounter}) or written ({@link BufferWriter}). */
    private abstract static class Sink {
        abstract void u8(int value);

        abstract void u16(int value);

        /** A u32 given as the int with the same bits. */
        abstract void u32(int bits);

        abstract void i64(long value);

        final void bool(boolean value) {
            u8(value ? 1 : 0);
        }

        /** Bytes without a length prefix ({@code raw32}). */
        abstract void raw(byte[] value);

        /** {@code bytes}: u32 length, then the bytes. */
        abstract void bytes(byte[] value);

        /** {@code str}: u16 length, then UTF-8 (the records guarantee it is encodable and fits). */
        abstract void str(String value);
    }

    private static final class SizeCounter extends Sink {
        long sizeBytes;

        @Override
        void u8(int value) {
            sizeBytes += 1;
        }

        @Override
        void u16(int value) {
            sizeBytes += 2;
        }

        @Override
        void u32(int bits) {
            sizeBytes += 4;
        }

        @Override
        void i64(long value) {
            sizeBytes += 8;
        }

        @Override
        void raw(byte[] value) {
            sizeBytes += value.length;
        }

        @Override
        void bytes(byte[] value) {
            sizeBytes += 4L + value.length;
        }

        @Override
        void str(String value) {
            sizeBytes += 2L + Fields.utf8Length(value);
        }
    }

    private static final class BufferWriter extends Sink {
        private final ByteBuffer out; // big-endian

        BufferWriter(ByteBuffer out) {
            this.out = out;
        }

        @Override
        void u8(int value) {
            out.put((byte) value);
        }

        @Override
        void u16(int value) {
            out.putShort((short) value);
        }

        @Override
        void u32(int bits) {
            out.putInt(bits);
        }

        @Override
        void i64(long value) {
            out.putLong(value);
        }

        @Override
        void raw(byte[] value) {
            out.put(value);
        }

        @Override
        void bytes(byte[] value) {
            out.putInt(value.length);
            out.put(value);
        }

        @Override
        void str(String value) {
            int length = Fields.utf8Length(value);
            out.putShort((short) length);
            if (length == value.length()) { // ASCII
                for (int i = 0; i < length; i++) {
                    out.put((byte) value.charAt(i));
                }
                return;
            }
            for (int i = 0; i < value.length(); i++) {
                int c = value.charAt(i);
                if (c < 0x80) {
                    out.put((byte) c);
                } else if (c < 0x800) {
                    out.put((byte) (0xC0 | (c >> 6)));
                    out.put((byte) (0x80 | (c & 0x3F)));
                } else if (Character.isHighSurrogate((char) c)) {
                    int cp = Character.toCodePoint((char) c, value.charAt(++i));
                    out.put((byte) (0xF0 | (cp >> 18)));
                    out.put((byte) (0x80 | ((cp >> 12) & 0x3F)));
                    out.put((byte) (0x80 | ((cp >> 6) & 0x3F)));
                    out.put((byte) (0x80 | (cp & 0x3F)));
                } else {
                    out.put((byte) (0xE0 | (c >> 12)));
                    out.put((byte) (0x80 | ((c >> 6) & 0x3F)));
                    out.put((byte) (0x80 | (c & 0x3F)));
                }
            }
        }
    }
}
