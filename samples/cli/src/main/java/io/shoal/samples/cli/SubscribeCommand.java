package io.shoal.samples.cli;

import io.shoal.ChangeEvent;
import io.shoal.ChangeListener;
import io.shoal.ShoalMap;
import io.shoal.Subscription;
import io.shoal.client.ShoalClient;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/**
 * {@code bin/shoal subscribe [--key K | --prefix P]}: prints change events as they arrive, until
 * SIGINT, SIGTERM or SIGHUP (or {@link #stop} in tests).
 */
@Command(name = "subscribe", sortOptions = false,
        description = {"Print the changes of a map, a key or a key prefix as they happen, until Ctrl-C.",
                "One line each:",
                "  CREATED bucket=99 seq=1 key=\"k\" value=\"v\"    (UPDATED alike)",
                "  REMOVED bucket=99 seq=2 key=\"k\"              (EXPIRED, EVICTED alike)",
                "  DROPPED count=N   N events were dropped (a slow reader): re-read",
                "  MISSED            reconnected: changes may have been missed",
                "Keys and values are quoted UTF-8 text with \\\" \\\\ \\n \\r \\t \\uXXXX escapes, or hex with --hex. "
                        + "A line on stderr says when the subscription is in place."},
        footer = {"", "Exit codes: 0 stopped by Ctrl-C, SIGTERM or SIGHUP, 1 failed (no node reached, subscription refused), "
                + "2 usage error."})
final class SubscribeCommand extends MapCommand {

    static final class Match {
        @Option(names = "--key", paramLabel = "KEY", description = "Only the changes of this key.")
        String key;

        @Option(names = "--prefix", paramLabel = "PREFIX", description = "Only the changes of keys starting with "
                + "these bytes.")
        String prefix;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Match match;

    final StopSignal stopSignal = new StopSignal();

    private byte[] matchBytes;

    @Override
    void checkArguments() {
        if (match != null) {
            matchBytes = match.key != null ? bytes(match.key, "--key") : bytes(match.prefix, "--prefix");
        }
    }

    /** Asks the running command to unsubscribe and return (tests; a signal does the same). */
    void stop() {
        stopSignal.stop("asked to stop");
    }

    @Override
    int run(ShoalClient client) throws InterruptedException {
        if (cli.ownsProcess) {
            stopSignal.installSignalHandlers("subscribe", err());
        }
        PrintWriter out = out();
        ShoalMap<byte[], byte[]> changes = map(client);
        ChangeListener<byte[], byte[]> printer = new ChangeListener<>() {
            @Override
            public void onChange(ChangeEvent<byte[], byte[]> e) {
                out.println(e.type() + " bucket=" + e.bucket() + " seq=" + e.sequence() + " key=" + field(e.key())
                        + (e.value() == null ? "" : " value=" + field(e.value())));
                out.flush();
            }

            @Override
            public void onEventsDropped(long count) {
                out.println("DROPPED count=" + count);
                out.flush();
            }

            @Override
            public void onEventsMissed() {
                out.println("MISSED");
                out.flush();
            }
        };
        String what;
        Subscription subscription;
        if (match != null && match.key != null) {
            what = "key " + field(matchBytes) + " of map \"" + map + "\"";
            subscription = changes.addKeyListener(matchBytes, printer);
        } else if (match != null && match.prefix != null) {
            what = "keys starting with " + field(matchBytes) + " in map \"" + map + "\"";
            subscription = changes.addPrefixListener(matchBytes, printer);
        } else {
            what = "map \"" + map + "\"";
            subscription = changes.addListener(printer);
        }
        try (subscription) {
            err().println("shoal subscribe: subscribed to " + what + " at " + client.connectedNode().orElse("?")
                    + "; Ctrl-C to stop");
            err().flush();
            stopSignal.await();
        }
        return 0;
    }
}
