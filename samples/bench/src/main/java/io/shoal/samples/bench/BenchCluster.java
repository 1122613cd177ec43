package io.shoal.samples.bench;

import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalNode;
import io.shoal.client.ClientConfig;
import io.shoal.client.ShoalClient;
import io.shoal.protocol.ClusterWire;
import io.shoal.protocol.Message;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * In-process cluster nodes of {@code bench cluster}, started through the public API as an
 * application embeds them ({@link Shoal#start}, {@code transport = tcp} on 127.0.0.1, an ephemeral
 * port, the second and later nodes seeded with the first one's address), each with its own
 * {@code node.dataDir} under one temporary directory that {@link #close()} deletes; plus the probe
 * that tells when the cluster is balanced.
 *
 * <p><b>Balanced</b> ({@link #probe}): every node answers STATS (through a client pinned to it,
 * {@code discoverNodes(false)}, as {@code samples/check}'s ClusterHealth does) with
 * {@code clusterMembers} = the number of nodes, the same {@code clusterViewVersion} and
 * {@code clusterTableVersion}, {@code clusterBucketsUnderReplicated} = 0,
 * {@code clusterCopiesFeeding} = 0 and {@code clusterBucketsLost} = 0; and the partition table of
 * that version (TABLE_FETCH, the smart client's request) gives every bucket {@code backups.count + 1}
 * copies, all {@code UP_TO_DATE}, and every node an even share of primaries and of copies (within
 * one bucket of the floor and ceiling of the mean). The table check keeps a probe from calling a
 * cluster balanced that has not started moving buckets to a new node yet.
 *
 * <p>{@link #close()} pauses the cluster (no bucket moves) and closes the nodes in parallel; the
 * nodes are configured with {@code cluster.leaveTimeoutMs = 0}, so a closing node does not hand its
 * copies over first (each logs a warning saying so): nothing is measured after, and a graceful
 * leave would move the whole data set again.
 */
final class BenchCluster implements AutoCloseable {
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(5);

    private final String name;
    private final Map<String, Object> settings;
    private final Path dataDir;
    private final List<ShoalNode> nodes = new ArrayList<>();
    private final Map<String, ShoalClient> probes = new LinkedHashMap<>();
    private final List<ShoalClient> clients = new ArrayList<>();

    /**
     * @param name     the cluster's name ({@code cluster.name}) and the prefix of its node ids
     * @param settings every node's settings besides those this class sets
     */
    BenchCluster(String name, Map<String, Object> settings) throws IOException {
        this.name = name;
        this.settings = Map.copyOf(settings);
        this.dataDir = Files.createTempDirectory("shoal-bench-" + name + "-");
    }

    /** Settings for nodes of {@code buckets} buckets with stores sized for {@code entries} entries. */
    static Map<String, Object> settings(int buckets, long entries, boolean backupsSync) {
        Map<String, Object> s = new HashMap<>();
        s.put("buckets.count", buckets);
        s.put("store.entriesPerBucket", MapData.entriesPerBucket(entries, buckets));
        s.put("store.averageKeyBytes", MapData.KEY_BYTES);
        s.put("store.averageValueBytes", MapData.VALUE_BYTES);
        s.put("backups.sync", backupsSync);
        return s;
    }

    /** {@code key=value,key=value} as a map (values as strings: the config converts them). */
    static Map<String, Object> parseSettings(String text) {
        Map<String, Object> parsed = new LinkedHashMap<>();
        for (String pair : text.split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("'" + pair + "' is not key=value");
            }
            parsed.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
        return parsed;
    }

    /** Starts one more node; the first founds the cluster, the others join through it. Blocks until it is a member. */
    ShoalNode start() {
        int number = nodes.size() + 1;
        ShoalConfig.Builder config = ShoalConfig.builder()
                .set("node.id", name + "-" + number)
                .set("node.dataDir", dataDir.resolve("node-" + number).toString())
                .set("cluster.name", name)
                .set("transport", "tcp")
                .set("server.host", "127.0.0.1")
                .set("server.port", 0)
                .set("cluster.leaveTimeoutMs", 0)
                .set("cluster.seeds", nodes.isEmpty() ? List.of() : List.of(address(nodes.get(0))));
        settings.forEach(config::set);
        parseSettings(ClusterBench.NODE_SETTINGS).forEach(config::set);
        ShoalNode node = Shoal.start(config.build());
        nodes.add(node);
        return node;
    }

    List<ShoalNode> nodes() {
        return List.copyOf(nodes);
    }

    static String address(ShoalNode node) {
        return node.serverAddress().orElseThrow(() -> new IllegalStateException("node " + node.nodeId()
                + " has no server address with transport = tcp"));
    }

    List<String> addresses() {
        return nodes.stream().map(BenchCluster::address).toList();
    }

    /** A smart-routing client of this cluster (closed with it). */
    ShoalClient smartClient(String clientName) {
        ShoalClient client = ShoalClient.connect(ClientConfig.builder()
                .nodes(addresses())
                .smartRouting(true)
                .clusterName(name)
                .clientName(clientName)
                .connectTimeout(CLIENT_TIMEOUT)
                .requestTimeout(Duration.ofSeconds(10))
                .build());
        clients.add(client);
        return client;
    }

    /** One probe of the cluster. */
    record Status(boolean balanced, List<String> problems, List<Map<String, Long>> stats, ClusterWire.Table table) {
        /** Every node's counters, e.g. {@code rebalance-1: members 3, view 3, table 40, under-replicated 0, feeding 4, lost 0}. */
        String detail(List<String> nodeIds) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < stats.size(); i++) {
                Map<String, Long> s = stats.get(i);
                sb.append(i == 0 ? "" : "; ").append(nodeIds.get(i)).append(": ");
                if (s == null) {
                    sb.append("no STATS");
                    continue;
                }
                sb.append(String.format(Locale.ROOT, "members %d, view %d, table %d, under-replicated %d, feeding %d, "
                                + "lost %d, entries %,d", s.getOrDefault("clusterMembers", -1L),
                        s.getOrDefault("clusterViewVersion", -1L), s.getOrDefault("clusterTableVersion", -1L),
                        s.getOrDefault("clusterBucketsUnderReplicated", -1L), s.getOrDefault("clusterCopiesFeeding", -1L),
                        s.getOrDefault("clusterBucketsLost", -1L), s.getOrDefault("entries", -1L)));
            }
            return sb.toString();
        }
    }

    List<String> nodeIds() {
        return nodes.stream().map(ShoalNode::nodeId).toList();
    }

    /** Asks every node for its STATS and, if they agree, the table; judges as the class comment says. */
    Status probe(int backupCount) {
        List<String> problems = new ArrayList<>();
        List<Map<String, Long>> all = new ArrayList<>();
        TreeSet<Long> views = new TreeSet<>();
        TreeSet<Long> tables = new TreeSet<>();
        int n = nodes.size();
        for (ShoalNode node : nodes) {
            Map<String, Long> s;
            try {
                s = probeClient(node).stats();
            } catch (RuntimeException e) {
                problems.add(node.nodeId() + " did not answer STATS (" + e + ")");
                ShoalClient failed = probes.remove(node.nodeId());
                if (failed != null) {
                    closeQuietly(failed); // a fresh connection next time
                }
                all.add(null);
                continue;
            }
            all.add(s);
            if (s.getOrDefault("clusterMembers", -1L) != n) {
                problems.add(node.nodeId() + " sees " + s.getOrDefault("clusterMembers", -1L) + " members of " + n);
            }
            if (s.getOrDefault("clusterBucketsUnderReplicated", -1L) != 0) {
                problems.add(node.nodeId() + ": " + s.get("clusterBucketsUnderReplicated") + " buckets under-replicated");
            }
            if (s.getOrDefault("clusterCopiesFeeding", -1L) != 0) {
                problems.add(node.nodeId() + ": " + s.get("clusterCopiesFeeding") + " copies feeding");
            }
            if (s.getOrDefault("clusterBucketsLost", -1L) != 0) {
                problems.add(node.nodeId() + ": " + s.get("clusterBucketsLost") + " buckets LOST");
            }
            views.add(s.getOrDefault("clusterViewVersion", -1L));
            tables.add(s.getOrDefault("clusterTableVersion", -1L));
        }
        if (views.size() > 1) {
            problems.add("views differ " + views);
        }
        if (tables.size() > 1) {
            problems.add("tables differ " + tables);
        }
        if (!problems.isEmpty()) {
            return new Status(false, problems, all, null);
        }
        ClusterWire.Table table = fetchTable();
        if (table.toVersion() != tables.first()) {
            problems.add("the fetched table is version " + table.toVersion() + ", the nodes hold " + tables.first());
        } else {
            problems.addAll(unbalanced(table, nodeIds(), backupCount));
        }
        return new Status(problems.isEmpty(), problems, all, table);
    }

    /** What keeps {@code table} from being balanced over {@code nodeIds}; empty when it is. */
    static List<String> unbalanced(ClusterWire.Table table, List<String> nodeIds, int backupCount) {
        List<String> problems = new ArrayList<>();
        int n = nodeIds.size();
        int copiesWanted = Math.min(backupCount + 1, n);
        Map<String, Integer> primaries = new HashMap<>();
        Map<String, Integer> copies = new HashMap<>();
        int incomplete = 0;
        for (ClusterWire.BucketOwners owners : table.buckets()) {
            List<ClusterWire.Replica> replicas = owners.replicas();
            boolean complete = replicas.size() == copiesWanted;
            for (ClusterWire.Replica r : replicas) {
                complete &= r.state() == ClusterWire.UP_TO_DATE;
                copies.merge(r.nodeId(), 1, Integer::sum);
            }
            if (!replicas.isEmpty()) {
                primaries.merge(replicas.get(0).nodeId(), 1, Integer::sum);
            }
            if (!complete) {
                incomplete++;
            }
        }
        if (incomplete > 0) {
            problems.add(incomplete + " buckets without " + copiesWanted + " up-to-date copies in table "
                    + table.toVersion());
        }
        int buckets = table.bucketCount();
        for (String id : nodeIds) {
            int p = primaries.getOrDefault(id, 0);
            int c = copies.getOrDefault(id, 0);
            if (p < buckets / n - 1 || p > (buckets + n - 1) / n + 1) {
                problems.add(id + " is primary of " + p + " buckets of " + buckets);
            }
            if (c < buckets * copiesWanted / n - 1 || c > (buckets * copiesWanted + n - 1) / n + 1) {
                problems.add(id + " holds " + c + " copies of " + buckets * copiesWanted);
            }
        }
        return problems;
    }

    /** The full partition table, from the first node (TABLE_FETCH). */
    ClusterWire.Table fetchTable() {
        ShoalNode first = nodes.get(0);
        Message answer;
        try {
            answer = probeClient(first).send(new Request.TableFetch()).get(CLIENT_TIMEOUT.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while fetching the table");
        } catch (Exception e) {
            throw new IllegalStateException("TABLE_FETCH from " + first.nodeId() + " failed: " + e, e);
        }
        if (answer instanceof Reply.TableFetch fetched) {
            return fetched.table();
        }
        throw new IllegalStateException("TABLE_FETCH from " + first.nodeId() + " answered " + answer);
    }

    private ShoalClient probeClient(ShoalNode node) {
        return probes.computeIfAbsent(node.nodeId(), id -> ShoalClient.connect(ClientConfig.builder()
                .nodes(address(node))
                .discoverNodes(false)
                .clusterName(name)
                .clientName("shoal-bench probe")
                .connectTimeout(CLIENT_TIMEOUT)
                .requestTimeout(CLIENT_TIMEOUT)
                .build()));
    }

    /**
     * Probes every {@code pollMs} until balanced; throws, naming every node's counters and what is
     * not converged, when {@code timeoutMs} passes. Prints a progress line every 5 s.
     *
     * @return the balanced status and the time it was seen ({@link System#nanoTime()})
     */
    Balanced awaitBalanced(int backupCount, long timeoutMs, long pollMs, String what, PrintStream err)
            throws InterruptedException {
        long started = System.nanoTime();
        long deadline = started + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        long nextReport = started + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            Status status = probe(backupCount);
            long now = System.nanoTime();
            if (status.balanced()) {
                return new Balanced(status, now);
            }
            if (now - deadline >= 0) {
                throw new IllegalStateException(String.format(Locale.ROOT, "%s: the cluster was not balanced within "
                                + "%.0f s: %s; counters: %s", what, timeoutMs / 1e3, String.join("; ", status.problems()),
                        status.detail(nodeIds())));
            }
            if (now - nextReport >= 0) {
                err.printf(Locale.ROOT, "bench: %s: not balanced after %.0f s: %s%n", what, (now - started) / 1e9,
                        status.detail(nodeIds()));
                nextReport += TimeUnit.SECONDS.toNanos(5);
            }
            Thread.sleep(pollMs);
        }
    }

    record Balanced(Status status, long atNanos) {
    }

    @Override
    public void close() {
        for (ShoalClient client : clients) {
            closeQuietly(client);
        }
        for (ShoalClient client : probes.values()) {
            closeQuietly(client);
        }
        clients.clear();
        probes.clear();
        if (!nodes.isEmpty()) {
            try {
                nodes.get(0).pauseCluster(); // no bucket moves while the nodes go
            } catch (RuntimeException e) {
                // the nodes close anyway
            }
        }
        List<Thread> closing = new ArrayList<>();
        for (ShoalNode node : nodes) {
            Thread t = new Thread(node::close, "bench-close-" + node.nodeId());
            t.start();
            closing.add(t);
        }
        for (Thread t : closing) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        nodes.clear();
        deleteRecursively(dataDir);
    }

    private static void closeQuietly(ShoalClient client) {
        try {
            client.close();
        } catch (RuntimeException e) {
            // closing anyway
        }
    }

    static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            System.err.println("bench: could not delete " + root + ": " + e);
        }
    }
}
