package io.shoal.core;

import io.shoal.Subscription;
import io.shoal.spi.ChangeRecord;
import io.shoal.spi.ChangeRecordListener;
import io.shoal.spi.Plugin;
import io.shoal.spi.PluginContext;
import io.shoal.spi.PluginProvider;
import io.shoal.spi.Settings;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A test plugin: records its lifecycle calls (in a log shared by all instances, to check order)
 * and every change it is told of. {@code recording-failing} fails to start.
 */
public final class RecordingPlugin implements Plugin {
    static final List<String> LIFECYCLE = new CopyOnWriteArrayList<>();

    final String name;
    final List<ChangeRecord> changes = new CopyOnWriteArrayList<>();
    static final List<RecordingPlugin> STARTED = new CopyOnWriteArrayList<>();
    private Subscription subscription;

    RecordingPlugin(String name) {
        this.name = name;
    }

    @Override
    public void start(PluginContext context) {
        LIFECYCLE.add("start " + name);
        if (name.endsWith("failing")) {
            throw new IllegalStateException("plugin " + name + " refuses to start");
        }
        subscription = context.addChangeListener(new ChangeRecordListener() {
            @Override
            public void onChange(ChangeRecord record) {
                changes.add(record);
            }
        });
        STARTED.add(this);
    }

    @Override
    public void stop() {
        LIFECYCLE.add("stop " + name);
        if (subscription != null) {
            subscription.close();
        }
    }

    /** {@code recording-a}. */
    public static final class ProviderA implements PluginProvider {
        @Override
        public String name() {
            return "recording-a";
        }

        @Override
        public Plugin create(Settings settings) {
            return new RecordingPlugin(name());
        }
    }

    /** {@code recording-b}. */
    public static final class ProviderB implements PluginProvider {
        @Override
        public String name() {
            return "recording-b";
        }

        @Override
        public Plugin create(Settings settings) {
            return new RecordingPlugin(name());
        }
    }

    /** {@code recording-failing}: start throws. */
    public static final class FailingProvider implements PluginProvider {
        @Override
        public String name() {
            return "recording-failing";
        }

        @Override
        public Plugin create(Settings settings) {
            return new RecordingPlugin(name());
        }
    }
}
