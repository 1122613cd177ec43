package io.shoal.spi;

import io.shoal.ShoalConfig;
import io.shoal.ShoalNode;

/**
 * How {@link io.shoal.Shoal} finds the engine: exactly one implementation on the classpath,
 * registered for {@link java.util.ServiceLoader} ({@code engine-core} ships it). Called on the
 * application's thread; blocks until the node is ready; see {@link io.shoal.Shoal} for errors.
 */
public interface NodeFactory {
    ShoalNode start(ShoalConfig config);
}
