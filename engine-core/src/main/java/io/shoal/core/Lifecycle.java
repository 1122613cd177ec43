package io.shoal.core;

import io.shoal.ShoalException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Starts components in order and stops them in reverse; nothing is opened while Guice wires the
 * node. If a component fails to start, the ones already started are stopped and the failure is
 * rethrown. Not thread-safe: the node calls it from the starting and the closing thread only.
 */
final class Lifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);

    /** Something with resources or threads. */
    interface Component {
        void start();

        void stop();
    }

    private final Deque<Component> started = new ArrayDeque<>();

    void start(List<Component> components) {
        for (Component component : components) {
            try {
                component.start();
                started.push(component);
            } catch (RuntimeException | Error e) {
                stop();
                throw e instanceof ShoalException se ? se
                        : new ShoalException("failed to start " + component.getClass().getSimpleName() + ": " + e, e);
            }
        }
    }

    /** Same as {@link #start(List)} for one more component (plugins are started after the engine). */
    void start(Component component) {
        start(List.of(component));
    }

    void stop() {
        while (!started.isEmpty()) {
            Component component = started.pop();
            try {
                component.stop();
            } catch (RuntimeException e) {
                LOG.warn("failed to stop {}; shutdown goes on", component.getClass().getSimpleName(), e);
            }
        }
    }
}
