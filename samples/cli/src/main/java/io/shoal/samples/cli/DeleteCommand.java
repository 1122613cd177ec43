package io.shoal.samples.cli;

import io.shoal.client.ShoalClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code bin/shoal delete KEY}: prints whether a value was removed. */
@Command(name = "delete", sortOptions = false,
        description = "Remove KEY; print 'removed', or 'not present' if it had no value.",
        footer = {"", "Exit codes: 0 done (removed or not present: either way the key has no value now), 1 failed, "
                + "2 usage error."})
final class DeleteCommand extends MapCommand {

    @Parameters(index = "0", paramLabel = "KEY", description = "The key.")
    String key;

    private byte[] keyBytes;

    @Override
    void checkArguments() {
        keyBytes = bytes(key, "KEY");
    }

    @Override
    int run(ShoalClient client) {
        boolean removed = map(client).remove(keyBytes);
        out().println(removed ? "removed" : "not present");
        out().flush();
        return 0;
    }
}
