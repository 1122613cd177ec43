package io.shoal.samples.cli;

import io.shoal.client.ShoalClient;
import picocli.CommandLine.Command;

import java.util.Map;

/** {@code bin/shoal stats}: the node's STATS, one {@code name value} line each. */
@Command(name = "stats", sortOptions = false,
        description = {"Print the node's counters (STATS) as 'name value' lines.",
                "In the node's order: entries, memoryUsedBytes, memoryMaxBytes, evictions, expirations, eventsDropped, "
                        + "connections, requests, opsPerSecond, uptimeMs, ... (see the README's protocol server "
                        + "section)."},
        footer = {"", "Exit codes: 0 done, 1 failed, 2 usage error."})
final class StatsCommand extends RemoteCommand {

    @Override
    int run(ShoalClient client) {
        for (Map.Entry<String, Long> stat : client.stats().entrySet()) {
            out().println(stat.getKey() + " " + stat.getValue());
        }
        out().flush();
        return 0;
    }
}
