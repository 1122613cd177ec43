package io.shoal.spi;

/** Provides an {@link EvictionPolicy} under a short name ({@code eviction = <name>}). */
public interface EvictionPolicyProvider extends NamedProvider<EvictionPolicy> {
}
