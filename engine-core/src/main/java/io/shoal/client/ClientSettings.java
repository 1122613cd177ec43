package io.shoal.client;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException.BadValue;
import com.typesafe.config.ConfigException.Missing;
import com.typesafe.config.ConfigException.WrongType;
import com.typesafe.config.ConfigRenderOptions;
import io.shoal.ConfigException;
import io.shoal.spi.Settings;

import java.time.Duration;
import java.util.List;
import java.util.function.Function;

/** {@link Settings} over a resolved Typesafe {@link Config}, for the client's transport; every failure names key and value. */
final class ClientSettings implements Settings {
    private final Config config;

    ClientSettings(Config config) {
        this.config = config;
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
            String shown;
            try {
                shown = config.getValue(key).render(ConfigRenderOptions.concise());
            } catch (com.typesafe.config.ConfigException ignored) {
                shown = "the value";
            }
            throw new ConfigException(key, shown + " is not " + expected, e);
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException(key, e.getMessage(), e);
        }
    }
}
