/**
 * The Java client: {@link io.shoal.client.ShoalClient} reaches Shoal nodes over the wire protocol
 * ({@code docs/protocol.md}, version 1) and gives the same {@link io.shoal.ShoalMap}s as an
 * in-process node. Configure it with {@link io.shoal.client.ClientConfig}; it needs a transport on
 * the class path ({@code io.shoal:transport-tcp} for the default {@code tcp}).
 *
 * <p>What differs from an in-process map, because a network is in between:
 * <ul>
 *   <li>A call can fail with {@link io.shoal.client.RequestTimeoutException} or
 *       {@link io.shoal.client.ConnectionLostException}; after either, a write's outcome is
 *       unknown. Reads can be retried on the next connection ({@link io.shoal.client.RetryPolicy}).</li>
 *   <li>{@code *Async} methods send at once and complete on an I/O thread when the reply arrives,
 *       so many requests are in flight together.</li>
 *   <li>A listener may be told {@link io.shoal.ChangeListener#onEventsMissed()} after a reconnect.</li>
 *   <li>{@link io.shoal.MemoryLimitExceededException}'s byte counts are {@code -1}: the protocol's
 *       error reply carries only a message.</li>
 *   <li>{@code asMap().put} and {@code asMap().remove}, which return the previous value, take two
 *       round trips (a check-and-set loop), where a node does them in one step.</li>
 *   <li>{@code size()} counts the entries of the connected node.</li>
 * </ul>
 *
 * <p>With {@link io.shoal.client.ClientConfig.Builder#smartRouting(boolean) smart routing} the
 * client also keeps the cluster's partition table and sends each keyed request straight to the
 * key's primary ({@code SmartRouter}, {@code RoutingTable}); without it, the connected node forwards.
 *
 * <p>Public types: {@link io.shoal.client.ShoalClient}, {@link io.shoal.client.ClientConfig},
 * {@link io.shoal.client.RetryPolicy} and the two exceptions. Everything else is package-private.
 */
package io.shoal.client;
