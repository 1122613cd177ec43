/**
 * The service-provider interface: what transports, persistence backends, eviction policies,
 * codecs and plugins implement. Implementations are found with {@link java.util.ServiceLoader}
 * through the {@code *Provider} interfaces and selected by short name in the configuration.
 * Every type states which thread calls it, whether it may block, and how it reports errors.
 * Contract tests for each kind are in this module's test-jar.
 */
package io.shoal.spi;
