package io.shoal.samples.cli;

import io.shoal.client.ShoalClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.util.Locale;

/** {@code bin/shoal ping [--count N]}: PING round trips and their times. */
@Command(name = "ping", sortOptions = false,
        description = "Send PING to the node, one after the other, and print each round-trip time, then min/avg/max.",
        footer = {"", "Exit codes: 0 every ping answered, 1 failed (no node reached, or a ping not answered within "
                + "--timeout), 2 usage error."})
final class PingCommand extends RemoteCommand {

    @Option(names = {"-c", "--count"}, paramLabel = "N", defaultValue = "3",
            description = "How many pings. Default: ${DEFAULT-VALUE}.")
    int count;

    @Override
    void checkArguments() {
        if (count < 1) {
            throw new ParameterException(spec.commandLine(), "--count " + count + " must be at least 1");
        }
    }

    @Override
    int run(ShoalClient client) {
        long min = Long.MAX_VALUE;
        long max = 0;
        long total = 0;
        String at = "?";
        for (int i = 1; i <= count; i++) {
            long nanos = client.ping().toNanos();
            at = client.connectedNode().orElse("?");
            out().printf(Locale.ROOT, "pong from %s: seq=%d time=%s%n", at, i, millis(nanos));
            out().flush();
            min = Math.min(min, nanos);
            max = Math.max(max, nanos);
            total += nanos;
        }
        out().printf(Locale.ROOT, "%d pings to %s: min %s, avg %s, max %s%n", count, at, millis(min),
                millis(total / count), millis(max));
        out().flush();
        return 0;
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
    }
}
