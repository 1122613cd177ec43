package io.shoal.internal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException.Missing;
import com.typesafe.config.ConfigException.WrongType;
import com.typesafe.config.ConfigException.BadValue;
import com.typesafe.config.ConfigValue;
import io.shoal.ConfigException;
import io.shoal.spi.Settings;

import java.time.Duration;
import java.util.List;
import java.util.function.Function;

/**
 * Shoal-internal, shared by the node (io.shoal.core) and the Java client (io.shoal.client); not an
 * API: may change in any release.
 *
 * <p>{@link Settings} over a resolved Typesafe {@link Config}: the node's configuration, or the
 * settings of the client's transport. Every failure names key and value; the node's also name where
 * the value came from (file and line), the client's do not (its values come from
 * {@code ClientConfig}, not from a file).
 */
public final class TypesafeSettings implements Settings {
    private final Config config;
    private final boolean namesOrigin;

    /** @param namesOrigin whether a refused value is described with its origin ("(file.conf: 3)") */
    public TypesafeSettings(Config config, boolean namesOrigin) {
        this.config = config;
        this.namesOrigin = namesOrigin;
    }

    /**
     * Every setting under {@code path}, flattened to full keys ({@code path.a.b}) and plain Java
     * values, in no particular order; empty if there is no such section. To hand a section of the
     * node's config to something configured by keys, such as the transport of a client.
     */
    public java.util.Map<String, Object> section(String path) {
        java.util.Map<String, Object> flat = new java.util.HashMap<>();
        if (config.hasPath(path)) {
            for (java.util.Map.Entry<String, ConfigValue> entry : config.getConfig(path).entrySet()) {
                flat.put(path + "." + entry.getKey(), entry.getValue().unwrapped());
            }
        }
        return flat;
    }

    @Override
    public boolean hasPath(String key) {
        return config.hasPath(key);
    }

    @Override
    public String getString(String key) {
        return read(key, "a string", config::getString);
    }

    @Override
    public int getInt(String key) {
        return read(key, "a whole number", config::getInt);
    }

    @Override
    public long getLong(String key) {
        return read(key, "a whole number", config::getLong);
    }

    @Override
    public boolean getBoolean(String key) {
        return read(key, "true or false", config::getBoolean);
    }

    @Override
    public long getBytes(String key) {
        return read(key, "a size in bytes such as 512k, 64m or 1g", config::getBytes);
    }

    @Override
    public Duration getDuration(String key) {
        return read(key, "a duration such as 500ms, 2s or 1m", config::getDuration);
    }

    @Override
    public List<String> getStringList(String key) {
        return read(key, "a list of strings", config::getStringList);
    }

    private <T> T read(String key, String expected, Function<String, T> getter) {
        try {
            return getter.apply(key);
        } catch (Missing e) {
            throw new ConfigException(key, "is missing; expected " + expected);
        } catch (WrongType | BadValue e) {
            throw new ConfigException(key, describe(key) + " is not " + expected, e);
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException(key, e.getMessage(), e);
        }
    }

    private String describe(String key) {
        try {
            ConfigValue value = config.getValue(key);
            String shown = value.render(com.typesafe.config.ConfigRenderOptions.concise());
            return namesOrigin ? shown + " (" + value.origin().description() + ")" : shown;
        } catch (com.typesafe.config.ConfigException e) {
            return "the value";
        }
    }
}
