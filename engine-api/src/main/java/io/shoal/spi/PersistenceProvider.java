package io.shoal.spi;

/** Provides a {@link PersistenceBackend} under a short name ({@code persistence = <name>}). */
public interface PersistenceProvider extends NamedProvider<PersistenceBackend> {
}
