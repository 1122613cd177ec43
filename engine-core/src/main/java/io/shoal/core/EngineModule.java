package io.shoal.core;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.shoal.client.ClientConfig;
import io.shoal.cluster.ClusterConfig;
import io.shoal.cluster.Membership;
import io.shoal.internal.KryoCodecs;
import io.shoal.internal.TypesafeSettings;
import io.shoal.spi.EvictionPolicy;
import io.shoal.spi.EvictionPolicyProvider;
import io.shoal.spi.PersistenceBackend;
import io.shoal.spi.PersistenceProvider;
import io.shoal.spi.Plugin;
import io.shoal.spi.PluginProvider;
import io.shoal.spi.Settings;
import io.shoal.spi.Transport;
import io.shoal.spi.TransportProvider;

import java.util.ArrayList;
import java.util.List;

/**
 * The node's wiring. It only declares how to construct things: no file, socket or thread is opened
 * here; {@link ShoalNodeImpl#start()} starts the components in order.
 */
final class EngineModule extends AbstractModule {
    private final TypesafeSettings settings;

    EngineModule(TypesafeSettings settings) {
        this.settings = settings;
    }

    @Override
    protected void configure() {
        bind(Settings.class).toInstance(settings);
        bind(MapRegistry.class).in(Singleton.class);
    }

    @Provides
    @Singleton
    EngineConfig engineConfig(Settings s) {
        return EngineConfig.conclude(s);
    }

    @Provides
    @Singleton
    EvictionPolicy evictionPolicy(EngineConfig config, Settings s) {
        return registry("eviction policy", EvictionPolicyProvider.class).select("eviction", config.eviction).create(s);
    }

    /** Null when persistence is {@code none}, so the write path skips it entirely. */
    @Provides
    @Singleton
    PersistenceHolder persistence(EngineConfig config, Settings s) {
        PersistenceBackend backend = registry("persistence backend", PersistenceProvider.class)
                .select("persistence", config.persistence).create(s);
        return new PersistenceHolder(backend instanceof NoPersistence ? null : backend);
    }

    @Provides
    @Singleton
    List<Plugin> plugins(EngineConfig config, Settings s) {
        ProviderRegistry<PluginProvider> registry = registry("plugin", PluginProvider.class);
        List<Plugin> plugins = new ArrayList<>();
        for (String name : config.plugins) {
            plugins.add(registry.select("plugins", name).create(s));
        }
        return List.copyOf(plugins);
    }

    @Provides
    @Singleton
    KryoCodecs kryoCodecs(EngineConfig config) {
        return KryoCodecs.forNode(config.kryoClasses, classLoader());
    }

    @Provides
    @Singleton
    MemoryGovernor memoryGovernor(EngineConfig config, EvictionPolicy policy) {
        return new MemoryGovernor(config.maxMemoryBytes, policy);
    }

    @Provides
    @Singleton
    ChangeBus changeBus(EngineConfig config, PersistenceHolder persistence, MapRegistry maps) {
        return new ChangeBus(config.eventQueueCapacity, persistence.backend(), maps);
    }

    @Provides
    @Singleton
    LocalEngine localEngine(EngineConfig config, MemoryGovernor memory, ChangeBus changes, EvictionPolicy policy,
                            MapRegistry maps) {
        StoreSizing sizing = new StoreSizing(config.entriesPerBucket, config.averageKeyBytes, config.averageValueBytes);
        return new LocalEngine(config.nodeId, config, sizing, memory, changes, policy, maps);
    }

    @Provides
    @Singleton
    PersistenceLink persistenceLink(PersistenceHolder persistence, LocalEngine engine, MapRegistry maps) {
        return new PersistenceLink(persistence.backend(), engine, maps);
    }

    @Provides
    @Singleton
    ExpirySweeper expirySweeper(EngineConfig config, LocalEngine engine, MapRegistry maps) {
        return new ExpirySweeper(engine, maps, config.sweepIntervalMs);
    }

    /**
     * The protocol server, or null when {@code transport = none}. The server's settings are
     * validated either way; the transport only reads its settings here and opens nothing.
     */
    @Provides
    @Singleton
    ServerHolder server(EngineConfig config, Settings s, LocalEngine engine, MapRegistry maps, MemoryGovernor memory,
                        ChangeBus changes) {
        Transport transport = registry("transport", TransportProvider.class).select("transport", config.transport).create(s);
        boolean none = transport instanceof NoTransport;
        ServerConfig serverConfig = ServerConfig.conclude(s, config, config.transport, none ? 0 : transport.maxFrameBytes());
        if (none) {
            return new ServerHolder(null);
        }
        return new ServerHolder(new ProtocolServer(serverConfig, config, config.transport, transport, engine, maps,
                () -> ShoalNodeImpl.stats(config, engine, memory, changes)));
    }

    /**
     * The node's membership when it serves over a transport (every such node is a cluster member,
     * alone when it has no seeds), or null. Its links to peers use the node's transport with the
     * node's transport settings and secret; nothing connects until it joins.
     */
    @Provides
    @Singleton
    MembershipHolder membership(EngineConfig config, Settings s, ServerHolder server) {
        if (server.server() == null) {
            if (ClusterConfig.savefile(s.getString("cluster.savefile")) != null) {
                org.slf4j.LoggerFactory.getLogger(EngineModule.class).warn("cluster.savefile is set but transport = "
                        + "none: this node is in no cluster, so it neither writes nor loads a savefile");
            }
            return new MembershipHolder(null);
        }
        ClusterConfig cluster = ClusterConfig.conclude(s, config.nodeId, config.bucketCount);
        String secret = s.getString("server.auth.secret");
        java.util.Map<String, Object> transportSettings = s instanceof TypesafeSettings typesafe
                ? typesafe.section("transport-" + config.transport) : java.util.Map.of();
        return new MembershipHolder(Membership.create(cluster, address -> {
            ClientConfig.Builder peer = Membership.peerConfig(cluster, address).transport(config.transport);
            transportSettings.forEach(peer::set);
            if (!secret.isEmpty()) {
                peer.secret(secret);
            }
            return peer.build();
        }));
    }

    @Provides
    @Singleton
    ShoalNodeImpl node(EngineConfig config, Settings s, LocalEngine engine, PersistenceLink persistence,
                       ChangeBus changes, ExpirySweeper sweeper, MapRegistry maps, MemoryGovernor memory,
                       KryoCodecs kryo, List<Plugin> plugins, ServerHolder server, MembershipHolder membership) {
        return new ShoalNodeImpl(config, s, engine, persistence, changes, sweeper, maps, memory, kryo, plugins,
                server.server(), membership.membership());
    }

    private static <P extends io.shoal.spi.NamedProvider<?>> ProviderRegistry<P> registry(String kind, Class<P> type) {
        return ProviderRegistry.load(kind, type, classLoader());
    }

    private static ClassLoader classLoader() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : EngineModule.class.getClassLoader();
    }

    /** Guice cannot bind null; this carries the optional backend. */
    record PersistenceHolder(PersistenceBackend backend) {
    }

    /** Guice cannot bind null; this carries the optional protocol server. */
    record ServerHolder(ProtocolServer server) {
    }

    /** Guice cannot bind null; this carries the optional membership. */
    record MembershipHolder(Membership membership) {
    }
}
