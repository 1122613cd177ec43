package io.shoal.samples.cli;

import io.shoal.Codecs;
import io.shoal.ShoalMap;
import io.shoal.client.ShoalClient;
import picocli.CommandLine.Option;

/** A remote command on one map ({@code --map}), read and written as raw bytes. */
abstract class MapCommand extends KeyedCommand {

    @Option(names = "--map", paramLabel = "NAME", defaultValue = "default",
            description = "The map. Default: ${DEFAULT-VALUE}.")
    String map;

    ShoalMap<byte[], byte[]> map(ShoalClient client) {
        return client.map(map, Codecs.bytes(), Codecs.bytes());
    }
}
