package io.shoal.core;

import io.shoal.ChangeEvent;
import io.shoal.ChangeListener;
import io.shoal.ChangeType;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalEntry;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Many threads on the same few keys: versions, check-and-set, putIfAbsent, versioned removal, a
 * modelled random workload and listener ordering. Every worker loop is bounded by a count and by a
 * shared deadline; running past the deadline fails the test rather than passing with less work.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConcurrencyTest {
    private static final int THREADS = 8;
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private ShoalNode node;

    @BeforeEach
    void start() {
        node = Shoal.start(ShoalConfig.builder()
                .bucketCount(16)
                .set("memory.maxBytes", "256m")
                .set("events.queueCapacity", 1 << 17)
                .build());
    }

    @AfterEach
    void stop() {
        node.close();
    }

    // ---- (a) versions ----

    @Test
    void versionsAreDistinctPerKeyIncreasePerThreadAndTheLastWriteWins() throws Exception {
        ShoalMap<String, String> map = node.map("versions", String.class, String.class);
        String[] keys = {"a", "b", "c"};
        int opsPerThread = 20_000;
        record Write(long version, String value) {
        }
        // results.get(thread).get(key) = that thread's writes of the key, in program order
        List<List<List<Write>>> results = runConcurrently(THREADS, (id, deadline) -> {
            List<List<Write>> perKey = new ArrayList<>();
            for (int k = 0; k < keys.length; k++) {
                perKey.add(new ArrayList<>());
            }
            for (int i = 0; i < opsPerThread; i++) {
                checkDeadline(deadline, i);
                int k = (i + id) % keys.length;
                String value = "t" + id + "-" + i;
                perKey.get(k).add(new Write(map.put(keys[k], value), value));
            }
            return perKey;
        });
        int total = 0;
        for (int k = 0; k < keys.length; k++) {
            Set<Long> all = new HashSet<>();
            Write last = null;
            for (int t = 0; t < THREADS; t++) {
                long previous = 0;
                for (Write w : results.get(t).get(k)) {
                    assertTrue(w.version() > previous, "thread " + t + " key " + keys[k] + ": version " + w.version()
                            + " after " + previous);
                    previous = w.version();
                    assertTrue(all.add(w.version()), "version " + w.version() + " of key " + keys[k] + " returned twice");
                    total++;
                    if (last == null || w.version() > last.version()) {
                        last = w;
                    }
                }
            }
            ShoalEntry<String, String> entry = map.getEntry(keys[k]);
            assertNotNull(last);
            assertEquals(last.version(), entry.version(), "final version of key " + keys[k] + " is the highest returned");
            assertEquals(last.value(), entry.value(), "final value of key " + keys[k] + " is the one written last");
        }
        assertEquals(THREADS * opsPerThread, total, "versions returned");
    }

    // ---- (b) check-and-set: no lost update ----

    @Test
    void versionedReplaceNeverLetsTwoWritersWin() throws Exception {
        ShoalMap<String, Long> map = node.map("cas", String.class, Long.class);
        String[] keys = {"c0", "c1"};
        long initial = 1_000;
        for (String key : keys) {
            map.put(key, initial);
        }
        List<long[]> successes = runConcurrently(THREADS, (id, deadline) -> {
            long[] won = new long[keys.length];
            for (int i = 0; i < 5_000; i++) {
                checkDeadline(deadline, i);
                int k = (i + id) % keys.length;
                ShoalEntry<String, Long> read = map.getEntry(keys[k]);
                if (map.replace(keys[k], read.version(), read.value() + 1)) {
                    won[k]++;
                }
            }
            return won;
        });
        for (int k = 0; k < keys.length; k++) {
            long total = 0;
            for (long[] won : successes) {
                total += won[k];
            }
            assertTrue(total > 0, "no replace of " + keys[k] + " ever succeeded");
            assertEquals(initial + total, map.get(keys[k]), "key " + keys[k] + ": a lost update (or a double win)");
        }
    }

    @Test
    void asMapReplaceByValueNeverLetsTwoWritersWin() throws Exception {
        ConcurrentMap<String, Long> view = node.map("cas-view", String.class, Long.class).asMap();
        String[] keys = {"c0", "c1"};
        long initial = 7;
        for (String key : keys) {
            view.put(key, initial);
        }
        List<long[]> successes = runConcurrently(THREADS, (id, deadline) -> {
            long[] won = new long[keys.length];
            for (int i = 0; i < 5_000; i++) {
                checkDeadline(deadline, i);
                int k = (i + id) % keys.length;
                Long read = view.get(keys[k]);
                if (view.replace(keys[k], read, read + 1)) {
                    won[k]++;
                }
            }
            return won;
        });
        for (int k = 0; k < keys.length; k++) {
            long total = 0;
            for (long[] won : successes) {
                total += won[k];
            }
            assertTrue(total > 0, "no replace of " + keys[k] + " ever succeeded");
            assertEquals(initial + total, view.get(keys[k]), "key " + keys[k] + ": a lost update (or a double win)");
        }
    }

    @Test
    void asMapComputeAndMergeAreAtomicPerKey() throws Exception {
        ConcurrentMap<String, Long> view = node.map("compute", String.class, Long.class).asMap();
        int perThread = 1_500;
        runConcurrently(THREADS, (id, deadline) -> {
            for (int i = 0; i < perThread; i++) {
                checkDeadline(deadline, i);
                view.compute("computed", (k, v) -> v == null ? 1L : v + 1);
                view.merge("merged", 1L, Long::sum);
                view.computeIfAbsent("once", k -> (long) id);
                view.computeIfPresent("merged", (k, v) -> v + 1);
            }
            return null;
        });
        long total = (long) THREADS * perThread;
        assertEquals(total, view.get("computed"));
        // merge adds 1, computeIfPresent adds 1 more once the key exists: every thread's first
        // merge creates the key or adds to it, so both always apply.
        assertEquals(2 * total, view.get("merged"));
        Long once = view.get("once");
        assertTrue(once != null && once >= 0 && once < THREADS, "computeIfAbsent stored " + once);
    }

    // ---- (c) putIfAbsent race ----

    @Test
    void putIfAbsentRaceHasExactlyOneWinnerAndEveryoneSeesItsValue() throws Exception {
        ShoalMap<String, String> map = node.map("pia", String.class, String.class);
        int rounds = 300;
        CyclicBarrier barrier = new CyclicBarrier(THREADS);
        List<String[]> seen = runConcurrently(THREADS, (id, deadline) -> {
            String[] result = new String[rounds];
            for (int r = 0; r < rounds; r++) {
                checkDeadline(deadline, r);
                barrier.await(10, TimeUnit.SECONDS);
                String key = "race-" + r;
                String mine = "t" + id;
                String previous = r % 2 == 0 ? map.putIfAbsent(key, mine) : map.asMap().putIfAbsent(key, mine);
                result[r] = previous == null ? "WON:" + mine : previous;
            }
            return result;
        });
        for (int r = 0; r < rounds; r++) {
            String winner = null;
            for (String[] result : seen) {
                if (result[r].startsWith("WON:")) {
                    assertNull(winner, "round " + r + ": two winners, " + winner + " and " + result[r]);
                    winner = result[r].substring(4);
                }
            }
            assertNotNull(winner, "round " + r + ": nobody won");
            for (String[] result : seen) {
                if (!result[r].startsWith("WON:")) {
                    assertEquals(winner, result[r], "round " + r + ": a loser saw another value than the winner's");
                }
            }
            assertEquals(winner, map.get("race-" + r));
        }
    }

    // ---- (d) versioned remove race ----

    @Test
    void versionedRemoveAndReplaceRaceHasExactlyOneWinner() throws Exception {
        ShoalMap<String, String> map = node.map("vrm", String.class, String.class);
        int rounds = 300;
        long[] versions = new long[rounds];
        for (int r = 0; r < rounds; r++) {
            versions[r] = map.put("k" + r, "initial");
        }
        CyclicBarrier barrier = new CyclicBarrier(THREADS);
        List<boolean[]> won = runConcurrently(THREADS, (id, deadline) -> {
            boolean[] result = new boolean[rounds];
            for (int r = 0; r < rounds; r++) {
                checkDeadline(deadline, r);
                barrier.await(10, TimeUnit.SECONDS);
                // Even rounds: everyone removes. Odd rounds: even threads remove, odd threads replace.
                boolean replaces = r % 2 == 1 && id % 2 == 1;
                result[r] = replaces ? map.replace("k" + r, versions[r], "t" + id) : map.remove("k" + r, versions[r]);
            }
            return result;
        });
        for (int r = 0; r < rounds; r++) {
            int winners = 0;
            int winner = -1;
            for (int t = 0; t < THREADS; t++) {
                if (won.get(t)[r]) {
                    winners++;
                    winner = t;
                }
            }
            assertEquals(1, winners, "round " + r + ": winners of the same version");
            boolean replaced = r % 2 == 1 && winner % 2 == 1;
            assertEquals(replaced ? "t" + winner : null, map.get("k" + r), "round " + r);
        }
    }

    // ---- (e) random workload against an exact model ----

    @Test
    void mixedWorkloadMatchesAModelOfEachThreadsOwnKeys() throws Exception {
        ShoalMap<String, String> map = node.map("mixed", String.class, String.class);
        ConcurrentMap<String, String> view = map.asMap();
        long seed = System.nanoTime();
        int keysPerThread = 32;
        int opsPerThread = 20_000;
        List<Map<String, String>> models = runConcurrently(THREADS, (id, deadline) -> {
            SplittableRandom random = new SplittableRandom(seed + id);
            Map<String, String> model = new ConcurrentHashMap<>();
            Map<String, Long> lastVersion = new HashMap<>();
            for (int i = 0; i < opsPerThread; i++) {
                checkDeadline(deadline, i);
                String key = "t" + id + "-k" + random.nextInt(keysPerThread);
                String value = "t" + id + "-v" + i;
                int op = random.nextInt(15);
                String where = "seed " + seed + ", thread " + id + ", op #" + i + " (" + op + ") on " + key;
                switch (op) {
                    case 0 -> {
                        long version = map.put(key, value);
                        assertTrue(version > lastVersion.getOrDefault(key, 0L), where);
                        lastVersion.put(key, version);
                        model.put(key, value);
                    }
                    case 1 -> {
                        long version = map.put(key, value, Duration.ofHours(1));
                        assertTrue(version > lastVersion.getOrDefault(key, 0L), where);
                        lastVersion.put(key, version);
                        model.put(key, value);
                    }
                    case 2 -> {
                        assertEquals(model.get(key), map.putIfAbsent(key, value), where);
                        model.putIfAbsent(key, value);
                    }
                    case 3 -> {
                        ShoalEntry<String, String> entry = map.getEntry(key);
                        assertEquals(model.get(key), entry == null ? null : entry.value(), where);
                        if (entry != null) {
                            assertTrue(map.replace(key, entry.version(), value), where);
                            model.put(key, value);
                        }
                    }
                    case 4 -> {
                        ShoalEntry<String, String> entry = map.getEntry(key);
                        long stale = entry == null ? 1 + random.nextInt(1000) : entry.version() - 1;
                        assertFalse(map.replace(key, stale, value), where);
                        assertFalse(map.remove(key, stale), where);
                    }
                    case 5 -> assertEquals(model.remove(key) != null, map.remove(key), where);
                    case 6 -> {
                        ShoalEntry<String, String> entry = map.getEntry(key);
                        if (entry != null) {
                            assertTrue(map.remove(key, entry.version()), where);
                            model.remove(key);
                        }
                    }
                    case 7 -> assertEquals(model.put(key, value), view.put(key, value), where);
                    case 8 -> assertEquals(model.remove(key), view.remove(key), where);
                    case 9 -> assertEquals(model.replace(key, value), view.replace(key, value), where);
                    case 10 -> {
                        String old = model.get(key);
                        if (old != null) {
                            assertTrue(view.replace(key, old, value), where);
                            model.put(key, value);
                        } else {
                            assertFalse(view.replace(key, "missing", value), where);
                        }
                    }
                    case 11 -> assertFalse(view.remove(key, "not " + model.get(key)), where);
                    case 12 -> assertEquals(model.compute(key, (k, v) -> v == null ? "c" : v.length() > 40 ? null : v + "+"),
                            view.compute(key, (k, v) -> v == null ? "c" : v.length() > 40 ? null : v + "+"), where);
                    case 13 -> assertEquals(model.merge(key, "m", (a, b) -> a.length() > 40 ? null : a + b),
                            view.merge(key, "m", (a, b) -> a.length() > 40 ? null : a + b), where);
                    default -> assertEquals(model.containsKey(key), map.containsKey(key), where);
                }
                assertEquals(model.get(key), map.get(key), where + ": get after the operation");
            }
            return model;
        });
        Map<String, String> expected = new HashMap<>();
        models.forEach(expected::putAll);
        assertEquals(expected.size(), map.size());
        assertEquals(expected, new HashMap<>(view), "iteration over the whole map");
    }

    // ---- (f) listeners under concurrent writers ----

    @Test
    void keyListenersSeeEveryChangeInVersionOrderAndEndOnTheFinalValue() throws Exception {
        ShoalMap<String, String> map = node.map("listened", String.class, String.class);
        String[] keys = {"L0", "L1", "L2", "L3"};
        Map<String, List<ChangeEvent<String, String>>> byKey = new HashMap<>();
        Map<String, List<ChangeEvent<String, String>>> fromMapListener = new ConcurrentHashMap<>();
        AtomicLong dropped = new AtomicLong();
        for (String key : keys) {
            List<ChangeEvent<String, String>> events = new CopyOnWriteArrayList<>();
            byKey.put(key, events);
            fromMapListener.put(key, new CopyOnWriteArrayList<>());
            map.addKeyListener(key, new ChangeListener<>() {
                @Override
                public void onChange(ChangeEvent<String, String> event) {
                    events.add(event);
                }

                @Override
                public void onEventsDropped(long count) {
                    dropped.addAndGet(count);
                }
            });
        }
        CountDownLatch markerSeen = new CountDownLatch(1);
        map.addListener(new ChangeListener<>() {
            @Override
            public void onChange(ChangeEvent<String, String> event) {
                if (event.key().equals("marker")) {
                    markerSeen.countDown();
                } else {
                    fromMapListener.get(event.key()).add(event);
                }
            }
        });
        // written.get(key).get(version) = the value written at that version
        Map<String, Map<Long, String>> written = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> removals = new ConcurrentHashMap<>();
        for (String key : keys) {
            written.put(key, new ConcurrentHashMap<>());
            removals.put(key, new AtomicInteger());
        }
        int writers = 4;
        runConcurrently(writers, (id, deadline) -> {
            SplittableRandom random = new SplittableRandom(id);
            for (int i = 0; i < 5_000; i++) {
                checkDeadline(deadline, i);
                String key = keys[random.nextInt(keys.length)];
                if (random.nextInt(20) == 0) {
                    if (map.remove(key)) {
                        removals.get(key).incrementAndGet();
                    }
                } else {
                    String value = "w" + id + "-" + i;
                    written.get(key).put(map.put(key, value), value);
                }
            }
            return null;
        });
        // Events are delivered in the order they were queued: once the marker arrives, all came.
        map.put("marker", "end");
        assertTrue(markerSeen.await(10, TimeUnit.SECONDS), "the marker event never arrived");
        assertEquals(0, dropped.get(), "events were dropped although the queue was large enough");
        for (String key : keys) {
            List<ChangeEvent<String, String>> events = byKey.get(key);
            long previous = 0;
            int puts = 0;
            int removes = 0;
            for (ChangeEvent<String, String> event : events) {
                assertEquals(key, event.key());
                assertTrue(event.sequence() > previous, key + ": sequence " + event.sequence() + " after " + previous);
                previous = event.sequence();
                if (event.type() == ChangeType.CREATED || event.type() == ChangeType.UPDATED) {
                    puts++;
                    assertEquals(written.get(key).get(event.sequence()), event.value(),
                            key + ": the event's value is not the one written at version " + event.sequence());
                } else {
                    assertEquals(ChangeType.REMOVED, event.type());
                    assertNull(event.value());
                    removes++;
                }
            }
            assertEquals(written.get(key).size(), puts, key + ": events of puts");
            assertEquals(removals.get(key).get(), removes, key + ": events of removals");
            ChangeEvent<String, String> last = events.get(events.size() - 1);
            ShoalEntry<String, String> entry = map.getEntry(key);
            if (entry == null) {
                assertEquals(ChangeType.REMOVED, last.type(), key + ": removed last, but the last event is " + last);
            } else {
                assertEquals(entry.value(), last.value(), key + ": last event value");
                assertEquals(entry.version(), last.sequence(), key + ": last event sequence");
            }
            assertEquals(events.stream().map(ChangeEvent::sequence).toList(),
                    fromMapListener.get(key).stream().map(ChangeEvent::sequence).toList(),
                    key + ": the map listener saw other events than the key listener");
        }
    }

    // ---- helpers ----

    @FunctionalInterface
    private interface Worker<T> {
        T run(int id, long deadlineNanos) throws Exception;
    }

    private static void checkDeadline(long deadlineNanos, int done) {
        if (System.nanoTime() - deadlineNanos > 0) {
            throw new AssertionError("deadline of " + DEADLINE + " passed after " + done + " operations");
        }
    }

    /** Runs {@code worker} on {@code threads} threads released together; returns their results in id order. */
    private static <T> List<T> runConcurrently(int threads, Worker<T> worker) throws Exception {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "concurrency-test-worker");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int id = i;
                futures.add(pool.submit(() -> {
                    if (!go.await(10, TimeUnit.SECONDS)) {
                        throw new AssertionError("never released");
                    }
                    return worker.run(id, deadline);
                }));
            }
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                long left = deadline - System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                try {
                    results.add(future.get(Math.max(1, left), TimeUnit.NANOSECONDS));
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof Error error) {
                        throw error;
                    }
                    throw e.getCause() instanceof Exception cause ? cause : e;
                } catch (TimeoutException e) {
                    fail("a worker did not finish within the deadline of " + DEADLINE);
                }
            }
            return results;
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS), "workers did not stop");
        }
    }
}
