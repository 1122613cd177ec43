package io.shoal.samples.quickstart;

import io.shoal.ChangeEvent;
import io.shoal.ChangeListener;
import io.shoal.ChangeType;
import io.shoal.MemoryLimitExceededException;
import io.shoal.NodeStats;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalEntry;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import io.shoal.Subscription;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The quickstart: an embedded node on the default configuration, exercised step by step, with each
 * step explained in plain words. Exits 0 when every step behaved as described, 1 otherwise.
 */
public final class Quickstart {
    private final PrintStream out;
    private int failures;

    Quickstart(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0) {
            System.err.println("usage: bin/shoal quickstart   (takes no options)");
            System.exit(2);
        }
        int failures = new Quickstart(System.out).run();
        System.exit(failures == 0 ? 0 : 1);
    }

    /** Runs every step; returns the number of steps that did not behave as described. */
    int run() throws Exception {
        say("Starting an embedded Shoal node on the default configuration ...");
        try (ShoalNode node = Shoal.start()) {
            NodeStats stats = node.stats();
            say("  node %s is up: %d buckets, memory limit %d MiB, data off-heap in Chronicle Map",
                    node.nodeId(), stats.bucketCount(), stats.memoryMaxBytes() >> 20);
            twoMaps(node);
            checkAndSet(node);
            listener(node);
            expiry(node);
        }
        say("");
        memoryLimit();
        say("");
        if (failures == 0) {
            say("All steps behaved as described.");
        } else {
            say("%d step(s) did NOT behave as described (see MISMATCH above).", failures);
        }
        return failures;
    }

    private void twoMaps(ShoalNode node) {
        say("");
        say("1. Two maps, each its own keyspace");
        ShoalMap<String, String> users = node.map("users", String.class, String.class);
        ShoalMap<String, Long> visits = node.map("visits", String.class, Long.class);
        users.put("ada", "Ada Lovelace");
        users.put("alan", "Alan Turing");
        visits.put("ada", 3L);
        say("  users[ada] = %s, users[alan] = %s", users.get("ada"), users.get("alan"));
        say("  visits[ada] = %d  (same key, different map, different value)", visits.get("ada"));
        say("  users holds %d entries, visits holds %d", users.size(), visits.size());
        expect(users.get("ada").equals("Ada Lovelace") && visits.get("ada") == 3L && users.size() == 2,
                "both maps read back what was written");
    }

    private void checkAndSet(ShoalNode node) throws Exception {
        say("");
        say("2. Check-and-set losing to a concurrent change");
        ShoalMap<String, Long> visits = node.map("visits", String.class, Long.class);
        ShoalEntry<String, Long> seen = visits.getEntry("ada");
        say("  we read visits[ada] = %d at version %d, and plan to write %d", seen.value(), seen.version(),
                seen.value() + 1);
        CompletableFuture<Long> other = CompletableFuture.supplyAsync(() -> visits.put("ada", 10L));
        long otherVersion = other.get(10, TimeUnit.SECONDS);
        say("  meanwhile another thread wrote visits[ada] = 10 (version %d)", otherVersion);
        boolean won = visits.replace("ada", seen.version(), seen.value() + 1);
        say("  our replace(ada, version %d, %d) %s; the value is still %d", seen.version(), seen.value() + 1,
                won ? "succeeded" : "was refused", visits.get("ada"));
        ShoalEntry<String, Long> fresh = visits.getEntry("ada");
        boolean retried = visits.replace("ada", fresh.version(), fresh.value() + 1);
        say("  re-reading (version %d) and retrying %s: visits[ada] = %d", fresh.version(),
                retried ? "succeeds" : "fails", visits.get("ada"));
        expect(!won && retried && visits.get("ada") == 11L, "the stale check-and-set lost, the fresh one won");
    }

    private void listener(ShoalNode node) throws Exception {
        say("");
        say("3. A listener receiving change events");
        ShoalMap<String, String> users = node.map("users", String.class, String.class);
        List<ChangeEvent<String, String>> events = new CopyOnWriteArrayList<>();
        CountDownLatch three = new CountDownLatch(3);
        try (Subscription ignored = users.addPrefixListener("gr", new ChangeListener<>() {
            @Override
            public void onChange(ChangeEvent<String, String> event) {
                events.add(event);
                three.countDown();
            }
        })) {
            users.put("grace", "Grace Hopper");
            users.put("barbara", "Barbara Liskov");
            users.put("grace", "Rear Admiral Grace Hopper");
            users.remove("grace");
            boolean all = three.await(10, TimeUnit.SECONDS);
            say("  listening to keys starting with \"gr\"; wrote grace twice, barbara once, removed grace:");
            for (ChangeEvent<String, String> e : events) {
                say("    %-8s %-6s %-26s bucket %3d, sequence %d", e.type(), e.key(),
                        e.value() == null ? "" : e.value(), e.bucket(), e.sequence());
            }
            expect(all && events.size() == 3 && events.stream().allMatch(e -> e.key().equals("grace")),
                    "the listener saw the three changes of grace, in order, and nothing of barbara");
        }
    }

    private void expiry(ShoalNode node) throws Exception {
        say("");
        say("4. A value with a time to live");
        ShoalMap<String, String> sessions = node.map("sessions", String.class, String.class);
        CountDownLatch expired = new CountDownLatch(1);
        try (Subscription ignored = sessions.addKeyListener("token-42", new ChangeListener<>() {
            @Override
            public void onChange(ChangeEvent<String, String> event) {
                if (event.type() == ChangeType.EXPIRED) {
                    expired.countDown();
                }
            }
        })) {
            long start = System.nanoTime();
            sessions.put("token-42", "ada", Duration.ofMillis(300));
            say("  sessions[token-42] = %s, expiring in 300 ms", sessions.get("token-42"));
            boolean reclaimed = expired.await(10, TimeUnit.SECONDS);
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            say("  after %d ms the background sweep reclaimed it (an EXPIRED event); sessions[token-42] = %s",
                    waitedMs, sessions.get("token-42"));
            expect(reclaimed && waitedMs >= 300 && sessions.get("token-42") == null,
                    "the value expired, and was never returned after its time");
        }
    }

    private void memoryLimit() {
        say("5. The memory limit, with the lru eviction policy (a second node, limited to 2 MiB)");
        ShoalConfig config = ShoalConfig.builder()
                .maxMemoryBytes(2L << 20)
                .eviction("lru")
                .build();
        try (ShoalNode node = Shoal.start(config)) {
            ShoalMap<String, byte[]> blobs = node.map("blobs", String.class, byte[].class);
            byte[] kilobyte = new byte[1024];
            for (int i = 0; i < 5_000; i++) {
                blobs.put("blob-" + i, kilobyte);
            }
            NodeStats stats = node.stats();
            say("  wrote 5000 values of 1 KiB (about 5 MiB) into a 2 MiB node:");
            say("  it holds %d of them, %d KiB counted against the limit; %d were evicted, least recently used first",
                    blobs.size(), stats.memoryUsedBytes() >> 10, stats.evictions());
            say("  the newest value is still there: %s", blobs.get("blob-4999") != null);
            expect(stats.evictions() > 0 && stats.memoryUsedBytes() <= stats.memoryMaxBytes() + 8 * 1024
                    && blobs.get("blob-4999") != null, "eviction kept the node within its limit");
        }
        say("  with eviction = none (the default) the same write fails instead, and nothing stored is harmed:");
        try (ShoalNode node = Shoal.start(ShoalConfig.builder().maxMemoryBytes(2L << 20).build())) {
            ShoalMap<String, byte[]> blobs = node.map("blobs", String.class, byte[].class);
            byte[] kilobyte = new byte[1024];
            int stored = 0;
            try {
                for (; stored < 5_000; stored++) {
                    blobs.put("blob-" + stored, kilobyte);
                }
                expect(false, "a write over the limit fails");
            } catch (MemoryLimitExceededException e) {
                say("  write #%d failed: %s", stored + 1, e.getMessage());
                say("  the %d values stored before it all read back: %s", stored, blobs.get("blob-0") != null
                        && blobs.get("blob-" + (stored - 1)) != null && blobs.size() == stored);
                expect(blobs.size() == stored, "the refused write harmed nothing");
            }
        }
    }

    private void expect(boolean condition, String what) {
        if (condition) {
            say("  ok: %s", what);
        } else {
            failures++;
            say("  MISMATCH: expected that %s", what);
        }
    }

    private void say(String format, Object... args) {
        out.println(args.length == 0 ? format : String.format(format, args));
    }
}
