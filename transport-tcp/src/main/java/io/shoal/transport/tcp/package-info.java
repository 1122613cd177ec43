/**
 * {@code transport = tcp}: length-prefixed frames over TCP with Netty, optionally inside TLS, with
 * a limit on each server's open connections. Wire framing and settings: the module's README.
 *
 * <p>The implementation is package-private; only the provider, listed in
 * {@code META-INF/services/io.shoal.spi.TransportProvider}, is public.
 */
package io.shoal.transport.tcp;
