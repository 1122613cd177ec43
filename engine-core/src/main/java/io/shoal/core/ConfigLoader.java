package io.shoal.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.shoal.ConfigException;
import io.shoal.ShoalConfig;

import java.nio.file.Files;
import java.util.Map;

/**
 * Resolves a {@link ShoalConfig} into one Typesafe {@link Config}: overrides, then the HOCON string,
 * then the file, then every {@code reference.conf} on the classpath (each module ships its own).
 */
final class ConfigLoader {
    private ConfigLoader() {
    }

    static TypesafeSettings load(ShoalConfig source) {
        ClassLoader loader = ConfigLoader.class.getClassLoader();
        Config config = ConfigFactory.empty();
        for (Map.Entry<String, Object> override : source.overrides().entrySet()) {
            config = config.withFallback(parseOverride(override.getKey(), override.getValue()));
        }
        if (source.hocon() != null) {
            config = config.withFallback(parse("config string", () -> ConfigFactory.parseString(source.hocon(), strict())));
        }
        if (source.file() != null) {
            if (!Files.isRegularFile(source.file())) {
                throw new ConfigException("config file", source.file().toAbsolutePath() + " does not exist or is not a file");
            }
            config = config.withFallback(parse("config file " + source.file(),
                    () -> ConfigFactory.parseFile(source.file().toFile(), strict())));
        }
        config = config.withFallback(ConfigFactory.defaultReference(loader));
        try {
            return new TypesafeSettings(config.resolve());
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException("config", "cannot resolve substitutions: " + e.getMessage(), e);
        }
    }

    private static Config parseOverride(String key, Object value) {
        if (value instanceof String text) {
            // Parse like HOCON so that "64m" or "2s" keep their meaning; fall back to a plain string.
            try {
                return ConfigFactory.parseString(quoteKey(key) + " = " + text, strict()).atPath("").root().toConfig();
            } catch (com.typesafe.config.ConfigException e) {
                return ConfigFactory.parseMap(Map.of(key, text), "override of " + key);
            }
        }
        return ConfigFactory.parseMap(Map.of(key, value), "override of " + key);
    }

    private static String quoteKey(String key) {
        return key;
    }

    private static ConfigParseOptions strict() {
        return ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false);
    }

    private static Config parse(String what, java.util.function.Supplier<Config> parser) {
        try {
            return parser.get();
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException(what, "cannot be parsed: " + e.getMessage(), e);
        }
    }
}
