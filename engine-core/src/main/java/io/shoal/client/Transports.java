package io.shoal.client;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import io.shoal.ConfigException;
import io.shoal.internal.TypesafeSettings;
import io.shoal.spi.Settings;
import io.shoal.spi.TransportProvider;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Finds a transport by short name with {@link ServiceLoader} and builds its {@link Settings} the
 * way a node does: the client's overrides on top of every {@code reference.conf} on the class path.
 */
final class Transports {
    private Transports() {
    }

    static TransportProvider provider(String name) {
        ClassLoader loader = ClientConfig.class.getClassLoader();
        Map<String, TransportProvider> known = new TreeMap<>();
        for (TransportProvider provider : ServiceLoader.load(TransportProvider.class, loader)) {
            known.putIfAbsent(provider.name(), provider);
        }
        TransportProvider found = known.get(name);
        if (found == null) {
            throw new ConfigException("transport", "\"" + name + "\" is not a known transport; known: " + known.keySet()
                    + ("tcp".equals(name) ? " (add the io.shoal:transport-tcp dependency for tcp)" : ""));
        }
        return found;
    }

    static Settings settings(TransportProvider provider, Map<String, Object> overrides) {
        ClassLoader loader = provider.getClass().getClassLoader();
        Config reference = ConfigFactory.defaultReferenceUnresolved(loader);
        Config user = ConfigFactory.empty();
        for (Map.Entry<String, Object> override : overrides.entrySet()) {
            String key = override.getKey();
            if (!reference.hasPathOrNull(key)) {
                throw new ConfigException(key, "is not a setting of transport " + provider.name() + knownUnder(reference, key));
            }
            user = user.withFallback(parse(key, override.getValue()));
        }
        try {
            return new TypesafeSettings(user.withFallback(reference).resolve(), false);
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException("transport", "cannot resolve the settings: " + e.getMessage(), e);
        }
    }

    private static String knownUnder(Config reference, String key) {
        String section = key.contains(".") ? key.substring(0, key.indexOf('.')) : key;
        if (!reference.hasPathOrNull(section) || reference.getIsNull(section)) {
            return "";
        }
        TreeSet<String> keys = new TreeSet<>();
        try {
            for (Map.Entry<String, ConfigValue> entry : reference.getConfig(section).entrySet()) {
                keys.add(section + "." + entry.getKey());
            }
        } catch (com.typesafe.config.ConfigException e) {
            return "";
        }
        return "; known: " + keys;
    }

    private static Config parse(String key, Object value) {
        try {
            if (value instanceof String text) {
                String trimmed = text.trim();
                if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
                    return ConfigFactory.parseString("value = " + trimmed,
                            ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF)).getValue("value").atPath(key);
                }
            }
            return ConfigFactory.parseMap(Map.of(key, value), "ClientConfig.set(" + key + ")");
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException(key, "cannot be set to " + value + ": " + e.getMessage(), e);
        }
    }
}
