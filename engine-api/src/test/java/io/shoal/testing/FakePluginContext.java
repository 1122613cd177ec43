package io.shoal.testing;

import io.shoal.ShoalNode;
import io.shoal.Subscription;
import io.shoal.spi.ChangeRecord;
import io.shoal.spi.ChangeRecordListener;
import io.shoal.spi.PluginContext;
import io.shoal.spi.Settings;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link PluginContext} for plugin tests: a given node (possibly {@code null} for plugins that do
 * not touch maps) and settings, and change listeners that the test drives itself with
 * {@link #publish} and {@link #publishDropped}, synchronously on the calling thread (the real node
 * calls them on its event thread). As on a node, a listener's exception does not stop delivery; it
 * is kept in {@link #listenerFailures()} for the test to check. Thread-safe.
 */
public final class FakePluginContext implements PluginContext {
    private final ShoalNode node;
    private final Settings settings;
    private final List<Registration> registrations = new CopyOnWriteArrayList<>();
    private final List<Throwable> listenerFailures = new CopyOnWriteArrayList<>();

    public FakePluginContext(ShoalNode node, Settings settings) {
        this.node = node;
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** The node given to the constructor; {@code null} if none was. */
    @Override
    public ShoalNode node() {
        return node;
    }

    @Override
    public Settings settings() {
        return settings;
    }

    @Override
    public Subscription addChangeListener(ChangeRecordListener listener) {
        Registration registration = new Registration(Objects.requireNonNull(listener, "listener"));
        registrations.add(registration);
        return registration;
    }

    /** Hands {@code record} to every registered listener, in registration order, on this thread. */
    public void publish(ChangeRecord record) {
        Objects.requireNonNull(record, "record");
        for (Registration registration : registrations) {
            try {
                registration.listener.onChange(record);
            } catch (RuntimeException e) {
                listenerFailures.add(e);
            }
        }
    }

    /** Tells every registered listener that {@code count} changes were dropped. */
    public void publishDropped(long count) {
        for (Registration registration : registrations) {
            try {
                registration.listener.onEventsDropped(count);
            } catch (RuntimeException e) {
                listenerFailures.add(e);
            }
        }
    }

    /** Listeners registered and not yet unsubscribed. */
    public int listenerCount() {
        return registrations.size();
    }

    /** Exceptions thrown by listeners so far. */
    public List<Throwable> listenerFailures() {
        return List.copyOf(listenerFailures);
    }

    private final class Registration implements Subscription {
        private final ChangeRecordListener listener;

        Registration(ChangeRecordListener listener) {
            this.listener = listener;
        }

        @Override
        public void close() {
            registrations.remove(this);
        }
    }
}
