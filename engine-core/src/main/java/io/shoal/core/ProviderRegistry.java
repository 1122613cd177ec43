package io.shoal.core;

import io.shoal.ConfigException;
import io.shoal.spi.NamedProvider;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The explicit registry of implementations of one kind, filled from {@link ServiceLoader}. Looking
 * up an unknown name fails with the configuration key and the list of known names; two providers
 * claiming one name fail too, naming both classes.
 */
final class ProviderRegistry<P extends NamedProvider<?>> {
    private final String kind;
    private final Map<String, P> byName;

    private ProviderRegistry(String kind, Map<String, P> byName) {
        this.kind = kind;
        this.byName = byName;
    }

    static <P extends NamedProvider<?>> ProviderRegistry<P> load(String kind, Class<P> type, ClassLoader loader) {
        Map<String, P> byName = new TreeMap<>();
        for (P provider : ServiceLoader.load(type, loader)) {
            P previous = byName.putIfAbsent(provider.name(), provider);
            if (previous != null && previous.getClass() != provider.getClass()) {
                throw new ConfigException(kind, "two " + kind + " providers are both named \"" + provider.name() + "\": "
                        + previous.getClass().getName() + " and " + provider.getClass().getName());
            }
        }
        return new ProviderRegistry<>(kind, byName);
    }

    /** The provider called {@code name}, as asked for by configuration key {@code key}. */
    P select(String key, String name) {
        P provider = byName.get(name);
        if (provider == null) {
            throw new ConfigException(key, "\"" + name + "\" is not a known " + kind + "; known: " + byName.keySet()
                    + (byName.size() <= 1 ? " (is the module that provides it on the classpath?)" : ""));
        }
        return provider;
    }

    java.util.Set<String> names() {
        return byName.keySet();
    }
}
