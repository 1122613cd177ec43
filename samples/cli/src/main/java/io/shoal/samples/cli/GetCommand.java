package io.shoal.samples.cli;

import io.shoal.client.ShoalClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code bin/shoal get KEY}: prints the value, or exits 3. */
@Command(name = "get", sortOptions = false,
        description = "Print the value of KEY (alone on its line, as UTF-8 text or, with --hex, hex).",
        footer = {"", "Exit codes: 0 found, 3 not found (a line on stderr, nothing on stdout), 1 failed, 2 usage error."})
final class GetCommand extends MapCommand {

    @Parameters(index = "0", paramLabel = "KEY", description = "The key.")
    String key;

    private byte[] keyBytes;

    @Override
    void checkArguments() {
        keyBytes = bytes(key, "KEY");
    }

    @Override
    int run(ShoalClient client) {
        byte[] value = map(client).get(keyBytes);
        if (value == null) {
            err().println("shoal get: not found: key " + field(keyBytes) + " in map \"" + map + "\"");
            err().flush();
            return ShoalCli.NOT_FOUND;
        }
        out().println(plain(value));
        out().flush();
        return 0;
    }
}
