package io.shoal.plugins.eviction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.ConfigException;
import io.shoal.testing.MapSettings;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalNode;
import io.shoal.spi.EvictionPolicy;
import io.shoal.spi.EvictionPolicyProvider;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProvidersTest {
    private static final MapSettings DEFAULTS = MapSettings.of(LfuPolicyProvider.DECAY_MINUTES_KEY, 1, LfuPolicyProvider.LOG_FACTOR_KEY, 10);

    private static Map<String, EvictionPolicyProvider> loaded() {
        Map<String, EvictionPolicyProvider> byName = new TreeMap<>();
        for (EvictionPolicyProvider provider : ServiceLoader.load(EvictionPolicyProvider.class)) {
            if (provider.getClass().getPackageName().equals(ProvidersTest.class.getPackageName())) {
                assertEquals(null, byName.put(provider.name(), provider), "two providers named " + provider.name());
            }
        }
        return byName;
    }

    @Test
    void serviceLoaderFindsAllFourByName() {
        Map<String, EvictionPolicyProvider> byName = loaded();
        assertEquals(Set.of("lfu", "lru", "random", "ttl"), byName.keySet());
        for (EvictionPolicyProvider provider : byName.values()) {
            assertEquals(provider.name().toLowerCase(java.util.Locale.ROOT), provider.name());
            assertTrue(provider.description().startsWith(provider.name() + ": "), provider.description());
            EvictionPolicy policy = provider.create(DEFAULTS);
            assertNotNull(policy);
            assertTrue(policy.evicts());
        }
        assertInstanceOf(LruPolicy.class, byName.get("lru").create(DEFAULTS));
        assertInstanceOf(LfuPolicy.class, byName.get("lfu").create(DEFAULTS));
        assertInstanceOf(RandomPolicy.class, byName.get("random").create(DEFAULTS));
        assertInstanceOf(TtlPolicy.class, byName.get("ttl").create(DEFAULTS));
    }

    @Test
    void lfuReadsDecayMinutes() {
        LfuPolicyProvider provider = new LfuPolicyProvider();
        assertEquals(1, ((LfuPolicy) provider.create(DEFAULTS)).decayMinutes());
        assertEquals(0, ((LfuPolicy) provider.create(DEFAULTS.with("lfu.decayMinutes", 0))).decayMinutes());
        assertEquals(1_000_000,
                ((LfuPolicy) provider.create(DEFAULTS.with("lfu.decayMinutes", 1_000_000))).decayMinutes());
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, Integer.MIN_VALUE, 1_000_001})
    void lfuRejectsOutOfRangeDecayNamingTheKey(int decayMinutes) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> new LfuPolicyProvider().create(DEFAULTS.with("lfu.decayMinutes", decayMinutes)));
        assertEquals("lfu.decayMinutes", e.key());
        assertTrue(e.getMessage().contains("lfu.decayMinutes") && e.getMessage().contains(String.valueOf(decayMinutes)),
                e.getMessage());
    }

    @Test
    void referenceConfDocumentsTheDefault() throws IOException {
        try (InputStream in = LfuPolicyProvider.class.getResourceAsStream("/reference.conf")) {
            assertNotNull(in);
        }
        // Our reference.conf is the one with the lfu block (engine-core ships its own too).
        boolean found = false;
        var urls = ProvidersTest.class.getClassLoader().getResources("reference.conf");
        while (urls.hasMoreElements()) {
            try (InputStream in = urls.nextElement().openStream()) {
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                found |= text.matches("(?s).*lfu \\{.*decayMinutes = 1\\b.*");
            }
        }
        assertTrue(found, "no reference.conf with lfu { decayMinutes = 1 }");
    }

    @Test
    void aNodeStartsWithEveryPolicyAndTheDefaultDecay() {
        for (String name : new String[] {"lru", "lfu", "random", "ttl"}) {
            try (ShoalNode node = Shoal.start(ShoalConfig.builder().bucketCount(1).set("store.entriesPerBucket", 16)
                    .eviction(name).build())) {
                node.map("m", String.class, String.class).put("k", "v");
                assertEquals("v", node.map("m", String.class, String.class).get("k"));
            }
        }
    }

    @Test
    void aNodeRefusesANegativeDecayNamingTheKey() {
        ConfigException e = assertThrows(ConfigException.class, () -> {
            try (ShoalNode node = Shoal.start(ShoalConfig.builder().bucketCount(1).eviction("lfu")
                    .set("lfu.decayMinutes", "-1").build())) {
                assertFalse(node.isClosed(), "started despite lfu.decayMinutes = -1");
            }
        });
        assertEquals("lfu.decayMinutes", e.key(), e.getMessage());
        assertTrue(e.getMessage().contains("lfu.decayMinutes"), e.getMessage());
    }

    @Test
    void aNodeRefusesANonNumericDecayNamingTheKey() {
        ConfigException e = assertThrows(ConfigException.class, () -> {
            try (ShoalNode node = Shoal.start(ShoalConfig.builder().bucketCount(1).eviction("lfu")
                    .set("lfu.decayMinutes", "often").build())) {
                assertFalse(node.isClosed());
            }
        });
        assertTrue(e.getMessage().contains("lfu.decayMinutes"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 1_000_001})
    void lfuRejectsOutOfRangeLogFactorNamingTheKey(int logFactor) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> new LfuPolicyProvider().create(DEFAULTS.with("lfu.logFactor", logFactor)));
        assertEquals("lfu.logFactor", e.key());
        assertTrue(e.getMessage().contains(String.valueOf(logFactor)), e.getMessage());
    }
}
