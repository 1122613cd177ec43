package io.shoal;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where a node's configuration comes from: an optional HOCON file, an optional HOCON string and
 * explicit key overrides, layered in that order on top of the defaults that every module ships
 * in its {@code reference.conf}. Immutable.
 *
 * <p>Values are validated when the node starts ({@link Shoal#start(ShoalConfig)}); the typed
 * setters of {@link Builder} also validate at once. Either way a bad value fails with a
 * {@link ConfigException} naming the key, the value and what is allowed. The keys are listed with
 * their defaults in {@code engine-core/src/main/resources/reference.conf} and in the README.
 */
public final class ShoalConfig {
    private final Path file;
    private final String hocon;
    private final Map<String, Object> overrides;

    private ShoalConfig(Path file, String hocon, Map<String, Object> overrides) {
        this.file = file;
        this.hocon = hocon;
        this.overrides = Collections.unmodifiableMap(new LinkedHashMap<>(overrides));
    }

    /** The defaults only. */
    public static ShoalConfig defaults() {
        return new ShoalConfig(null, null, Map.of());
    }

    /** A HOCON file on top of the defaults. The file is read when the node starts. */
    public static ShoalConfig fromFile(Path file) {
        return builder().file(file).build();
    }

    /** A HOCON string on top of the defaults, e.g. {@code "eviction = lru\nmemory.maxBytes = 64m"}. */
    public static ShoalConfig fromString(String hocon) {
        return builder().hocon(hocon).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The file layer, or {@code null}. */
    public Path file() {
        return file;
    }

    /** The string layer, or {@code null}. */
    public String hocon() {
        return hocon;
    }

    /** Explicit overrides, in the order they were set; they win over every other layer. */
    public Map<String, Object> overrides() {
        return overrides;
    }

    @Override
    public String toString() {
        return "ShoalConfig{file=" + file + ", hocon=" + (hocon == null ? null : hocon.length() + " chars")
                + ", overrides=" + overrides + '}';
    }

    /** Builds a {@link ShoalConfig}; typed setters fail fast with the offending value. */
    public static final class Builder {
        private Path file;
        private String hocon;
        private final Map<String, Object> overrides = new LinkedHashMap<>();

        private Builder() {
        }

        public Builder file(Path file) {
            this.file = Objects.requireNonNull(file, "file");
            return this;
        }

        public Builder hocon(String hocon) {
            this.hocon = Objects.requireNonNull(hocon, "hocon");
            return this;
        }

        /**
         * Sets any key. The value may be a {@code Number}, a {@code Boolean}, a {@code List} or a
         * {@code String}; a string is taken as it is (sizes and durations such as {@code "64m"} or
         * {@code "2s"} keep their meaning), except that text starting with {@code [} or {@code {}
         * is parsed as a HOCON list or object. Validated at start.
         */
        public Builder set(String key, Object value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            if (key.isBlank()) {
                throw new ConfigException("(key)", "configuration key must not be blank");
            }
            overrides.put(key, value instanceof List<?> list ? List.copyOf(list) : value);
            return this;
        }

        /** {@code node.id}: the node's stable id; non-blank, at most 64 characters. */
        public Builder nodeId(String nodeId) {
            Objects.requireNonNull(nodeId, "nodeId");
            if (nodeId.isBlank() || nodeId.length() > 64) {
                throw new ConfigException("node.id", "\"" + nodeId + "\" must be 1 to 64 non-blank characters");
            }
            return set("node.id", nodeId);
        }

        /** {@code buckets.count}: a power of two from 1 to 65536. */
        public Builder bucketCount(int bucketCount) {
            if (bucketCount < 1 || bucketCount > 65536 || Integer.bitCount(bucketCount) != 1) {
                throw new ConfigException("buckets.count", bucketCount + " is not allowed; use a power of two from 1 to 65536");
            }
            return set("buckets.count", bucketCount);
        }

        /** {@code memory.maxBytes}: the cap on data held, at least 1 MiB. */
        public Builder maxMemoryBytes(long maxBytes) {
            if (maxBytes < 1L << 20) {
                throw new ConfigException("memory.maxBytes", maxBytes + " is too small; the minimum is 1048576 (1 MiB)");
            }
            return set("memory.maxBytes", maxBytes);
        }

        /** {@code eviction}: the short name of an eviction policy ({@code none} in core). */
        public Builder eviction(String policyName) {
            Objects.requireNonNull(policyName, "policyName");
            if (policyName.isBlank()) {
                throw new ConfigException("eviction", "policy name must not be blank");
            }
            return set("eviction", policyName);
        }

        /** {@code plugins}: short names of plugins to start, in order. */
        public Builder plugins(String... pluginNames) {
            for (String name : pluginNames) {
                if (name == null || name.isBlank()) {
                    throw new ConfigException("plugins", "plugin names must not be blank: " + List.of(pluginNames));
                }
            }
            return set("plugins", List.of(pluginNames));
        }

        public ShoalConfig build() {
            return new ShoalConfig(file, hocon, overrides);
        }
    }
}
