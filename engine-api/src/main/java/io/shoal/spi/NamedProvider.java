package io.shoal.spi;

/**
 * Base of every provider that the engine selects by short name from the configuration
 * ({@code eviction = lru}, {@code persistence = file}, {@code transport = tcp},
 * {@code plugins = [stats]}). Providers are found with {@link java.util.ServiceLoader}: list the
 * class in {@code META-INF/services/<the sub-interface's name>}. An unknown name stops start-up
 * with the list of known names.
 *
 * <p>{@link #create} is called once per node, on the thread that starts the node, while the node
 * is being wired: it must only read settings and construct objects, never open files, sockets or
 * threads (those belong in the created component's start method). It may throw
 * {@link io.shoal.ConfigException} for a bad setting.
 *
 * @param <T> the component type
 */
public interface NamedProvider<T> {

    /** The short name used in the configuration, lower case, e.g. {@code lru}. Unique per kind. */
    String name();

    /** One line for error messages and listings. */
    default String description() {
        return name();
    }

    /** Creates the component for one node. */
    T create(Settings settings);
}
