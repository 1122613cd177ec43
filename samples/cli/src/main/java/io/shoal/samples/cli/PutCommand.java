package io.shoal.samples.cli;

import io.shoal.ShoalMap;
import io.shoal.client.ShoalClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;

/** {@code bin/shoal put KEY VALUE [--ttl D]}: prints the new value's version. */
@Command(name = "put", sortOptions = false,
        description = "Set KEY to VALUE and print 'version N', the new value's version.",
        footer = {"", "Exit codes: 0 stored (as durable as the node's persistence promises), 1 failed (the node's "
                + "reason: memory limit, entry too large, disk; after a timeout the write may or may not have been "
                + "applied), 2 usage error."})
final class PutCommand extends MapCommand {

    @Parameters(index = "0", paramLabel = "KEY", description = "The key.")
    String key;

    @Parameters(index = "1", paramLabel = "VALUE", description = "The value.")
    String value;

    @Option(names = "--ttl", paramLabel = "DURATION", converter = Converters.PositiveDuration.class,
            description = "Time to live (10s, 5m, 1h, ...), after which the entry expires. Default: none.")
    Duration ttl;

    private byte[] keyBytes;
    private byte[] valueBytes;

    @Override
    void checkArguments() {
        keyBytes = bytes(key, "KEY");
        valueBytes = bytes(value, "VALUE");
    }

    @Override
    int run(ShoalClient client) {
        ShoalMap<byte[], byte[]> target = map(client);
        long version = ttl == null ? target.put(keyBytes, valueBytes) : target.put(keyBytes, valueBytes, ttl);
        out().println("version " + version);
        out().flush();
        return 0;
    }
}
