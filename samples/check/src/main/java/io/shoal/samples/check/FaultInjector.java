package io.shoal.samples.check;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The fault schedule of a run, on its own thread: at random intervals, one fault chosen at random
 * among those enabled, applied to a node chosen at random, and undone (the node up and answering PING
 * again) before the next one. So at most one node is down or paused at any time, and none when the
 * nodes promise to survive none ({@code backups = 0}: only {@link FaultKind#EXTRA}). Intervals are
 * measured from one fault's start to the next's.
 *
 * <p>A node back up is not yet a cluster back to full strength: its copies are fed again, a node that
 * was paused past {@code cluster.failureTimeoutMs} joins again. Taking another node away before every
 * bucket has its copies again would take more copies away than {@code backups.count} survives. So
 * after the nodes start, after each fault, and once more right before the next fault, the schedule
 * waits until {@link ClusterHealth} says the cluster is healthy, at most the heal timeout; if it does
 * not heal in time, the schedule ends and {@link #unhealed()} says so (a finding about the cluster).
 *
 * <p>{@link #stop()} ends the schedule; a fault under way is undone at once (a killed node restarted
 * without waiting out its downtime) before the thread ends. If a node cannot be brought back, the
 * injector stops and {@link #failure()} says why: the run cannot go on.
 */
final class FaultInjector implements Runnable {
    /**
     * A fault applied: {@code what} in words, from its start until the node was back
     * ({@code endNanos}), and when the cluster was healthy again after it ({@code healedNanos}; -1
     * if it was not, or the run ended first).
     */
    record Applied(int number, String what, long startNanos, long endNanos, long healedNanos) {
    }

    private static final Duration KILL_DOWN_MIN = Duration.ofSeconds(1);
    private static final Duration KILL_DOWN_MAX = Duration.ofSeconds(3);
    /** Between the two kills of KILL_TWO: around the nodes' failure timeout (3 s), when the failover's feeds run. */
    private static final Duration SECOND_KILL_MIN = Duration.ofSeconds(2);
    private static final Duration SECOND_KILL_MAX = Duration.ofSeconds(5);
    private static final Duration PAUSE_MIN = Duration.ofSeconds(2);
    private static final Duration PAUSE_MAX = Duration.ofSeconds(5);

    private final Cluster cluster;
    private final Set<FaultKind> enabled;
    private final int maxNodesAway;
    private final Duration intervalMin;
    private final Duration intervalMax;
    private final SplittableRandom random;
    private final RunClock clock;
    private final PrintWriter err;
    private final ClusterHealth health;
    private final Duration healTimeout;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final List<Applied> applied = new CopyOnWriteArrayList<>();
    private volatile String failure;
    private volatile String unhealed;

    FaultInjector(Cluster cluster, Set<FaultKind> enabled, int maxNodesAway, Duration intervalMin,
                  Duration intervalMax, SplittableRandom random, RunClock clock, PrintWriter err,
                  ClusterHealth health, Duration healTimeout) {
        this.health = health;
        this.healTimeout = healTimeout;
        this.cluster = cluster;
        this.enabled = Set.copyOf(enabled);
        this.maxNodesAway = maxNodesAway;
        this.intervalMin = intervalMin;
        this.intervalMax = intervalMax;
        this.random = random;
        this.clock = clock;
        this.err = err;
    }

    /** Asks the schedule to end; the thread then undoes a fault under way and returns. */
    void stop() {
        stopRequested.countDown();
    }

    /** The faults applied so far, in order. */
    List<Applied> applied() {
        return List.copyOf(applied);
    }

    int faults() {
        return applied.size();
    }

    /** Why the injector gave up (a node could not be brought back), or null. */
    String failure() {
        return failure;
    }

    /**
     * Null, or the finding that ended the schedule: the cluster did not heal within the heal
     * timeout ({@code the cluster did not heal within 60 s after fault 3 (...): ...}).
     */
    String unhealed() {
        return unhealed;
    }

    /**
     * After the schedule ended: the cluster was found healthy at {@code nanos} (before the final
     * read-back); the last fault, if its own wait for healing was cut short by the end of the run,
     * is recorded as healed then.
     */
    void healedAfterTheEnd(long nanos) {
        int last = applied.size() - 1;
        if (last >= 0 && applied.get(last).healedNanos() < 0 && !applied.get(last).what().endsWith("(failed)")) {
            Applied a = applied.get(last);
            applied.set(last, new Applied(a.number(), a.what(), a.startNanos(), a.endNanos(), nanos));
        }
    }

    /** The faults {@code --faults} asked for that this run can apply ({@code backups = 0} rules out taking nodes away). */
    List<FaultKind> usable() {
        List<FaultKind> usable = new ArrayList<>();
        for (FaultKind kind : FaultKind.values()) {
            if (enabled.contains(kind) && kind != FaultKind.NONE && maxNodesAway >= nodesAway(kind)) {
                usable.add(kind);
            }
        }
        return usable;
    }

    private static int nodesAway(FaultKind kind) {
        return switch (kind) {
            case EXTRA, NONE -> 0;
            case KILL_TWO -> 2;
            default -> 1;
        };
    }

    @Override
    public void run() {
        try {
            schedule();
        } catch (InterruptedException e) {
            failure = "the fault thread was interrupted";
            Thread.currentThread().interrupt();
        }
    }

    private void schedule() throws InterruptedException {
        List<FaultKind> usable = usable();
        if (usable.isEmpty()) {
            return;
        }
        long next = clock.nanoTime() + between(intervalMin, intervalMax);
        // The nodes just started: the buckets are still being spread over them.
        if (heal(0, "the nodes started", null) < 0) {
            return;
        }
        while (!waitOrStop(next - clock.nanoTime())) {
            // Healthy after the last fault, but is it still? Never take a node away from a cluster short of copies.
            int last = applied.size();
            if (heal(last, last == 0 ? "the nodes started" : "fault " + last, null) < 0) {
                return;
            }
            long started = clock.nanoTime();
            Applied done = apply(usable.get(random.nextInt(usable.size())), started);
            if (failure != null) {
                return;
            }
            if (done != null) {
                long healed = heal(done.number(), "fault " + done.number(), done);
                if (healed < 0) {
                    return;
                }
                applied.set(done.number() - 1, new Applied(done.number(), done.what(), done.startNanos(),
                        done.endNanos(), healed));
            }
            next = started + between(intervalMin, intervalMax);
        }
    }

    /**
     * Waits until the cluster is healthy, at most the heal timeout. Returns when it was (a nanoTime),
     * or -1 if the schedule must end: stopped (nothing wrong), or not healed ({@link #unhealed} set).
     *
     * @param fault the fault just undone, whose line gets the healing time; null for a check only
     */
    private long heal(int number, String after, Applied fault) throws InterruptedException {
        ClusterHealth.Outcome outcome = health.await(after, clock.nanoTime() + healTimeout.toNanos(), stopRequested);
        if (outcome.stopped()) {
            return -1;
        }
        if (!outcome.healed()) {
            String what = number == 0 ? "after the nodes started"
                    : "after fault " + number + " (" + applied.get(number - 1).what() + ")";
            unhealed = "the cluster did not heal within " + text(healTimeout) + " " + what + ": "
                    + outcome.last().summary() + " [" + outcome.last().detail() + "]";
            err.println("shoal check: " + unhealed);
            err.flush();
            return -1;
        }
        long now = clock.nanoTime();
        ClusterHealth.NodeStats any = outcome.last().nodes().isEmpty() ? null : outcome.last().nodes().get(0);
        String state = any == null ? "" : String.format(Locale.ROOT, " (%d members, view %d, table %d)",
                any.get("clusterMembers"), any.get("clusterViewVersion"), any.get("clusterTableVersion"));
        if (fault != null) {
            err.printf(Locale.ROOT, "shoal check: fault %d: cluster healthy %s after the node was back%s%n", number,
                    seconds(now - fault.endNanos()), state);
        } else if (outcome.waitedNanos() > TimeUnit.MILLISECONDS.toNanos(ClusterHealth.POLL_MILLIS)) {
            err.printf(Locale.ROOT, "shoal check: cluster healthy after %s of waiting (%s)%s%n",
                    seconds(outcome.waitedNanos()), after, state);
        }
        err.flush();
        return now;
    }

    /** Applies one fault and undoes it; returns it as recorded, or null if none could be applied (or it failed). */
    private Applied apply(FaultKind kind, long started) throws InterruptedException {
        int number = applied.size() + 1;
        List<NodeProcess> up = new ArrayList<>();
        int away = 0;
        for (NodeProcess node : cluster.members()) {
            if (node.state == NodeProcess.State.UP) {
                up.add(node);
            } else {
                away++;
            }
        }
        if (up.size() < nodesAway(kind) || away + nodesAway(kind) > maxNodesAway) {
            return null; // cannot happen while faults run one at a time; never exceed what the nodes promise to survive
        }
        NodeProcess target = kind == FaultKind.EXTRA ? cluster.extraNode() : up.remove(random.nextInt(up.size()));
        String what;
        try {
            switch (kind) {
                case KILL -> {
                    long downNanos = between(KILL_DOWN_MIN, KILL_DOWN_MAX);
                    what = "SIGKILL " + target + ", restart after " + seconds(downNanos);
                    announce(number, what, target);
                    cluster.kill(target);
                    waitOrStop(downNanos);
                    cluster.start(target);
                }
                case KILL_TWO -> {
                    NodeProcess second = up.get(random.nextInt(up.size()));
                    long gapNanos = between(SECOND_KILL_MIN, SECOND_KILL_MAX);
                    long downNanos = between(KILL_DOWN_MIN, KILL_DOWN_MAX);
                    what = "SIGKILL " + target + ", " + seconds(gapNanos) + " later SIGKILL " + second
                            + ", restart both after " + seconds(downNanos);
                    announce(number, what, target);
                    cluster.kill(target);
                    if (!waitOrStop(gapNanos)) {
                        cluster.kill(second);
                        waitOrStop(downNanos);
                    }
                    cluster.start(target);
                    if (second.state != NodeProcess.State.UP) {
                        cluster.start(second);
                    }
                }
                case RESTART -> {
                    what = "SIGTERM " + target + " (clean stop), then start it";
                    announce(number, what, target);
                    cluster.stop(target);
                    cluster.start(target);
                }
                case PAUSE -> {
                    long pausedNanos = between(PAUSE_MIN, PAUSE_MAX);
                    what = "SIGSTOP " + target + " for " + seconds(pausedNanos) + ", then SIGCONT";
                    announce(number, what, target);
                    cluster.pause(target);
                    waitOrStop(pausedNanos);
                    cluster.resume(target);
                }
                case EXTRA -> {
                    if (cluster.extraIsMember()) {
                        what = "remove the extra node " + target + " (SIGTERM, clean stop)";
                        announce(number, what, target);
                        cluster.removeExtra();
                    } else {
                        what = "add an extra node " + target;
                        announce(number, what, target);
                        cluster.addExtra();
                    }
                }
                default -> throw new IllegalArgumentException("not a fault: " + kind);
            }
        } catch (NodeStartException | IOException e) {
            failure = "fault " + number + " (" + kind.name().toLowerCase(Locale.ROOT) + " " + target + "): "
                    + e.getMessage();
            applied.add(new Applied(number, kind.name().toLowerCase(Locale.ROOT) + " " + target + " (failed)", started,
                    clock.nanoTime(), -1));
            return null;
        }
        long backAt = clock.nanoTime();
        Applied done = new Applied(number, what, started, backAt, -1);
        applied.add(done);
        err.printf(Locale.ROOT, "shoal check: fault %d done after %s; %s%n", number, seconds(backAt - started),
                cluster.states());
        err.flush();
        return done;
    }

    private void announce(int number, String what, NodeProcess target) {
        err.printf(Locale.ROOT, "shoal check: fault %d at %s: %s (%s)%n", number, clock.wallTime(clock.nanoTime()), what,
                target.describe());
        err.flush();
    }

    /** Waits {@code nanos} unless {@link #stop()} comes first; true if it did. */
    private boolean waitOrStop(long nanos) throws InterruptedException {
        return stopRequested.await(Math.max(0, nanos), TimeUnit.NANOSECONDS);
    }

    private long between(Duration min, Duration max) {
        long lo = min.toNanos();
        long hi = max.toNanos();
        return hi <= lo ? lo : lo + random.nextLong(hi - lo + 1);
    }

    /** {@code 60 s}, {@code 1.5 s}. */
    static String text(Duration duration) {
        long ms = duration.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : String.format(Locale.ROOT, "%.1f s", ms / 1e3);
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }
}
