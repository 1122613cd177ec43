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
 * nodes promise to survive none ({@code backups = 0}: only {@link FaultKind#EXTRA}, whose graceful
 * leave hands the data over). Intervals are measured from one fault's start to the next's.
 *
 * <p>{@link #stop()} ends the schedule; a fault under way is undone at once (a killed node restarted
 * without waiting out its downtime) before the thread ends. If a node cannot be brought back, the
 * injector stops and {@link #failure()} says why: the run cannot go on.
 */
final class FaultInjector implements Runnable {
    /** A fault applied: {@code what} in words, from its start until the node was back. */
    record Applied(int number, String what, long startNanos, long endNanos) {
    }

    private static final Duration KILL_DOWN_MIN = Duration.ofSeconds(1);
    private static final Duration KILL_DOWN_MAX = Duration.ofSeconds(3);
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
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final List<Applied> applied = new CopyOnWriteArrayList<>();
    private volatile String failure;

    FaultInjector(Cluster cluster, Set<FaultKind> enabled, int maxNodesAway, Duration intervalMin,
                  Duration intervalMax, SplittableRandom random, RunClock clock, PrintWriter err) {
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

    /** The faults {@code --faults} asked for that this run can apply ({@code backups = 0} rules out taking nodes away). */
    List<FaultKind> usable() {
        List<FaultKind> usable = new ArrayList<>();
        for (FaultKind kind : FaultKind.values()) {
            if (enabled.contains(kind) && kind != FaultKind.NONE && (kind == FaultKind.EXTRA || maxNodesAway >= 1)) {
                usable.add(kind);
            }
        }
        return usable;
    }

    @Override
    public void run() {
        List<FaultKind> usable = usable();
        if (usable.isEmpty()) {
            return;
        }
        long next = clock.nanoTime() + between(intervalMin, intervalMax);
        try {
            while (!waitOrStop(next - clock.nanoTime())) {
                long started = clock.nanoTime();
                apply(usable.get(random.nextInt(usable.size())), started);
                if (failure != null) {
                    return;
                }
                next = started + between(intervalMin, intervalMax);
            }
        } catch (InterruptedException e) {
            failure = "the fault thread was interrupted";
            Thread.currentThread().interrupt();
        }
    }

    private void apply(FaultKind kind, long started) throws InterruptedException {
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
        if (kind != FaultKind.EXTRA && (up.isEmpty() || away + 1 > maxNodesAway)) {
            return; // cannot happen while faults run one at a time; never exceed what the nodes promise to survive
        }
        NodeProcess target = kind == FaultKind.EXTRA ? cluster.extraNode() : up.get(random.nextInt(up.size()));
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
                    clock.nanoTime()));
            return;
        }
        long ended = clock.nanoTime();
        applied.add(new Applied(number, what, started, ended));
        err.printf(Locale.ROOT, "shoal check: fault %d done after %s; %s%n", number, seconds(ended - started),
                cluster.states());
        err.flush();
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

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }
}
