package io.shoal.spi;

/** Provides a {@link Plugin} under a short name ({@code plugins = [<name>]}). */
public interface PluginProvider extends NamedProvider<Plugin> {
}
