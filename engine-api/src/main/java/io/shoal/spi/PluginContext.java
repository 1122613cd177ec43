package io.shoal.spi;

import io.shoal.ShoalNode;
import io.shoal.Subscription;

/** What a running node offers its plugins. Thread-safe. */
public interface PluginContext {

    /** The node the plugin runs in; its maps may be read and written. */
    ShoalNode node();

    /** The node's resolved configuration. */
    Settings settings();

    /**
     * Registers a listener for every change of every map; see {@link ChangeRecordListener}. The
     * subscription ends when the node stops; a plugin may close it earlier.
     */
    Subscription addChangeListener(ChangeRecordListener listener);
}
