package io.shoal.core;

import io.shoal.ClusterPausedException;
import io.shoal.KeyHash;
import io.shoal.ShoalException;
import io.shoal.TransferException;
import io.shoal.TransferProgress;
import io.shoal.TransferSummary;
import io.shoal.cluster.Membership;
import io.shoal.cluster.PartitionTable;
import io.shoal.cluster.ReplicaState;
import io.shoal.protocol.ClusterWire;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.Message;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import io.shoal.spi.ByteSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * The cluster savefile ({@code cluster.savefile}; docs/cluster.md, "The savefile"): the last member
 * to stop writes the cluster's data there, and a node that finds the file when it starts injects it
 * into the cluster it is a member of.
 *
 * <p>Design: both directions reuse the export format. {@link #writeIfLast} runs when the node
 * stops, after its graceful leave and after it stopped serving, with the stores still open: if the
 * view holds this node alone, {@link MapExport} copies the buckets it holds as up-to-date primary
 * into a temporary file that is forced and renamed over the savefile. {@link #injectIfPresent}
 * runs once the node is a member and serves: it reads the whole file once to check it (a damaged
 * file injects nothing and stays as it is), then writes every live entry through the ordinary write
 * path with put-if-absent semantics: in this node's engine where it is the bucket's primary, else as
 * a PUT_IF_ABSENT to the primary over the member links (a window of them in flight), retrying while
 * buckets change hands or the cluster is paused, and routing an entry anew as soon as a newer table
 * names another primary for it. Put-if-absent makes every retry harmless, and a start that injects
 * the file again after a failure keeps what the first one stored. Then the file is renamed to
 * {@code <name>.loaded}.
 * A write of this node is armed only once its start (and so any injection) succeeded, so a start
 * that fails never overwrites the file it could not load. Starting and closing thread only.
 */
final class ClusterSavefile {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterSavefile.class);
    static final String LOADED_SUFFIX = ".loaded";
    /** PUT_IF_ABSENTs to other members in flight at once. */
    static final int FORWARD_WINDOW = 256;
    /** Pause before an entry that met a moving bucket, a paused cluster or an unreachable member is tried again. */
    private static final long RETRY_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** How often the table is looked at while a forwarded entry waits for its answer. */
    private static final long ROUTE_CHECK_MS = 20;
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** Answers after which the same entry is routed and sent again (nothing was done). */
    private static final Set<ErrorCode> TRY_AGAIN = EnumSet.of(ErrorCode.NOT_OWNER, ErrorCode.CLUSTER_PAUSED,
            ErrorCode.PRIMARY_UNREACHABLE, ErrorCode.NOT_READY, ErrorCode.SHUTTING_DOWN, ErrorCode.STALE_TABLE);

    private final Path file;
    private final String nodeId;
    private final String clusterName;
    private final LocalEngine engine;
    private final MapRegistry maps;
    private final Membership membership;
    private final int maxKeyBytes;
    private final int maxValueBytes;
    /** How long one entry is retried (moving buckets, a paused cluster, an unreachable primary). */
    private final long retryNanos;
    private volatile boolean armed;

    ClusterSavefile(Path file, EngineConfig config, LocalEngine engine, MapRegistry maps, Membership membership) {
        this.file = file;
        this.nodeId = config.nodeId;
        this.clusterName = membership.config().clusterName;
        this.engine = engine;
        this.maps = maps;
        this.membership = membership;
        this.maxKeyBytes = config.maxKeyBytes;
        this.maxValueBytes = config.maxValueBytes;
        this.retryNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(30_000, 2 * membership.config().joinTimeoutMs));
    }

    static Path loadedName(Path file) {
        return file.resolveSibling(file.getFileName() + LOADED_SUFFIX);
    }

    // ---- start: inject ----

    /**
     * Injects the savefile if it exists, then renames it to {@code <name>.loaded}; arms
     * {@link #writeIfLast}. Blocks until every entry is stored (or kept out: expired, or the key
     * has a value).
     *
     * @return what was injected, or null if there was no savefile
     * @throws TransferException if the file is damaged or cannot be read (nothing was injected; the
     *     file is left as it is), or an entry could not be stored (the entries before it stay)
     */
    TransferSummary injectIfPresent() {
        TransferSummary summary = null;
        if (Files.exists(file)) {
            summary = inject();
        }
        armed = true;
        return summary;
    }

    private TransferSummary inject() {
        long startedNanos = System.nanoTime();
        long fileBytes;
        try {
            fileBytes = Files.size(file);
        } catch (IOException e) {
            throw logged(new TransferException("savefile " + file + " cannot be read: " + MapExport.describe(e)
                    + "; nothing was injected", file, -1, 0, e));
        }
        LOG.info("node {}: savefile {} found ({} bytes): checking it, then injecting it into cluster '{}' ({} members)",
                nodeId, file, fileBytes, clusterName, membership.view().members().size());
        long entries = verify();
        Injection injection = new Injection();
        TransferSummary summary = injection.run(entries, startedNanos);
        Path loaded = loadedName(file);
        String renamed;
        try {
            Files.move(file, loaded, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            MapExport.syncDirectory(file.toAbsolutePath().getParent());
            renamed = "renamed to " + loaded.getFileName();
        } catch (NoSuchFileException e) {
            renamed = "already renamed by another node that shares the path";
        } catch (IOException e) {
            // The data is in; failing the start would throw it away with this node. The next start
            // would inject the file again (keys that have a value keep it; removed keys come back).
            LOG.error("node {}: savefile {} was injected but could not be renamed to {}: {}; remove it, or the next "
                    + "start injects it again", nodeId, file, loaded.getFileName(), MapExport.describe(e), e);
            renamed = "NOT renamed";
        }
        LOG.info("node {}: savefile {} injected into cluster '{}': {} entries stored, {} kept the cluster's value, "
                        + "{} expired, {} maps, {} bytes, in {} ms; {}", nodeId, file, clusterName, summary.entries(),
                summary.skippedExisting(), summary.skippedExpired(), summary.mapCount(), summary.fileBytes(),
                summary.elapsed().toMillis(), renamed);
        return summary;
    }

    /** Reads the whole file, checking every length and CRC; returns its entry count. */
    private long verify() {
        ByteSink key = new ByteSink(64);
        ByteSink value = new ByteSink(256);
        long entries = 0;
        long position = -1;
        try (ExportFileReader reader = ExportFileReader.open(file, maxKeyBytes, maxValueBytes)) {
            while (true) {
                position = reader.position();
                key.reset();
                value.reset();
                if (!reader.next(key, value)) {
                    return entries;
                }
                entries++;
            }
        } catch (ExportFileReader.Damaged e) {
            throw logged(new TransferException("savefile " + file + " is damaged at offset " + e.offset + ": "
                    + e.getMessage() + "; nothing was injected and the file is left as it is (restore it, or move it "
                    + "away to start without it)", file, e.offset, 0, null));
        } catch (IOException e) {
            throw logged(new TransferException("savefile " + file + " cannot be read" + (position >= 0 ? " at offset "
                    + position : "") + ": " + MapExport.describe(e) + "; nothing was injected", file, position, 0, e));
        }
    }

    private TransferException logged(TransferException e) {
        LOG.error("node {}: {}", nodeId, e.getMessage());
        return e;
    }

    /** One run over the file. */
    private final class Injection {
        private final ArrayDeque<Forwarded> inFlight = new ArrayDeque<>();
        private final DurabilityWindow durability = new DurabilityWindow(
                cause -> failed(-1, "an injected entry was not stored: " + cause.getMessage(), cause));
        private long stored;
        private long kept;
        private long expired;
        private long lastLogNanos = System.nanoTime();

        TransferSummary run(long entries, long startedNanos) {
            ExportFileReader reader;
            try {
                reader = ExportFileReader.open(file, maxKeyBytes, maxValueBytes);
            } catch (IOException | ExportFileReader.Damaged e) {
                throw failed(-1, e instanceof IOException io ? MapExport.describe(io) : e.getMessage(), e);
            }
            ByteSink key = new ByteSink(64);
            ByteSink value = new ByteSink(256);
            try (reader) {
                MapHandle[] handles = open(reader.mapNames());
                while (true) {
                    key.reset();
                    value.reset();
                    if (!reader.next(key, value)) {
                        break;
                    }
                    inject(handles[reader.mapIndex()], key, value, reader.expiresAtMs(), reader.entryOffset());
                    progress(entries, reader.position(), reader.fileBytes());
                }
                settleAll();
                return new TransferSummary(stored, expired, kept, handles.length, reader.fileBytes(),
                        java.time.Duration.ofNanos(System.nanoTime() - startedNanos));
            } catch (ExportFileReader.Damaged e) {
                // Checked a moment ago: the file changed under the node.
                throw failed(e.offset, e.getMessage(), null);
            } catch (IOException e) {
                throw failed(reader.position(), MapExport.describe(e), e);
            }
        }

        private MapHandle[] open(List<String> names) {
            try {
                return maps.openAll(names);
            } catch (IllegalArgumentException e) {
                throw failed(-1, e.getMessage(), e);
            }
        }

        private void progress(long entries, long position, long fileBytes) {
            long now = System.nanoTime();
            if (now - lastLogNanos >= LOG_INTERVAL_NANOS) {
                lastLogNanos = now;
                long done = stored + kept + expired;
                LOG.info("node {}: injecting savefile {}: {} of {} entries done ({}%), {} in flight", nodeId,
                        file.getFileName(), done, entries, fileBytes == 0 ? 100 : position * 100 / fileBytes,
                        inFlight.size());
            }
        }

        /** Stores one entry here or sends it to its primary; the sinks are reused by the caller. */
        private void inject(MapHandle map, ByteSink key, ByteSink value, long expiresAtMs, long offset) {
            long deadline = System.nanoTime() + retryNanos;
            String primary = writeHere(map, key.array(), key.length(), value.array(), value.length(), expiresAtMs,
                    offset, deadline);
            if (primary == null) {
                return;
            }
            Forwarded f = new Forwarded(map, key.toByteArray(), value.toByteArray(), expiresAtMs, offset, deadline);
            f.send(primary);
            inFlight.add(f);
            if (inFlight.size() >= FORWARD_WINDOW) {
                settle(inFlight.poll());
            }
        }

        /**
         * Stores the entry in this node's engine if it is the bucket's primary, waiting while the
         * bucket changes hands or the cluster is paused; returns the primary's address if another
         * node serves the bucket, else null (stored, kept, or expired by now).
         */
        private String writeHere(MapHandle map, byte[] key, int keyLength, byte[] value, int valueLength,
                                 long expiresAtMs, long offset, long deadline) {
            while (true) {
                long nowMs = System.currentTimeMillis();
                if (expiresAtMs != 0 && expiresAtMs <= nowMs) {
                    expired++;
                    return null;
                }
                LocalEngine.Scratch s = LocalEngine.scratch();
                s.key.write(key, 0, keyLength);
                s.value.write(value, 0, valueLength);
                try {
                    engine.putExpiringAt(map, s, BucketStore.PutMode.IF_ABSENT, 0, expiresAtMs, nowMs, false);
                } catch (LocalEngine.NotPrimaryException e) {
                    if (!e.handingOver()) {
                        return e.primaryAddress;
                    }
                    try {
                        ShoalMapImpl.awaitHandOver(engine, e);
                    } catch (ShoalException stillMoving) {
                        throw failed(offset, "the entry of map \"" + map.name + "\" was not injected: "
                                + stillMoving.getMessage(), stillMoving);
                    }
                    continue;
                } catch (ClusterPausedException e) {
                    pauseOrGiveUp(deadline, offset, map, e.getMessage(), e);
                    continue;
                } catch (ShoalException e) {
                    throw failed(offset, "the entry of map \"" + map.name + "\" was not injected: " + e.getMessage(),
                            e);
                }
                if (!s.result.applied) {
                    kept++;
                    return null;
                }
                stored++;
                durability.add(engine.durability());
                return null;
            }
        }

        /**
         * Waits for a forwarded entry's answer, routing and sending it again while that helps: after
         * an answer that says nothing was done, or as soon as a newer table names another primary
         * (the member link would otherwise ask the old primary again until its request timeout).
         */
        private void settle(Forwarded f) {
            while (true) {
                Message answer = null;
                Throwable failure = null;
                boolean moved = false;
                while (true) {
                    try {
                        answer = f.sent.get(ROUTE_CHECK_MS, TimeUnit.MILLISECONDS);
                        break;
                    } catch (TimeoutException e) {
                        if (f.routeChanged()) {
                            moved = true;
                            break;
                        }
                    } catch (ExecutionException e) {
                        failure = e.getCause() != null ? e.getCause() : e;
                        break;
                    } catch (CancellationException e) {
                        failure = e;
                        break;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw failed(f.offset, "interrupted while injecting", e);
                    }
                }
                if (answer instanceof Reply.PutIfAbsent reply) {
                    if (reply.applied()) {
                        stored++;
                    } else {
                        kept++;
                    }
                    return;
                }
                if (moved) {
                    pauseOrGiveUp(f.deadline, f.offset, f.map, "its bucket kept moving", null);
                } else {
                    String why = failure != null ? String.valueOf(failure.getMessage())
                            : answer instanceof ErrorReply error
                            ? "it answered " + error.code() + ": " + error.message() : "it answered " + answer;
                    boolean tryAgain = failure != null
                            || answer instanceof ErrorReply error && TRY_AGAIN.contains(error.code());
                    if (!tryAgain) {
                        throw failed(f.offset, "the entry of map \"" + f.map.name + "\" was not injected at "
                                + f.address + ": " + why, failure);
                    }
                    pauseOrGiveUp(f.deadline, f.offset, f.map, "the node at " + f.address + " did not store it: "
                            + why, failure);
                }
                String primary = writeHere(f.map, f.key, f.key.length, f.value, f.value.length, f.expiresAtMs,
                        f.offset, f.deadline);
                if (primary == null) {
                    return;
                }
                f.send(primary);
            }
        }

        private void pauseOrGiveUp(long deadline, long offset, MapHandle map, String why, Throwable cause) {
            if (System.nanoTime() - deadline > 0) {
                throw failed(offset, "the entry of map \"" + map.name + "\" was not injected within "
                        + TimeUnit.NANOSECONDS.toMillis(retryNanos) + " ms: " + why, cause);
            }
            LockSupport.parkNanos(RETRY_PAUSE_NANOS);
        }

        private void settleAll() {
            while (!inFlight.isEmpty()) {
                settle(inFlight.poll());
            }
            durability.awaitAll();
        }

        /**
         * The exception to throw once every write already sent has settled, so the count is final
         * (further failures are only added as suppressed); logged as an error.
         */
        private TransferException failed(long offset, String problem, Throwable cause) {
            Throwable suppressed = null;
            while (!inFlight.isEmpty()) {
                Forwarded f = inFlight.poll();
                try {
                    if (f.sent.join() instanceof Reply.PutIfAbsent reply && reply.applied()) {
                        stored++;
                    }
                } catch (CompletionException | CancellationException e) {
                    suppressed = suppressed == null ? e : suppressed;
                }
            }
            Throwable unstored = durability.settle();
            suppressed = suppressed == null ? unstored : suppressed;
            TransferException failure = new TransferException("injection of savefile " + file + " failed"
                    + (offset >= 0 ? " at offset " + offset : "") + ": " + problem + "; the file is left as it is"
                    + (stored > 0 ? " (the " + stored + " entries stored before stay in the cluster; a later start "
                    + "injects the file again and keeps them)" : ""), file, offset, stored, cause);
            if (suppressed != null) {
                failure.addSuppressed(suppressed);
            }
            LOG.error("node {}: {}", nodeId, failure.getMessage(), cause);
            return failure;
        }
    }

    /** An entry sent to the member serving its bucket. */
    private final class Forwarded {
        final MapHandle map;
        final byte[] key;
        final byte[] value;
        final long expiresAtMs;
        final long offset;
        final long deadline;
        final int bucket;
        String address;
        /** The version of the table this node routed the entry by. */
        long routedByVersion;
        CompletableFuture<Message> sent;

        Forwarded(MapHandle map, byte[] key, byte[] value, long expiresAtMs, long offset, long deadline) {
            this.map = map;
            this.key = key;
            this.value = value;
            this.expiresAtMs = expiresAtMs;
            this.offset = offset;
            this.deadline = deadline;
            this.bucket = (int) (KeyHash.hash(key, 0, key.length) & (engine.bucketCount() - 1));
        }

        /**
         * Whether a newer table names another primary for the entry's bucket. The request sent
         * before is given up on: it can only be applied if its old primary serves the bucket again
         * before the link's request timeout, and then as the same put-if-absent.
         */
        boolean routeChanged() {
            Ownership o = engine.ownership;
            return o != null && o.tableVersion != routedByVersion && !address.equals(o.primaryAddress(bucket));
        }

        /** PUT_IF_ABSENT carries a time to live: the expiry shifts by the time the request takes to arrive. */
        void send(String primaryAddress) {
            address = primaryAddress;
            routedByVersion = engine.tableVersion();
            long ttlMs = expiresAtMs == 0 ? 0 : Math.max(1, expiresAtMs - System.currentTimeMillis());
            try {
                sent = membership.send(primaryAddress, new Request.PutIfAbsent(map.name, key, value, ttlMs));
            } catch (RuntimeException e) {
                sent = CompletableFuture.failedFuture(e);
            }
        }
    }

    // ---- stop: write ----

    /**
     * Writes the savefile if this node is the last member of its cluster (its view holds it alone)
     * and its start succeeded. Called when the node stops, after its graceful leave and after it
     * stopped serving, with the stores still open. Never throws: a failure is logged as an error.
     */
    void writeIfLast() {
        if (!armed) {
            return; // the start failed: a savefile it could not load stays as it is
        }
        ClusterWire.View view = membership.view();
        List<ClusterWire.Member> members = view.members();
        boolean last = membership.isJoined() && members.size() == 1 && members.get(0).nodeId().equals(nodeId);
        if (!last) {
            LOG.info("node {} is not the last member of cluster '{}' ({} view {} has {}): it writes no savefile",
                    nodeId, clusterName, membership.isJoined() ? "its" : "it is joining again; its last",
                    view.version(), members.stream().map(ClusterWire.Member::nodeId).toList());
            return;
        }
        PartitionTable table = membership.table();
        boolean[] held = new boolean[engine.bucketCount()];
        int missing = 0;
        for (int b = 0; b < held.length; b++) {
            held[b] = b < table.bucketCount() && nodeId.equals(table.primary(b))
                    && table.stateOf(b, nodeId) == ReplicaState.UP_TO_DATE;
            if (!held[b]) {
                missing++;
            }
        }
        if (missing > 0) {
            LOG.error("node {}: {} of {} buckets have no up-to-date copy on this last member (lost when more nodes "
                    + "failed at once than backups.count allows): the savefile cannot hold their data", nodeId,
                    missing, held.length);
        }
        long startedNanos = System.nanoTime();
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            TransferSummary written = new MapExport(engine, maps).run(file, List.of(), logging("writing"),
                    b -> held[b]);
            LOG.info("node {} stops as the last member of cluster '{}': savefile {} written: {} entries of {} maps, "
                            + "{} bytes, in {} ms ({} expired entries left out{})", nodeId, clusterName, file,
                    written.entries(), written.mapCount(), written.fileBytes(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos), written.skippedExpired(),
                    missing > 0 ? "; " + missing + " buckets missing" : "");
        } catch (IOException | RuntimeException e) {
            String why = e instanceof IOException io ? MapExport.describe(io) : e.getMessage();
            LOG.error("node {} stops as the last member of cluster '{}' but could not write savefile {}: {}; the "
                    + "cluster's data is not saved there", nodeId, clusterName, file, why, e);
        }
    }

    /** Progress of a long write as a log line every few seconds. */
    private TransferProgress logging(String what) {
        return new TransferProgress() {
            private long lastNanos = System.nanoTime();

            @Override
            public void onProgress(long entriesDone, long bytesDone, double fractionDone) {
                long now = System.nanoTime();
                if (fractionDone < 1 && now - lastNanos >= LOG_INTERVAL_NANOS) {
                    lastNanos = now;
                    LOG.info("node {}: {} savefile {}: {} entries, {} bytes, {}% of the buckets", nodeId, what,
                            file.getFileName(), entriesDone, bytesDone, Math.round(fractionDone * 100));
                }
            }
        };
    }

    @Override
    public String toString() {
        return "ClusterSavefile{" + file + (armed ? ", armed" : "") + '}';
    }
}
