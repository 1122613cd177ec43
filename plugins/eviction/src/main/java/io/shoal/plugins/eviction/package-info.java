/**
 * Sampled eviction policies in the style of Redis' approximated {@code maxmemory-policy}:
 * {@code lru}, {@code lfu}, {@code random} and {@code ttl}. Select one with {@code eviction = <name>}
 * and this module on the classpath; the engine samples {@code memory.evictionSampleSize} entries per
 * round and evicts the one with the highest {@link io.shoal.spi.EvictionPolicy#score score}.
 *
 * <p>The policies are package-private; only their providers, listed in
 * {@code META-INF/services/io.shoal.spi.EvictionPolicyProvider}, are public.
 */
package io.shoal.plugins.eviction;
