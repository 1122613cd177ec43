package io.shoal.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.shoal.ChangeType;
import io.shoal.spi.ChangeRecord;
import io.shoal.spi.Plugin;
import io.shoal.spi.PluginContext;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lifecycle contract of {@link Plugin}, run against one plugin.
 *
 * <p>To use it, extend it once per plugin and implement {@link #newPlugin()} (a new, unstarted
 * instance each call) and {@link #context()} (what {@code start} receives, typically a
 * {@link FakePluginContext} over {@link MapSettings} holding the plugin's settings; it may return
 * the same instance every call). The tests check that {@code start} and {@code stop} work, that a
 * stopped plugin leaves no thread of its own running, and that a new instance can start after the
 * previous one stopped (so ports, files and threads were released). With a
 * {@link FakePluginContext}, they also feed the running plugin changes of every type.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class PluginContractTest {

    /** How long the threads of a stopped plugin may take to end. */
    protected static final Duration THREADS_END_WITHIN = Duration.ofSeconds(10);

    /** A new, unstarted plugin. */
    protected abstract Plugin newPlugin();

    /** The context to start plugins with. */
    protected abstract PluginContext context();

    @Test
    void startsAndStops() {
        Plugin plugin = newPlugin();
        assertNotNull(plugin, "newPlugin()");
        PluginContext context = context();
        assertNotNull(context, "context()");
        plugin.start(context);
        plugin.stop();
    }

    @Test
    void stopEndsTheThreadsThatStartBegan() {
        Set<Thread> before = liveThreads();
        Plugin plugin = newPlugin();
        plugin.start(context());
        plugin.stop();
        awaitNoThreadsBeyond(before);
    }

    @Test
    void aNewInstanceStartsAfterThePreviousOneStopped() {
        Set<Thread> before = liveThreads();
        Plugin first = newPlugin();
        first.start(context());
        first.stop();
        Plugin second = newPlugin();
        assertNotSame(first, second, "newPlugin() must return a new instance");
        second.start(context());
        second.stop();
        awaitNoThreadsBeyond(before);
    }

    @Test
    void handlesChangesOfEveryTypeWhileRunning() {
        PluginContext context = context();
        assumeTrue(context instanceof FakePluginContext, "changes can only be fed through a FakePluginContext");
        FakePluginContext fake = (FakePluginContext) context;
        Plugin plugin = newPlugin();
        plugin.start(fake);
        try {
            long sequence = 0;
            for (ChangeType type : ChangeType.values()) {
                byte[] key = ("key-" + type).getBytes(StandardCharsets.UTF_8);
                byte[] value = type.isRemoval() ? null : ("value-" + type).getBytes(StandardCharsets.UTF_8);
                fake.publish(new ChangeRecord(type, "plugin-contract", 3, ++sequence, key, value,
                        System.currentTimeMillis(), 0));
            }
            fake.publishDropped(7);
        } finally {
            plugin.stop();
        }
        assertEquals(List.of(), fake.listenerFailures(), "the plugin's listeners threw");
    }

    /** The live threads of the JVM. */
    protected static Set<Thread> liveThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).collect(Collectors.toSet());
    }

    /**
     * Waits until every live thread but the shared common pool's was already alive in
     * {@code before}; polls on the test's thread so that waiting starts no thread itself.
     */
    protected static void awaitNoThreadsBeyond(Set<Thread> before) {
        await().alias("threads started by the plugin end after stop")
                .atMost(THREADS_END_WITHIN)
                .pollInSameThread()
                .pollInterval(Duration.ofMillis(20))
                .until(() -> newThreadNames(before), List::isEmpty);
    }

    private static List<String> newThreadNames(Set<Thread> before) {
        return liveThreads().stream()
                .filter(thread -> !before.contains(thread))
                .map(Thread::getName)
                .filter(name -> !name.startsWith("ForkJoinPool.commonPool-worker"))
                .sorted()
                .toList();
    }
}
