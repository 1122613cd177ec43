package io.shoal;

import io.shoal.spi.Codec;

import java.nio.file.Path;
import java.util.Collection;
import java.util.Set;

/**
 * A running Shoal node inside this process, obtained from {@link Shoal#start}. Thread-safe.
 *
 * <p>{@link #close()} stops the node's components in the reverse order of their start, releases
 * the off-heap stores and returns when all its threads have ended. Maps of a closed node throw
 * {@link NodeClosedException}.
 */
public interface ShoalNode extends AutoCloseable {

    /** This node's stable id ({@code node.id}, or a generated one). */
    String nodeId();

    /**
     * The map called {@code name}, read and written through the given codecs. Calls with the same
     * name share the same data, whatever their codecs.
     *
     * @throws IllegalArgumentException if the name is empty, longer than 255 UTF-8 bytes or holds
     *     control characters
     */
    <K, V> ShoalMap<K, V> map(String name, Codec<K> keyCodec, Codec<V> valueCodec);

    /**
     * The map called {@code name} with codecs chosen by type: built-in codecs for {@code String},
     * {@code Long}, {@code Integer} and {@code byte[]}; Kryo for any other class, which must be
     * listed in {@code codec.kryo.classes} (registration is required, so that every node and
     * client agrees on class ids).
     *
     * @throws CodecException if a type has no codec (for example an unregistered class)
     */
    <K, V> ShoalMap<K, V> map(String name, Class<K> keyType, Class<V> valueType);

    /** Names of the maps that were opened on this node. */
    Set<String> mapNames();

    /** Current counters. Cheap enough to call once a second. */
    NodeStats stats();

    /**
     * The address remote clients connect to, speaking the wire protocol of {@code docs/protocol.md}:
     * {@code server.advertisedAddress} if set, else, for {@code transport = tcp}, {@code host:port}
     * of the listening socket ({@code server.host}, {@code server.port}), with an ephemeral port
     * ({@code server.port = 0}) resolved to the one bound. The node listens from early in its start
     * (clients that connect while it recovers its data wait for it) until {@link #close()}, which
     * says GOODBYE to every client first.
     *
     * @return the address, or empty with {@code transport = none} (the default), where the node
     *     serves only callers in this process
     */
    java.util.Optional<String> serverAddress();

    /**
     * This node's current view of its cluster. Every node that serves over a transport is a cluster
     * member: it joins through {@code cluster.seeds}, or founds a cluster of its own when it has
     * none. Never blocks.
     *
     * @return the view, or empty with {@code transport = none}, where the node is not part of a cluster
     */
    java.util.Optional<ClusterView> clusterView();

    /**
     * Pauses the whole cluster, through its coordinator: writes on every member are refused with
     * {@link ClusterPausedException} (nothing changed), reads are served, expiry waits, and no
     * bucket moves (a failed member's buckets still fail over to their backups). Blocks until the
     * coordinator has decided, at most {@code cluster.joinTimeoutMs}. Idempotent.
     *
     * @throws IllegalStateException with {@code transport = none} (no cluster)
     * @throws ShoalException if the coordinator cannot be reached
     */
    void pauseCluster();

    /** Resumes a paused cluster: writes are accepted and rebalancing goes on. As {@link #pauseCluster()}. */
    void resumeCluster();

    /**
     * Writes the entries of the given maps to {@code file}, in the portable, versioned export format
     * of {@code docs/formats.md} (section 3): each entry's map name, key and value bytes, expiry
     * time and timestamp. Entries whose expiry time has passed are left out and counted.
     *
     * <p>The file is written under a temporary name in the same directory, forced to disk, and then
     * renamed to {@code file} in one atomic step (replacing a file of that name), so {@code file}
     * never holds a partial export; after a failure no file is left behind.
     *
     * <p><b>Consistency.</b> Each bucket is copied at one point in time, with that bucket's writers
     * held off while it is copied (as for a snapshot); reads and the other buckets go on. The export
     * as a whole is therefore not one point in time: a change made while it runs may or may not be
     * in it.
     *
     * <p><b>Threading.</b> Runs on the calling thread and blocks until the file is complete.
     * Exports and imports may run concurrently with each other and with any other operation.
     *
     * @param file     where to write; its directory must exist
     * @param mapNames maps to export, by name; empty for every map of {@link #mapNames()}
     * @param progress called on this thread as the export goes on; {@link TransferProgress#NONE}
     *                 for none
     * @return what was written
     * @throws IllegalArgumentException if a name is not one of {@link #mapNames()} (the message names
     *     it)
     * @throws TransferException        if the file cannot be written (disk full, no permission, ...)
     * @throws NodeClosedException      if the node is closed, or closes during the export
     */
    TransferSummary exportMaps(Path file, Collection<String> mapNames, TransferProgress progress);

    /**
     * Loads an export file (written by {@link #exportMaps} on this node or any other) into this
     * node. Each entry is written through the ordinary write path, as a put would be: listeners get
     * {@link ChangeType#CREATED} or {@link ChangeType#UPDATED} events, persistence stores it,
     * {@code memory.maxBytes} and the eviction policy apply. Maps the file lists are opened on this
     * node, even if they have no entries.
     *
     * <p><b>What is carried over.</b> The key bytes, the value bytes and the absolute expiry time.
     * Versions and timestamps are not: every imported entry gets this node's next version for its
     * bucket and this node's current time, like any write. Entries whose expiry time has passed are
     * skipped and counted. Keys and values are the bytes the exporting application's codecs
     * produced: read them with the same codecs (and, for Kryo, the same {@code codec.kryo.classes}
     * in the same order).
     *
     * <p><b>Durability.</b> Writes are not waited for one by one; the call returns once every
     * imported entry is as durable as persistence promises.
     *
     * <p><b>Failure.</b> The file is checked as it is read: magic, format version, every length
     * (against the format's limits, {@code store.maxKeyBytes}, {@code store.maxValueBytes} and the
     * bytes left in the file, before anything is allocated), every CRC, and the end marker that
     * counts the entries, so a truncated file is detected. A failure stops the import with a
     * {@link TransferException} naming the file and the offset; the entries imported before it stay
     * in the node ({@link TransferException#entriesImported()}). Importing the same file again with
     * {@link ImportMode#OVERWRITE} completes an import that failed for a reason that has gone.
     *
     * <p><b>Threading.</b> Runs on the calling thread and blocks until the last entry is durable.
     *
     * @param file     the export file
     * @param mode     what to do with a key that already has a value in this node
     * @param progress called on this thread as the import goes on; {@link TransferProgress#NONE} for
     *                 none
     * @return what was imported and skipped
     * @throws TransferException   if the file is missing, unreadable, not an export file, of an
     *     unsupported format version, damaged or truncated, or if an entry could not be written
     *     (its cause then says why: {@link MemoryLimitExceededException},
     *     {@link StorageUnavailableException}, ...)
     * @throws NodeClosedException if the node is closed
     */
    TransferSummary importMaps(Path file, ImportMode mode, TransferProgress progress);

    /** Whether {@link #close()} has been called. */
    boolean isClosed();

    /** Stops the node. Idempotent; blocks until every component has stopped. */
    @Override
    void close();
}
