package io.shoal.core;

import io.shoal.Codecs;
import io.shoal.ImportMode;
import io.shoal.NodeClosedException;
import io.shoal.NodeStats;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import io.shoal.Subscription;
import io.shoal.TransferProgress;
import io.shoal.TransferSummary;
import io.shoal.internal.KryoCodecs;
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
    private final Lifecycle lifecycle = new Lifecycle();
    private volatile boolean closed;

    ShoalNodeImpl(EngineConfig config, Settings settings, LocalEngine engine, PersistenceLink persistence,
                  ChangeBus changes, ExpirySweeper sweeper, MapRegistry maps, MemoryGovernor memory, KryoCodecs kryo,
                  List<Plugin> plugins, ProtocolServer server) {
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
        if (server != null) {
            lifecycle.start(server.serving());
        }
        LOG.info("node {} started: {} buckets, memory.maxBytes={}, eviction={}, plugins={}, server={}", config.nodeId,
                config.bucketCount, config.maxMemoryBytes, config.eviction, config.plugins,
                server == null ? "none" : server.address());
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
        return new ShoalMapImpl<>(engine, maps.open(name), keyCodec, valueCodec);
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
