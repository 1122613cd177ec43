package io.shoal;

/**
 * A configuration value is missing, malformed or not one of the allowed values. Thrown by
 * {@link Shoal#start(ShoalConfig)} before anything is opened, and by the typed setters of
 * {@link ShoalConfig.Builder} at once.
 *
 * <p>The message names the key, the value given and what is allowed, for example
 * {@code eviction = "lur" is not a known eviction policy; known: [lfu, lru, none, random, ttl]}.
 */
public class ConfigException extends ShoalException {
    private static final long serialVersionUID = 1L;
    private final String key;

    public ConfigException(String key, String message) {
        super(key + ": " + message);
        this.key = key;
    }

    public ConfigException(String key, String message, Throwable cause) {
        super(key + ": " + message, cause);
        this.key = key;
    }

    /** The configuration key at fault, for example {@code memory.maxBytes}. */
    public String key() {
        return key;
    }
}
