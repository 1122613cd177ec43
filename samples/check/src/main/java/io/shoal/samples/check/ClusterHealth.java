package io.shoal.samples.check;

import io.shoal.client.ClientConfig;
import io.shoal.client.ShoalClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Whether the cluster has healed: every bucket has its copies again, so taking another node away
 * stays within what {@code backups.count} survives. Asks every member that is up for its STATS,
 * through a client pinned to that node ({@code discoverNodes(false)}), and calls the cluster
 * healthy when every one of them answers with
 * <ul>
 *   <li>{@code clusterMembers} = the number of nodes up,</li>
 *   <li>the same {@code clusterViewVersion} and {@code clusterTableVersion} as the others,</li>
 *   <li>{@code clusterBucketsUnderReplicated} = 0 and {@code clusterCopiesFeeding} = 0,</li>
 *   <li>{@code clusterLeaseHeld} = 1,</li>
 * </ul>
 * and exactly one of them says it is the coordinator. {@code clusterBucketsLost} is reported (a lost
 * bucket is not under-replicated, it is gone; the run's reads say so), not waited for.
 *
 * <p>One client per node address, kept between probes and closed when the node's address goes or on
 * {@link #close()}. Used by one thread at a time (the fault controller, then the run's end);
 * {@link #waiting()} may be read from any thread (the progress line).
 */
final class ClusterHealth implements AutoCloseable {
    static final long POLL_MILLIS = 250;
    private static final Duration STATS_TIMEOUT = Duration.ofSeconds(2);
    private static final List<String> COUNTERS = List.of("clusterMembers", "clusterViewVersion", "clusterTableVersion",
            "clusterBucketsLost", "clusterBucketsUnderReplicated", "clusterCopiesFeeding", "clusterCoordinator",
            "clusterLeaseHeld");

    /** One node's answer: its cluster counters, or why it gave none. */
    record NodeStats(String node, Map<String, Long> stats, String error) {
        long get(String name) {
            Long value = stats == null ? null : stats.get(name);
            return value == null ? -1 : value;
        }

        /** e.g. {@code n1: members 3, view 12, table 40, lost 0, under-replicated 0, feeding 0, coordinator, lease}. */
        String describe() {
            if (stats == null) {
                return node + ": no STATS (" + error + ")";
            }
            return String.format(Locale.ROOT, "%s: members %d, view %d, table %d, lost %d, under-replicated %d, "
                            + "feeding %d%s%s", node, get("clusterMembers"), get("clusterViewVersion"),
                    get("clusterTableVersion"), get("clusterBucketsLost"), get("clusterBucketsUnderReplicated"),
                    get("clusterCopiesFeeding"), get("clusterCoordinator") == 1 ? ", coordinator" : "",
                    get("clusterLeaseHeld") == 1 ? ", lease held" : ", NO LEASE");
        }
    }

    /**
     * One probe of every node up.
     *
     * @param problems what keeps it from being healthy, in words (empty: healthy)
     * @param nodes    each node's answer
     */
    record Status(List<String> problems, List<NodeStats> nodes, long bucketsLost, long underReplicated,
                  long feeding) {
        boolean healthy() {
            return problems.isEmpty();
        }

        /** For the progress line: {@code 12 buckets under-replicated, 30 copies feeding; n2 sees 2 members of 3}. */
        String summary() {
            List<String> parts = new ArrayList<>();
            parts.add(underReplicated + " buckets under-replicated");
            parts.add(feeding + " copies feeding");
            if (bucketsLost > 0) {
                parts.add(bucketsLost + " buckets LOST");
            }
            StringBuilder sb = new StringBuilder(String.join(", ", parts));
            List<String> others = problems.stream().filter(p -> !p.contains("under-replicated")
                    && !p.contains("feeding")).toList();
            if (!others.isEmpty()) {
                sb.append("; ").append(String.join("; ", others));
            }
            return sb.toString();
        }

        /** Every node's counters, one after the other. */
        String detail() {
            StringBuilder sb = new StringBuilder();
            for (NodeStats n : nodes) {
                sb.append(sb.length() == 0 ? "" : "; ").append(n.describe());
            }
            return sb.toString();
        }
    }

    /** What a wait for health ended with. */
    record Outcome(boolean healed, boolean stopped, long waitedNanos, Status last) {
    }

    private final Supplier<List<NodeProcess>> members;
    private final String secret;
    private final RunClock clock;
    private final Map<String, ShoalClient> clients = new HashMap<>();
    private volatile String waiting;
    private volatile long bucketCount;

    /** @param members the nodes of the cluster now, up or not (those up are asked) */
    ClusterHealth(Supplier<List<NodeProcess>> members, String secret, RunClock clock) {
        this.members = members;
        this.secret = secret;
        this.clock = clock;
    }

    /** While a wait is under way: since when and what it waits for, for the progress line; else null. */
    String waiting() {
        return waiting;
    }

    /** The nodes' {@code bucketCount} as their STATS last said, or 0 if none answered yet. */
    long bucketCount() {
        return bucketCount;
    }

    /**
     * Probes until the cluster is healthy, {@code deadlineNanos} passes, or {@code stop} is counted down
     * (every {@value #POLL_MILLIS} ms; each probe takes at most a STATS timeout per node).
     *
     * @param what what is waited after, for the progress line ("fault 3", "the nodes started")
     */
    Outcome await(String what, long deadlineNanos, CountDownLatch stop) throws InterruptedException {
        long started = clock.nanoTime();
        Status status = probe();
        try {
            while (!status.healthy()) {
                waiting = String.format(Locale.ROOT, "waiting for the cluster to heal after %s (%.1f s): %s", what,
                        (clock.nanoTime() - started) / 1e9, status.summary());
                if (clock.nanoTime() >= deadlineNanos) {
                    return new Outcome(false, false, clock.nanoTime() - started, status);
                }
                long pause = Math.min(POLL_MILLIS, Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - clock.nanoTime())));
                if (stop.await(pause, TimeUnit.MILLISECONDS)) {
                    return new Outcome(false, true, clock.nanoTime() - started, status);
                }
                status = probe();
            }
            return new Outcome(true, false, clock.nanoTime() - started, status);
        } finally {
            waiting = null;
        }
    }

    /** Asks every node up for its STATS once and judges the answers. */
    Status probe() {
        List<NodeProcess> all = members.get();
        List<NodeProcess> up = new ArrayList<>();
        for (NodeProcess node : all) {
            if (node.state == NodeProcess.State.UP && node.address != null) {
                up.add(node);
            }
        }
        closeClientsNotAt(all);
        List<NodeStats> answers = new ArrayList<>();
        for (NodeProcess node : up) {
            answers.add(stats(node));
        }
        return judge(up.size(), answers);
    }

    /** The judgement of {@link #probe()}, on answers already gathered (for tests). */
    static Status judge(int nodesUp, List<NodeStats> answers) {
        List<String> problems = new ArrayList<>();
        Set<Long> views = new TreeSet<>();
        Set<Long> tables = new TreeSet<>();
        List<String> coordinators = new ArrayList<>();
        long lost = 0;
        long under = 0;
        long feeding = 0;
        if (nodesUp == 0) {
            problems.add("no node is up");
        }
        for (NodeStats n : answers) {
            if (n.stats() == null) {
                problems.add(n.node() + " did not answer STATS (" + n.error() + ")");
                continue;
            }
            if (!n.stats().keySet().containsAll(COUNTERS)) {
                List<String> missing = new ArrayList<>(COUNTERS);
                missing.removeAll(n.stats().keySet());
                problems.add(n.node() + "'s STATS lack " + missing + " (a node without the cluster?)");
                continue;
            }
            if (n.get("clusterMembers") != nodesUp) {
                problems.add(n.node() + " sees " + n.get("clusterMembers") + " members of " + nodesUp);
            }
            if (n.get("clusterLeaseHeld") != 1) {
                problems.add(n.node() + " holds no lease");
            }
            if (n.get("clusterCoordinator") == 1) {
                coordinators.add(n.node());
            }
            views.add(n.get("clusterViewVersion"));
            tables.add(n.get("clusterTableVersion"));
            lost = Math.max(lost, n.get("clusterBucketsLost"));
            under = Math.max(under, n.get("clusterBucketsUnderReplicated"));
            feeding = Math.max(feeding, n.get("clusterCopiesFeeding"));
        }
        if (views.size() > 1) {
            problems.add("views differ " + versions(answers, "clusterViewVersion"));
        }
        if (tables.size() > 1) {
            problems.add("tables differ " + versions(answers, "clusterTableVersion"));
        }
        if (under > 0) {
            problems.add(under + " buckets under-replicated");
        }
        if (feeding > 0) {
            problems.add(feeding + " copies feeding");
        }
        if (problems.isEmpty() && coordinators.size() != 1) {
            problems.add(coordinators.isEmpty() ? "no node says it is the coordinator"
                    : "several nodes say they are the coordinator: " + coordinators);
        }
        return new Status(List.copyOf(problems), List.copyOf(answers), lost, under, feeding);
    }

    private static String versions(List<NodeStats> answers, String counter) {
        StringBuilder sb = new StringBuilder("(");
        for (NodeStats n : answers) {
            if (n.stats() != null) {
                sb.append(sb.length() == 1 ? "" : ", ").append(n.node()).append(' ').append(n.get(counter));
            }
        }
        return sb.append(')').toString();
    }

    private NodeStats stats(NodeProcess node) {
        String address = node.address;
        ShoalClient client = clients.get(address);
        try {
            if (client == null) {
                client = connect(address);
                clients.put(address, client);
            }
            Map<String, Long> stats = client.stats();
            Long buckets = stats.get("bucketCount");
            if (buckets != null && buckets > 0) {
                bucketCount = buckets;
            }
            return new NodeStats(node.id, stats, null);
        } catch (RuntimeException e) {
            // a fresh connection next time
            ShoalClient failed = clients.remove(address);
            if (failed != null) {
                closeQuietly(failed);
            }
            return new NodeStats(node.id, null, e.getClass().getSimpleName() + ": " + e.getMessage()
                    + (node.isAlive() ? "" : "; its process has exited"));
        }
    }

    private ShoalClient connect(String address) {
        ClientConfig.Builder config = ClientConfig.builder()
                .nodes(address)
                .discoverNodes(false)
                .connectTimeout(STATS_TIMEOUT)
                .requestTimeout(STATS_TIMEOUT)
                .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
                .clientName("shoal-check health");
        if (!secret.isEmpty()) {
            config.secret(secret);
        }
        return ShoalClient.connect(config.build());
    }

    /** Closes the clients of addresses no member has any more (the extra node left, a node moved). */
    private void closeClientsNotAt(List<NodeProcess> nodes) {
        Set<String> addresses = new HashSet<>();
        for (NodeProcess node : nodes) {
            addresses.add(node.address);
        }
        for (Iterator<Map.Entry<String, ShoalClient>> it = clients.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, ShoalClient> entry = it.next();
            if (!addresses.contains(entry.getKey())) {
                closeQuietly(entry.getValue());
                it.remove();
            }
        }
    }

    private static void closeQuietly(ShoalClient client) {
        try {
            client.close();
        } catch (RuntimeException e) {
            // closing a client of a node that went away: nothing to do
        }
    }

    @Override
    public void close() {
        for (ShoalClient client : clients.values()) {
            closeQuietly(client);
        }
        clients.clear();
    }
}
