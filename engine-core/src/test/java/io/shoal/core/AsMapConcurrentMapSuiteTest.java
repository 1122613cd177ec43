package io.shoal.core;

import com.google.common.collect.testing.ConcurrentMapTestSuiteBuilder;
import com.google.common.collect.testing.TestStringMapGenerator;
import com.google.common.collect.testing.features.CollectionFeature;
import com.google.common.collect.testing.features.CollectionSize;
import com.google.common.collect.testing.features.MapFeature;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import junit.extensions.TestSetup;
import junit.framework.Test;
import junit.framework.TestSuite;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Guava testlib's {@link ConcurrentMap} conformance suite against {@code ShoalMap.asMap()}
 * (String to String), run by the JUnit vintage engine.
 *
 * <p>The suite is expanded over three layouts, because the view's iterator walks bucket by bucket
 * and filters the entries of its own map out of stores shared by every map:
 * <ul>
 *   <li>{@code 16 buckets}: entries spread over many buckets, most of them empty;</li>
 *   <li>{@code 1 bucket}: every entry of every map in one store;</li>
 *   <li>{@code 16 buckets, busy neighbour}: another map holds the same keys (with other values) and
 *       a few more, so size, iteration, equality and clear must see only their own map.</li>
 * </ul>
 *
 * <p>Each layout has one node, started on its first {@code create} and closed by the suite's
 * {@link TestSetup#tearDown()} (or by a shutdown hook if the run is cut short). Every generated
 * map is a fresh map name, so it starts empty and tests are independent; after each test the maps
 * it created are cleared through the engine, so later tests do not iterate over old data.
 * Iteration order is unspecified: no {@code KNOWN_ORDER}. Nulls are rejected with
 * {@link NullPointerException}: no {@code ALLOWS_NULL_*}.
 */
public class AsMapConcurrentMapSuiteTest {
    private static final AtomicLong MAP_COUNTER = new AtomicLong();

    /** One node configuration, its node started lazily. */
    private static final class Layout {
        final String name;
        final int bucketCount;
        final boolean busyNeighbour;
        private ShoalNode node;
        private Thread closeOnExit;
        private final List<ShoalMap<String, String>> createdByCurrentTest = new ArrayList<>();

        Layout(String name, int bucketCount, boolean busyNeighbour) {
            this.name = name;
            this.bucketCount = bucketCount;
            this.busyNeighbour = busyNeighbour;
        }

        synchronized ConcurrentMap<String, String> create(Map.Entry<String, String>[] entries) {
            String mapName = "suite-" + MAP_COUNTER.incrementAndGet();
            ShoalMap<String, String> map = node().map(mapName, String.class, String.class);
            createdByCurrentTest.add(map);
            if (busyNeighbour) {
                ShoalMap<String, String> neighbour = node().map(mapName + "-neighbour", String.class, String.class);
                createdByCurrentTest.add(neighbour);
                for (Map.Entry<String, String> entry : entries) {
                    neighbour.put(entry.getKey(), "neighbour of " + entry.getValue());
                }
                for (int i = 0; i < 5; i++) {
                    neighbour.put("only in the neighbour " + i, "x" + i);
                }
            }
            ConcurrentMap<String, String> view = map.asMap();
            if (map.size() != 0 || !view.isEmpty()) {
                throw new AssertionError("fresh map " + mapName + " is not empty: " + view);
            }
            for (Map.Entry<String, String> entry : entries) {
                view.put(entry.getKey(), entry.getValue());
            }
            return view;
        }

        /** After each test: drop the data of the maps it created (through the engine, not the view). */
        synchronized void afterTest() {
            for (ShoalMap<String, String> map : createdByCurrentTest) {
                if (node != null && !node.isClosed()) {
                    for (String key : new ArrayList<>(map.asMap().keySet())) {
                        map.remove(key);
                    }
                }
            }
            createdByCurrentTest.clear();
        }

        private ShoalNode node() {
            if (node == null) {
                ShoalNode started = Shoal.start(ShoalConfig.builder()
                        .bucketCount(bucketCount)
                        .set("memory.maxBytes", "256m")
                        .set("store.entriesPerBucket", 256)
                        .build());
                closeOnExit = new Thread(started::close, "suite-node-closer");
                Runtime.getRuntime().addShutdownHook(closeOnExit);
                node = started;
            }
            return node;
        }

        synchronized void close() {
            if (node != null) {
                node.close();
                node = null;
                try {
                    Runtime.getRuntime().removeShutdownHook(closeOnExit);
                } catch (IllegalStateException e) {
                    // the JVM is already exiting: the hook runs (and finds the node closed)
                }
            }
        }
    }

    public static Test suite() {
        List<Layout> layouts = List.of(
                new Layout("16 buckets", 16, false),
                new Layout("1 bucket", 1, false),
                new Layout("16 buckets, busy neighbour", 16, true));
        TestSuite all = new TestSuite("ShoalMap.asMap conformance");
        for (Layout layout : layouts) {
            all.addTest(ConcurrentMapTestSuiteBuilder
                    .using(new TestStringMapGenerator() {
                        @Override
                        protected Map<String, String> create(Map.Entry<String, String>[] entries) {
                            return layout.create(entries);
                        }
                    })
                    .named("asMap, " + layout.name)
                    .withFeatures(
                            MapFeature.GENERAL_PURPOSE,
                            CollectionSize.ANY,
                            CollectionFeature.SUPPORTS_ITERATOR_REMOVE)
                    .withTearDown(layout::afterTest)
                    .createTestSuite());
        }
        return new TestSetup(all) {
            @Override
            protected void tearDown() {
                layouts.forEach(Layout::close);
            }
        };
    }
}
