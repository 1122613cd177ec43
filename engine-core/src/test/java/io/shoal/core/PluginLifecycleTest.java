package io.shoal.core;

import io.shoal.ChangeType;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalException;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import io.shoal.spi.Plugin;
import io.shoal.spi.PluginContext;
import io.shoal.testing.FakePluginContext;
import io.shoal.testing.MapSettings;
import io.shoal.testing.PluginContractTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PluginLifecycleTest extends PluginContractTest {

    @Override
    protected Plugin newPlugin() {
        return new RecordingPlugin.ProviderA().create(MapSettings.of());
    }

    @Override
    protected PluginContext context() {
        return new FakePluginContext(null, MapSettings.of());
    }

    @BeforeEach
    void clearLog() {
        RecordingPlugin.LIFECYCLE.clear();
        RecordingPlugin.STARTED.clear();
    }

    @Test
    void pluginsStartInOrderAfterTheEngineAndStopInReverse() {
        try (ShoalNode node = Shoal.start(ShoalConfig.builder().bucketCount(4).plugins("recording-a", "recording-b").build())) {
            assertEquals(List.of("start recording-a", "start recording-b"), RecordingPlugin.LIFECYCLE);
            ShoalMap<String, String> map = node.map("m", String.class, String.class);
            map.put("k", "v");
            map.remove("k");
            RecordingPlugin a = RecordingPlugin.STARTED.get(0);
            await().atMost(Duration.ofSeconds(5)).until(() -> a.changes.size() == 2);
            assertEquals(ChangeType.CREATED, a.changes.get(0).type());
            assertEquals("m", a.changes.get(0).mapName());
            assertEquals("v", new String(a.changes.get(0).value()));
            assertEquals(ChangeType.REMOVED, a.changes.get(1).type());
            assertTrue(a.changes.get(1).sequence() > a.changes.get(0).sequence());
        }
        assertEquals(List.of("start recording-a", "start recording-b", "stop recording-b", "stop recording-a"),
                RecordingPlugin.LIFECYCLE);
    }

    @Test
    void aPluginThatFailsToStartStopsTheNodeStartAndWhatAlreadyStarted() {
        java.util.Set<Thread> before = shoalThreads();
        ShoalException e = assertThrows(ShoalException.class, () -> Shoal.start(ShoalConfig.builder().bucketCount(4)
                .plugins("recording-a", "recording-failing").build()));
        assertTrue(e.getMessage().contains("refuses to start"), e.getMessage());
        assertEquals(List.of("start recording-a", "start recording-failing", "stop recording-a"), RecordingPlugin.LIFECYCLE);
        await().alias("the failed node's threads end").atMost(Duration.ofSeconds(5))
                .until(() -> before.containsAll(shoalThreads()));
    }

    /** Live threads of Shoal's, by name; other tests' nodes may still be running. */
    private static java.util.Set<Thread> shoalThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("shoal-"))
                .collect(java.util.stream.Collectors.toSet());
    }
}
