package io.shoal.core;

import io.shoal.ClusterView;
import io.shoal.Codecs;
import io.shoal.ImportMode;
import io.shoal.NodeClosedException;
import io.shoal.NodeStats;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import io.shoal.Subscription;
import io.shoal.TransferProgress;
import io.shoal.TransferSummary;
import io.shoal.cluster.Membership;
import io.shoal.internal.KryoCodecs;
import io.shoal.protocol.Push;
import io.shoal.protocol.Reply;
import io.shoal.spi.ChangeRecordListener;
import io.shoal.spi.Codec;
import io.shoal.spi.Plugin;
import io.shoal.spi.PluginContext;
import io.shoal.spi.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The node: owns the lifecycle (stores, the protocol server's listener, persistence, change bus,
 * expiry sweep, plugins, then the server's serving) and hands out typed map views.
 */
final class ShoalNodeImpl implements ShoalNode {
    private static final Logger LOG = LoggerFactory.getLogger(ShoalNodeImpl.class);

    private final EngineConfig config;
    private final Settings settings;
    private final LocalEngine engine;
    private final PersistenceLink persistence;
    private final ChangeBus changes;
    private final ExpirySweeper sweeper;
    private final MapRegistry maps;
    private final MemoryGovernor memory;
    private final KryoCodecs kryo;
    private final List<Plugin> plugins;
    /** Null with {@code transport = none}. */
    private final ProtocolServer server;
    /** Null with {@code transport = none}. */
    private final Membership membership;
    /** Null with {@code transport = none}. */
    private final ClusterData clusterData;
    /** Maps of other members, for keys they serve; null outside a cluster. */
    private final ShoalMapImpl.Peers peers;
    /** The cluster savefile; null outside a cluster or without {@code cluster.savefile}. */
    private final ClusterSavefile savefile;
    private final Lifecycle lifecycle = new Lifecycle();
    private volatile boolean closed;

    ShoalNodeImpl(EngineConfig config, Settings settings, LocalEngine engine, PersistenceLink persistence,
                  ChangeBus changes, ExpirySweeper sweeper, MapRegistry maps, MemoryGovernor memory, KryoCodecs kryo,
                  List<Plugin> plugins, ProtocolServer server, Membership membership) {
        this.config = config;
        this.settings = settings;
        this.engine = engine;
        this.persistence = persistence;
        this.changes = changes;
        this.sweeper = sweeper;
        this.maps = maps;
        this.memory = memory;
        this.kryo = kryo;
        this.plugins = plugins;
        this.server = server;
        this.membership = membership;
        this.clusterData = membership == null ? null
                : new ClusterData(config.nodeId, membership.config(), engine, maps, membership);
        this.peers = membership == null ? null : new ShoalMapImpl.Peers() {
            @Override
            public <K, V> ShoalMap<K, V> map(String address, String name, Codec<K> keyCodec, Codec<V> valueCodec) {
                return membership.peer(address).map(name, keyCodec, valueCodec);
            }
        };
        this.savefile = membership == null || membership.config().savefile == null ? null
                : new ClusterSavefile(membership.config().savefile, config, engine, maps, membership);
    }

    void start() {
        // Stores first, then recovery into them, then events and the sweep; stopped in reverse, so
        // persistence closes (and may snapshot) while the stores are still open. The protocol
        // server listens before recovery (clients may connect; their requests wait) and serves once
        // everything, plugins included, has started; it stops first, saying GOODBYE to clients.
        lifecycle.start(server == null ? List.of(engine, persistence, changes, sweeper)
                : List.of(engine, server.listening(), persistence, changes, sweeper));
        PluginContext context = new PluginContext() {
            @Override
            public ShoalNode node() {
                return ShoalNodeImpl.this;
            }

            @Override
            public Settings settings() {
                return settings;
            }

            @Override
            public Subscription addChangeListener(ChangeRecordListener listener) {
                return changes.addGlobalListener(Objects.requireNonNull(listener, "listener"));
            }
        };
        for (Plugin plugin : plugins) {
            lifecycle.start(new Lifecycle.Component() {
                @Override
                public void start() {
                    plugin.start(context);
                }

                @Override
                public void stop() {
                    plugin.stop();
                }
            });
        }
        if (membership != null) {
            ClusterData data = clusterData;
            server.cluster = (request, from) -> Membership.isMembershipRequest(request.opcode())
                    ? membership.handle(request, from) : CompletableFuture.completedFuture(data.handle(request));
            server.forwarder = membership::send;
            changes.replication = data;
            engine.lease = membership::holdsLease;
            engine.paused = membership::isPaused;
            membership.addPauseListener(paused -> {
                if (!paused) {
                    data.onResume(membership.table());
                }
            });
            server.clusterStats = () -> {
                Membership.Health health = membership.health();
                return List.of(
                        new Reply.Stat("clusterMembers", health.members()),
                        new Reply.Stat("clusterViewVersion", health.viewVersion()),
                        new Reply.Stat("clusterTableVersion", health.tableVersion()),
                        new Reply.Stat("clusterBucketsLost", health.bucketsLost()),
                        new Reply.Stat("clusterBucketsUnderReplicated", health.bucketsUnderReplicated()),
                        new Reply.Stat("clusterCopiesFeeding", health.copiesFeeding()),
                        new Reply.Stat("clusterCoordinator", health.coordinator() ? 1 : 0),
                        new Reply.Stat("clusterLeaseHeld", health.leaseHeld() ? 1 : 0),
                        new Reply.Stat("clusterCopiesRepaired", data.copiesRepaired()));
            };
            membership.addListener((view, table) -> {
                data.onChange(view, table);
                server.clusterChanged(table.version(), view.members().stream()
                        .map(m -> new Push.NodeAddress(m.nodeId(), m.address())).toList());
            });
            lifecycle.start(new Lifecycle.Component() {
                @Override
                public void start() {
                    membership.join(server.address());
                }

                @Override
                public void stop() {
                    if (savefile != null) {
                        // After the leave and the GOODBYEs: no member or client writes any more.
                        savefile.writeIfLast();
                    }
                    data.close();
                    membership.close();
                }
            });
        }
        if (server != null) {
            lifecycle.start(server.serving());
        }
        if (membership != null) {
            // Stopped first: the node hands its copies over while it still serves its members and clients.
            lifecycle.start(new Lifecycle.Component() {
                @Override
                public void start() {
                }

                @Override
                public void stop() {
                    membership.leave("node " + config.nodeId + " is stopping");
                }
            });
        }
        if (savefile != null) {
            // Once a member and serving (other nodes may join meanwhile); a damaged savefile fails the
            // start, after which the node leaves again and the file stays as it is.
            lifecycle.start(new Lifecycle.Component() {
                @Override
                public void start() {
                    savefile.injectIfPresent();
                }

                @Override
                public void stop() {
                }
            });
        }
        LOG.info("node {} started: {} buckets, memory.maxBytes={}, eviction={}, plugins={}, server={}", config.nodeId,
                config.bucketCount, config.maxMemoryBytes, config.eviction, config.plugins,
                server == null ? "none" : server.address());
    }

    @Override
    public Optional<ClusterView> clusterView() {
        if (membership == null) {
            return Optional.empty();
        }
        var view = membership.view();
        return Optional.of(new ClusterView(view.version(), view.members().stream()
                .map(m -> new ClusterView.Member(m.nodeId(), m.address(), m.zone())).toList(),
                membership.tableVersion(), membership.isPaused()));
    }

    @Override
    public void pauseCluster() {
        clustered("pause").setPaused(true);
    }

    @Override
    public void resumeCluster() {
        clustered("resume").setPaused(false);
    }

    private Membership clustered(String what) {
        ensureOpen();
        if (membership == null) {
            throw new IllegalStateException("node " + config.nodeId + " cannot " + what + " a cluster: it takes part in "
                    + "none (transport = none)");
        }
        return membership;
    }

    /** Which buckets this node serves now (tests); null outside a cluster. */
    Ownership ownership() {
        return engine.ownership;
    }

    /** Copies the anti-entropy found different from this node's and fed again; 0 without a cluster. */
    long clusterCopiesRepaired() {
        return clusterData == null ? 0 : clusterData.copiesRepaired();
    }

    LocalEngine engine() {
        return engine;
    }

    @Override
    public String nodeId() {
        return config.nodeId;
    }

    @Override
    public <K, V> ShoalMap<K, V> map(String name, Codec<K> keyCodec, Codec<V> valueCodec) {
        Objects.requireNonNull(keyCodec, "keyCodec");
        Objects.requireNonNull(valueCodec, "valueCodec");
        ensureOpen();
        return new ShoalMapImpl<>(engine, maps.open(name), keyCodec, valueCodec, peers);
    }

    @Override
    public <K, V> ShoalMap<K, V> map(String name, Class<K> keyType, Class<V> valueType) {
        return map(name, codecFor(keyType), codecFor(valueType));
    }

    private <T> Codec<T> codecFor(Class<T> type) {
        Objects.requireNonNull(type, "type");
        Codec<T> builtIn = Codecs.builtIn(type);
        return builtIn != null ? builtIn : kryo.codecFor(type);
    }

    @Override
    public Set<String> mapNames() {
        return maps.names();
    }

    @Override
    public NodeStats stats() {
        return stats(config, engine, memory, changes);
    }

    static NodeStats stats(EngineConfig config, LocalEngine engine, MemoryGovernor memory, ChangeBus changes) {
        return new NodeStats(config.nodeId, config.bucketCount, engine.entries(), memory.usedBytes(),
                memory.maxBytes(), engine.evictions(), engine.expirations(), changes.droppedTotal(), engine.resizes());
    }

    @Override
    public Optional<String> serverAddress() {
        return server == null ? Optional.empty() : Optional.ofNullable(server.address());
    }

    @Override
    public TransferSummary exportMaps(Path file, Collection<String> mapNames, TransferProgress progress) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(mapNames, "mapNames");
        Objects.requireNonNull(progress, "progress");
        ensureOpen();
        return new MapExport(engine, maps).run(file, mapNames, progress);
    }

    @Override
    public TransferSummary importMaps(Path file, ImportMode mode, TransferProgress progress) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(progress, "progress");
        ensureOpen();
        return new MapImport(engine, maps, config.maxKeyBytes, config.maxValueBytes).run(file, mode, progress);
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        lifecycle.stop();
        LOG.info("node {} stopped", config.nodeId);
    }

    private void ensureOpen() {
        if (closed) {
            throw new NodeClosedException(config.nodeId);
        }
    }
}
