package io.shoal.spi;

/** Provides a {@link Transport} under a short name ({@code transport = <name>}). */
public interface TransportProvider extends NamedProvider<Transport> {
}
