package io.shoal.samples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What this JVM's threads did, grouped by thread name, from Linux's {@code /proc/self/task/<tid>/}:
 * CPU time and time spent runnable but waiting for a core ({@code schedstat}), and voluntary
 * context switches ({@code status}: the thread went to sleep, in a park, a {@code select} or a
 * blocking system call). A diagnostic of {@code bench remote}: per request, it shows where the CPU
 * goes (the node's I/O threads against the echo server's, the generator's) and how often each kind
 * of thread sleeps and is woken, which is what a request path that hands work between threads pays
 * for. Empty where there is no {@code /proc}; threads that end between two snapshots are missed.
 */
final class ThreadStats {
    private static final Path TASKS = Path.of("/proc/self/task");

    /** Totals of one thread group. */
    record Counters(long cpuNanos, long waitNanos, long voluntarySwitches) {
        Counters plus(Counters o) {
            return new Counters(cpuNanos + o.cpuNanos, waitNanos + o.waitNanos, voluntarySwitches + o.voluntarySwitches);
        }

        Counters minus(Counters o) {
            return new Counters(cpuNanos - o.cpuNanos, waitNanos - o.waitNanos, voluntarySwitches - o.voluntarySwitches);
        }
    }

    private ThreadStats() {
    }

    /** Counters so far, summed per thread group (the name without trailing digits and dashes). */
    static Map<String, Counters> snapshot() {
        Map<String, Counters> byGroup = new TreeMap<>();
        if (!Files.isDirectory(TASKS)) {
            return byGroup;
        }
        try (Stream<Path> tasks = Files.list(TASKS)) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String name = Files.readString(task.resolve("comm")).strip();
                    String[] schedstat = Files.readString(task.resolve("schedstat")).strip().split("\\s+");
                    long voluntary = 0;
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")) {
                            voluntary = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
                        }
                    }
                    byGroup.merge(group(name), new Counters(Long.parseLong(schedstat[0]), Long.parseLong(schedstat[1]),
                            voluntary), Counters::plus);
                } catch (IOException | RuntimeException e) {
                    // the thread ended while we read it, or the kernel has no schedstat
                }
            }
        } catch (IOException e) {
            return byGroup;
        }
        return byGroup;
    }

    /** What happened between two snapshots, per group. */
    static Map<String, Counters> delta(Map<String, Counters> before, Map<String, Counters> after) {
        Map<String, Counters> delta = new TreeMap<>();
        after.forEach((group, counters) -> delta.put(group, counters.minus(before.getOrDefault(group,
                new Counters(0, 0, 0)))));
        return delta;
    }

    static String group(String threadName) {
        String group = threadName.replaceAll("[-_#0-9 ]+$", "");
        return group.isEmpty() ? threadName : group;
    }

    /**
     * Per request, the groups that used at least 0.05 µs of CPU, busiest first: CPU µs, µs waiting
     * for a core, voluntary switches. For example
     * {@code shoal-tcp-1-io 2.10/0.40/0.05, bench-client 0.95/0.20/0.06}.
     */
    static String perRequest(Map<String, Counters> window, long requests) {
        if (window.isEmpty() || requests <= 0) {
            return "n/a";
        }
        List<Map.Entry<String, Counters>> busy = new ArrayList<>();
        for (Map.Entry<String, Counters> e : window.entrySet()) {
            if (e.getValue().cpuNanos() / 1e3 / requests >= 0.05) {
                busy.add(e);
            }
        }
        busy.sort((a, b) -> Long.compare(b.getValue().cpuNanos(), a.getValue().cpuNanos()));
        StringBuilder text = new StringBuilder();
        for (Map.Entry<String, Counters> e : busy) {
            Counters c = e.getValue();
            text.append(text.length() == 0 ? "" : ", ").append(e.getKey()).append(String.format(Locale.ROOT,
                    " %.2f/%.2f/%.2f", c.cpuNanos() / 1e3 / requests, c.waitNanos() / 1e3 / requests,
                    (double) c.voluntarySwitches() / requests));
        }
        return text.length() == 0 ? "n/a" : text.toString();
    }
}
