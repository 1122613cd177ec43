package io.shoal.client;

import com.google.common.collect.testing.ConcurrentMapTestSuiteBuilder;
import com.google.common.collect.testing.TestStringMapGenerator;
import com.google.common.collect.testing.features.CollectionFeature;
import com.google.common.collect.testing.features.CollectionSize;
import com.google.common.collect.testing.features.MapFeature;
import io.shoal.Shoal;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import junit.extensions.TestSetup;
import junit.framework.Test;
import junit.framework.TestSuite;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Guava testlib's {@link ConcurrentMap} conformance suite against {@code asMap()} of a client's map
 * (String to String), over TCP: once to a {@link FakeNode} and once to a real node, both with 16
 * buckets. It covers the check-and-set loops behind {@code put}/{@code remove} and iteration by SCAN
 * pages over every bucket. Each generated map is a fresh map name. Run by the JUnit vintage engine.
 */
public class RemoteAsMapSuiteTest {
    private static final AtomicLong MAP_COUNTER = new AtomicLong();

    /** A server and a client to it, started on first use, closed by the suite's tear-down. */
    private static final class Backend {
        final String name;
        private final Supplier<AutoCloseable> server;
        private final java.util.function.Function<AutoCloseable, String> address;
        private AutoCloseable started;
        private ShoalClient client;

        Backend(String name, Supplier<AutoCloseable> server, java.util.function.Function<AutoCloseable, String> address) {
            this.name = name;
            this.server = server;
            this.address = address;
        }

        synchronized ShoalClient client() {
            if (client == null) {
                started = server.get();
                client = ShoalClient.connect(ClientConfig.builder().nodes(address.apply(started)).build());
            }
            return client;
        }

        synchronized void close() throws Exception {
            if (client != null) {
                client.close();
                started.close();
                client = null;
            }
        }
    }

    public static Test suite() {
        List<Backend> backends = List.of(
                new Backend("fake node", () -> FakeNode.start("suite", 16), s -> ((FakeNode) s).address()),
                new Backend("real node", () -> Shoal.start(EndToEndTest.nodeConfig().build()),
                        s -> ((ShoalNode) s).serverAddress().orElseThrow()));
        TestSuite all = new TestSuite("remote asMap conformance");
        for (Backend backend : backends) {
            all.addTest(ConcurrentMapTestSuiteBuilder
                    .using(new TestStringMapGenerator() {
                        @Override
                        protected Map<String, String> create(Map.Entry<String, String>[] entries) {
                            ShoalMap<String, String> map = backend.client().map("suite-" + MAP_COUNTER.incrementAndGet(),
                                    String.class, String.class);
                            ConcurrentMap<String, String> view = map.asMap();
                            for (Map.Entry<String, String> entry : entries) {
                                view.put(entry.getKey(), entry.getValue());
                            }
                            return view;
                        }
                    })
                    .named("remote asMap, " + backend.name)
                    .withFeatures(MapFeature.GENERAL_PURPOSE, CollectionSize.ANY,
                            CollectionFeature.SUPPORTS_ITERATOR_REMOVE)
                    .createTestSuite());
        }
        return new TestSetup(all) {
            @Override
            protected void tearDown() throws Exception {
                for (Backend backend : backends) {
                    backend.close();
                }
            }
        };
    }
}
