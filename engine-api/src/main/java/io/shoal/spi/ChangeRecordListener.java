package io.shoal.spi;

/**
 * Receives every change of every map in raw form; for plugins (see {@link PluginContext}).
 * No-op defaults, so callbacks added later do not break plugins.
 *
 * <p><b>Threading.</b> Runs on the node's event thread, never on a writer's thread; changes of one
 * bucket arrive in sequence order. Must return quickly; must not block. An exception is logged and
 * delivery goes on.
 */
public abstract class ChangeRecordListener {

    public void onChange(ChangeRecord record) {
    }

    /** {@code count} changes were dropped because the event queue was full. */
    public void onEventsDropped(long count) {
    }
}
