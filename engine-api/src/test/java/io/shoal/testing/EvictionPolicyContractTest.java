package io.shoal.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.shoal.spi.EntryMetadata;
import io.shoal.spi.EvictionPolicy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@link EvictionPolicy}, run against one policy.
 *
 * <p>To use it, extend it once per policy and implement {@link #policy()}. Override
 * {@link #deterministic()} to return {@code false} for a policy whose score depends on anything but
 * its arguments (a random policy), and {@link #edgeCases()} to add metadata the policy is sensitive
 * to. A policy that does not evict ({@link EvictionPolicy#evicts()} is {@code false}) only has to
 * say what it tracks; the score tests are skipped for it. {@link TestEntryMetadata} builds metadata
 * for a subclass's own tests of the policy's ranking.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class EvictionPolicyContractTest {

    /** A fixed "now" for the tests: 2023-11-14T22:13:20Z. */
    protected static final long NOW_MS = 1_700_000_000_000L;
    private static final long DAY_MS = 86_400_000L;
    private static final long[] NOWS = {NOW_MS, NOW_MS + 365 * DAY_MS};

    /** The policy under test; a new or a shared instance. */
    protected abstract EvictionPolicy policy();

    /** Whether {@code score} depends only on its arguments; {@code false} for randomized policies. */
    protected boolean deterministic() {
        return true;
    }

    /** Metadata at the edges of every field; the policy must score all of them without throwing. */
    protected List<EntryMetadata> edgeCases() {
        long nowSeconds = NOW_MS / 1000;
        return List.of(
                new TestEntryMetadata(),
                TestEntryMetadata.written(NOW_MS, 100),
                TestEntryMetadata.written(NOW_MS - DAY_MS, 100).expiresAtMs(Long.MAX_VALUE),
                TestEntryMetadata.written(NOW_MS - DAY_MS, 100).expiresAtMs(NOW_MS - 1),
                TestEntryMetadata.written(NOW_MS - DAY_MS, 100).expiresAtMs(NOW_MS),
                TestEntryMetadata.written(NOW_MS - DAY_MS, 100).expiresAtMs(1),
                TestEntryMetadata.written(NOW_MS + DAY_MS, 100).lastAccessSeconds(nowSeconds + 86_400),
                TestEntryMetadata.written(NOW_MS, 100).lastAccessSeconds(0),
                TestEntryMetadata.written(NOW_MS, 100).lastAccessSeconds(Long.MAX_VALUE / 1000),
                TestEntryMetadata.written(NOW_MS, 100).frequency(0),
                TestEntryMetadata.written(NOW_MS, 100).frequency(255),
                TestEntryMetadata.written(NOW_MS, 0),
                TestEntryMetadata.written(NOW_MS, Integer.MAX_VALUE),
                TestEntryMetadata.written(Long.MAX_VALUE, 1).version(Long.MAX_VALUE).expiresAtMs(Long.MAX_VALUE),
                new TestEntryMetadata().version(Long.MAX_VALUE).timestampMs(Long.MAX_VALUE).expiresAtMs(Long.MAX_VALUE)
                        .lastAccessSeconds(Long.MAX_VALUE).frequency(255).sizeBytes(Integer.MAX_VALUE));
    }

    @Test
    void accessTrackingIsNeverNull() {
        EvictionPolicy policy = policy();
        assertNotNull(policy, "policy()");
        assertNotNull(policy.accessTracking(), "accessTracking()");
        assertEquals(policy.accessTracking(), policy.accessTracking(), "accessTracking() must not change");
    }

    @Test
    void scoreNeverThrowsForEdgeMetadata() {
        EvictionPolicy policy = evictingPolicy();
        for (EntryMetadata entry : edgeCases()) {
            for (long now : NOWS) {
                try {
                    policy.score(entry, now);
                } catch (RuntimeException e) {
                    throw new AssertionError("score(" + entry + ", " + now + ") threw " + e, e);
                }
            }
        }
    }

    @Test
    void scoreIsThreadSafe() throws Exception {
        int threads = 8;
        int callsPerThread = 10_000;
        EvictionPolicy policy = evictingPolicy();
        List<EntryMetadata> shared = edgeCases();
        long[] expected = new long[shared.size()];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = policy.score(shared.get(i), NOW_MS);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                boolean ownMetadata = t % 2 == 1;
                results.add(pool.submit(() -> {
                    List<EntryMetadata> entries = ownMetadata ? copies(shared) : shared;
                    start.await();
                    List<String> problems = new ArrayList<>();
                    for (int call = 0; call < callsPerThread && problems.size() < 10; call++) {
                        int i = call % entries.size();
                        try {
                            long score = policy.score(entries.get(i), NOW_MS);
                            if (deterministic() && score != expected[i]) {
                                problems.add("score of " + entries.get(i) + " was " + score + ", alone " + expected[i]);
                            }
                        } catch (RuntimeException e) {
                            problems.add("score of " + entries.get(i) + " threw " + e);
                        }
                    }
                    return problems;
                }));
            }
            start.countDown();
            for (Future<List<String>> result : results) {
                List<String> problems = result.get(30, TimeUnit.SECONDS);
                assertTrue(problems.isEmpty(), problems.toString());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void deterministicScoreDependsOnlyOnItsArguments() {
        assumeTrue(deterministic(), "the policy declares itself non-deterministic");
        EvictionPolicy policy = evictingPolicy();
        for (EntryMetadata entry : edgeCases()) {
            for (long now : NOWS) {
                long first = policy.score(entry, now);
                assertEquals(first, policy.score(entry, now), "second score of " + entry + " at " + now);
                assertEquals(first, policy.score(TestEntryMetadata.copyOf(entry), now), "score of a copy of " + entry);
            }
        }
    }

    private EvictionPolicy evictingPolicy() {
        EvictionPolicy policy = policy();
        assertNotNull(policy, "policy()");
        assumeTrue(policy.evicts(), "the policy does not evict; score is never called");
        return policy;
    }

    private static List<EntryMetadata> copies(List<EntryMetadata> entries) {
        List<EntryMetadata> copies = new ArrayList<>(entries.size());
        for (EntryMetadata entry : entries) {
            copies.add(TestEntryMetadata.copyOf(entry));
        }
        return copies;
    }
}
