package io.shoal;

/**
 * Receives the changes of a map, a key or a key prefix (see {@link ShoalMap#addListener}).
 * Methods have no-op defaults, so callbacks added later do not break existing listeners.
 *
 * <p><b>Threading.</b> Listeners run on the node's event thread ({@code shoal-events}), never on
 * the thread that wrote, and a writer never waits for them. Events of one key arrive in the order
 * the changes were applied. All listeners of a node share the event thread, so a listener should
 * return quickly and hand long work elsewhere.
 *
 * <p><b>Errors.</b> An exception thrown by a listener is logged and does not stop delivery to it
 * or to other listeners.
 *
 * <p><b>Back-pressure.</b> Events wait in a bounded queue ({@code events.queueCapacity}). When it is
 * full, the writer does not block: the event is dropped, and every listener of that map is told
 * how many it missed through {@link #onEventsDropped(long)} before its next event.
 *
 * @param <K> key type
 * @param <V> value type
 */
public abstract class ChangeListener<K, V> {

    /** One change, in per-key order. Default: nothing. */
    public void onChange(ChangeEvent<K, V> event) {
    }

    /**
     * {@code count} events of the map this listener watches were dropped because the event queue
     * was full; the listener's view may be stale until it re-reads. Default: nothing.
     */
    public void onEventsDropped(long count) {
    }

    /**
     * An unknown number of events (possibly none) may have been missed, and the listener's view may
     * be stale until it re-reads. A remote client ({@code io.shoal.client.ShoalClient}) calls this
     * after it lost its connection and subscribed again, on the same node or another one: it cannot
     * know what changed in between. Called on the thread that delivers the listener's events,
     * before the first event that follows the gap. In-process listeners never get it. Default:
     * nothing.
     */
    public void onEventsMissed() {
    }
}
