package io.shoal.core;

import com.google.common.collect.testing.ConcurrentMapTestSuiteBuilder;
import com.google.common.collect.testing.TestStringMapGenerator;
import com.google.common.collect.testing.features.CollectionFeature;
import com.google.common.collect.testing.features.CollectionSize;
import com.google.common.collect.testing.features.MapFeature;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalNode;
import junit.extensions.TestSetup;
import junit.framework.Test;
import junit.framework.TestSuite;

import java.util.Map;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Guava testlib's {@link java.util.concurrent.ConcurrentMap} conformance suite (thousands of
 * generated tests, run by the JUnit vintage engine) against {@code ShoalMap.asMap()}.
 *
 * <p>One node serves the whole suite: it is started on the first {@code create} and closed by the
 * suite's {@link TestSetup#tearDown()} (and, should the suite be cut short, by a shutdown hook).
 * Every generated map is a fresh, empty map name, so tests are independent of each other.
 */
public class AsMapConcurrentMapSuiteTest {
    private static final AtomicLong MAP_COUNTER = new AtomicLong();
    private static ShoalNode node;

    private static synchronized ShoalNode node() {
        if (node == null || node.isClosed()) {
            ShoalNode started = Shoal.start(ShoalConfig.builder()
                    .bucketCount(16)
                    .set("memory.maxBytes", "256m")
                    .set("store.entriesPerBucket", 64)
                    .build());
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "shoal-suite-node-closer"));
            node = started;
        }
        return node;
    }

    private static synchronized void closeNode() {
        if (node != null) {
            node.close();
            node = null;
        }
    }

    public static Test suite() {
        TestSuite generated = ConcurrentMapTestSuiteBuilder
                .using(new TestStringMapGenerator() {
                    @Override
                    protected Map<String, String> create(Map.Entry<String, String>[] entries) {
                        ConcurrentMap<String, String> map = node()
                                .map("suite-" + MAP_COUNTER.incrementAndGet(), String.class, String.class)
                                .asMap();
                        if (!map.isEmpty()) {
                            throw new AssertionError("a fresh map is not empty: " + map);
                        }
                        for (Map.Entry<String, String> entry : entries) {
                            map.put(entry.getKey(), entry.getValue());
                        }
                        return map;
                    }
                })
                .named("ShoalMap.asMap")
                .withFeatures(
                        MapFeature.GENERAL_PURPOSE,
                        CollectionSize.ANY,
                        CollectionFeature.SUPPORTS_ITERATOR_REMOVE)
                .createTestSuite();
        return new TestSetup(generated) {
            @Override
            protected void tearDown() {
                closeNode();
            }
        };
    }
}
