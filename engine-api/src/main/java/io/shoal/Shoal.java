package io.shoal;

import io.shoal.spi.NodeFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Starts Shoal nodes inside this process.
 *
 * <pre>{@code
 * try (ShoalNode node = Shoal.start()) {
 *     ShoalMap<String, String> users = node.map("users", String.class, String.class);
 *     users.put("ada", "Ada Lovelace");
 * }
 * }</pre>
 *
 * <p>The engine is found with {@link ServiceLoader} ({@link NodeFactory}); add
 * {@code io.shoal:engine-core} to the classpath. Chronicle Map needs the JVM flags listed in
 * {@code bin/jvm.options} on Java 17 and later (see the README).
 *
 * <p>Each {@code start} call blocks until the node is ready to serve, or throws: a
 * {@link ConfigException} for a bad configuration (nothing was opened), or a
 * {@link ShoalException} if a component failed to start (everything already started is stopped).
 */
public final class Shoal {
    private Shoal() {
    }

    /** Starts a node on the defaults. */
    public static ShoalNode start() {
        return start(ShoalConfig.defaults());
    }

    /** Starts a node from a HOCON file layered on the defaults. */
    public static ShoalNode start(Path configFile) {
        return start(ShoalConfig.fromFile(configFile));
    }

    /** Starts a node from a HOCON string layered on the defaults. */
    public static ShoalNode startFromString(String hocon) {
        return start(ShoalConfig.fromString(hocon));
    }

    /** Starts a node from {@code config}. */
    public static ShoalNode start(ShoalConfig config) {
        return factory().start(config);
    }

    private static NodeFactory factory() {
        List<NodeFactory> found = ServiceLoader.load(NodeFactory.class, Shoal.class.getClassLoader()).stream()
                .map(ServiceLoader.Provider::get)
                .collect(Collectors.toList());
        if (found.isEmpty()) {
            throw new ShoalException("no Shoal engine on the classpath: add the io.shoal:engine-core dependency");
        }
        if (found.size() > 1) {
            throw new ShoalException("more than one Shoal engine on the classpath: " + found.stream()
                    .map(f -> f.getClass().getName()).collect(Collectors.joining(", ")));
        }
        return found.get(0);
    }
}
