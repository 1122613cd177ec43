package io.shoal.samples.cli;

import io.shoal.ConfigException;
import io.shoal.ShoalException;
import io.shoal.client.ClientConfig;
import io.shoal.client.ShoalClient;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * A command that talks to running nodes over the wire protocol through the Java client
 * ({@link ShoalClient}): it connects to the first of {@code --nodes} that answers, runs, and closes
 * the client (GOODBYE).
 */
abstract class RemoteCommand implements Callable<Integer>, VerboseCommand {

    @Option(names = "--nodes", split = ",", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:7800",
            description = "The nodes to try, in order, comma-separated. Default: ${DEFAULT-VALUE}.")
    List<String> nodes;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s",
            converter = Converters.PositiveDuration.class,
            description = "Bound on connecting to each node and on each request (250ms, 2s, 1m, ...). "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    @Option(names = "--secret", paramLabel = "SECRET", defaultValue = "${env:SHOAL_SECRET}",
            description = "The nodes' shared secret (server.auth.secret). Default: the environment variable "
                    + "SHOAL_SECRET (better: the command line shows in ps); unset or empty for none.")
    String secret;

    @Option(names = {"-v", "--verbose"}, description = "Print the stack trace of an error.")
    boolean verbose;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @ParentCommand
    ShoalCli cli;

    @Spec
    CommandSpec spec;

    @Override
    public boolean verbose() {
        return verbose;
    }

    @Override
    public final Integer call() throws Exception {
        ClientConfig config = clientConfig();
        checkArguments();
        ShoalClient connected;
        try {
            connected = ShoalClient.connect(config);
        } catch (ShoalException e) {
            String message = String.valueOf(e.getMessage());
            if (!message.contains("ClientConfig.secret")) {
                throw e;
            }
            // The client's message speaks of its Java API; say what to do on this command line.
            throw new ShoalException(message.replace("set ClientConfig.secret to", "give with --secret (or SHOAL_SECRET)")
                    .replace("ClientConfig.secret", "--secret (or SHOAL_SECRET)"), e);
        }
        try (ShoalClient client = connected) {
            return run(client);
        }
    }

    /** Checks and converts the command's own arguments before it connects: usage errors come first. */
    void checkArguments() {
    }

    /** Does the command's work on a connected client; returns the exit code. */
    abstract int run(ShoalClient client) throws Exception;

    ClientConfig clientConfig() {
        try {
            ClientConfig.Builder builder = ClientConfig.builder()
                    .nodes(nodes)
                    .connectTimeout(timeout)
                    .requestTimeout(timeout)
                    .clientName("shoal-cli " + spec.name());
            if (secret != null && !secret.isEmpty()) {
                builder.secret(secret);
            }
            return builder.build();
        } catch (ConfigException e) {
            String message = e.getMessage().startsWith(e.key() + ": ")
                    ? e.getMessage().substring(e.key().length() + 2) : e.getMessage();
            throw new ParameterException(spec.commandLine(), "Invalid " + option(e.key()) + ": " + message);
        }
    }

    private static String option(String clientSetting) {
        return switch (clientSetting) {
            case "nodes" -> "--nodes";
            case "connectTimeout", "requestTimeout" -> "--timeout";
            case "secret" -> "--secret";
            default -> clientSetting;
        };
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
