package io.shoal.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import io.shoal.ConfigException;
import io.shoal.ShoalConfig;
import io.shoal.internal.TypesafeSettings;

import java.nio.file.Files;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Resolves a {@link ShoalConfig} into one Typesafe {@link Config}: overrides, then the HOCON string,
 * then the file, then every {@code reference.conf} on the classpath (each module ships its own).
 *
 * <p>A key the user sets under a section that some module defines (say {@code memory.maxByte}) but
 * that no module knows is a typo: it stops start-up, naming the closest known key. Keys under other
 * top-level names are left alone, so an application may keep its own settings in the same file.
 */
final class ConfigLoader {
    private ConfigLoader() {
    }

    static TypesafeSettings load(ShoalConfig source) {
        ClassLoader loader = ConfigLoader.class.getClassLoader();
        Config user = ConfigFactory.empty();
        for (Map.Entry<String, Object> override : source.overrides().entrySet()) {
            user = user.withFallback(parseOverride(override.getKey(), override.getValue()));
        }
        if (source.hocon() != null) {
            user = user.withFallback(parse("config string", () -> ConfigFactory.parseString(source.hocon(), strict())));
        }
        if (source.file() != null) {
            if (!Files.isRegularFile(source.file())) {
                throw new ConfigException("config file", source.file().toAbsolutePath() + " does not exist or is not a file");
            }
            user = user.withFallback(parse("config file " + source.file(),
                    () -> ConfigFactory.parseFile(source.file().toFile(), strict())));
        }
        // The defaults stay unresolved until merged, so that a default such as
        // `persist-file.dir = ${node.dataDir}/log` follows the user's node.dataDir. System
        // properties override the defaults, as Typesafe's own loading does. The keys that exist
        // are read from the reference.conf files alone (system properties would add any name).
        Config reference = ConfigFactory.systemProperties().withFallback(ConfigFactory.defaultReferenceUnresolved(loader));
        rejectUnknownKeys(user, ConfigFactory.parseResourcesAnySyntax(loader, "reference.conf"));
        try {
            return new TypesafeSettings(user.withFallback(reference).resolve(), true);
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException("config", "cannot resolve substitutions: " + e.getMessage(), e);
        }
    }

    /**
     * A string override is taken as a plain string, except a list or object ({@code [a, b]},
     * {@code {...}}), which is parsed as HOCON. Sizes and durations in plain strings ({@code "64m"},
     * {@code "2s"}) keep their meaning, since the typed getters parse them.
     */
    private static Config parseOverride(String key, Object value) {
        if (value instanceof String text) {
            String trimmed = text.trim();
            if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
                return parse("override of " + key, () -> ConfigFactory.parseString("value = " + trimmed, strict())
                        .getValue("value").atPath(key));
            }
        }
        try {
            return ConfigFactory.parseMap(Map.of(key, value), "override of " + key);
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException(key, "cannot be set to " + value + ": " + e.getMessage(), e);
        }
    }

    private static void rejectUnknownKeys(Config user, Config reference) {
        Set<String> known = new TreeSet<>();
        for (Map.Entry<String, ConfigValue> entry : reference.entrySet()) {
            known.add(entry.getKey());
        }
        for (Map.Entry<String, ConfigValue> entry : user.entrySet()) {
            String key = entry.getKey();
            String section = key.contains(".") ? key.substring(0, key.indexOf('.')) : key;
            if (reference.hasPathOrNull(section) && !reference.hasPathOrNull(key)) {
                String closest = known.stream().min(Comparator.comparingInt(k -> distance(k, key))).orElse("");
                throw new ConfigException(key, "is not a known setting (from " + entry.getValue().origin().description()
                        + "); did you mean " + closest + "?");
            }
        }
    }

    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    private static ConfigParseOptions strict() {
        return ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false);
    }

    private static Config parse(String what, Supplier<Config> parser) {
        try {
            return parser.get();
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException(what, "cannot be parsed: " + e.getMessage(), e);
        }
    }
}
