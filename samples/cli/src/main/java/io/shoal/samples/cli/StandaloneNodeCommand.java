package io.shoal.samples.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.shoal.ClusterJoinException;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code bin/shoal node}: a standalone node serving the wire protocol in the foreground until
 * SIGINT, SIGTERM or SIGHUP (or {@link #stop} in tests), then closed cleanly: GOODBYE to every client,
 * the shutdown snapshot with {@code persistence = file}, every component stopped. The ready line
 * and the final line go to stdout, logs to stderr.
 */
@Command(name = "node", sortOptions = false,
        description = {"Run a standalone node in the foreground, serving clients over TCP, until Ctrl-C or SIGTERM.",
                "Clients speak the wire protocol (docs/protocol.md): the Java client, the commands below, other "
                        + "languages. On Ctrl-C, SIGTERM or SIGHUP the node says GOODBYE to its clients, writes its shutdown "
                        + "snapshot (persistence = file), prints 'shoal node <id> stopped cleanly ...' and exits 0.",
                "A standalone node that listens nowhere would be useless, so transport = tcp is used when the config "
                        + "leaves transport = none (the default). Prints 'shoal node <id> serving at <host:port> (...)' "
                        + "when ready; logs go to stderr."},
        footer = {"", "Exit codes: 0 stopped cleanly, 1 failed to start (one line naming the cause: port in use, bad "
                + "config key, ...), 2 usage error, 4 no seed accepted the node and cluster.requireSeed is set (a "
                + "wrapper script can try other seeds)."})
final class StandaloneNodeCommand implements Callable<Integer>, VerboseCommand {
    /** Exit code when no seed accepted the node and {@code cluster.requireSeed} is set. */
    static final int EXIT_NO_SEED = 4;

    @Option(names = "--config", paramLabel = "FILE",
            description = "The node's config file (HOCON), layered on the defaults (engine-core's reference.conf "
                    + "and each module's). Default: the defaults alone, listening at 127.0.0.1:7800.")
    Path config;

    @Option(names = "--host", paramLabel = "HOST",
            description = "Listen on this address (server.host), e.g. 0.0.0.0 for every interface. "
                    + "Default: the config's, else 127.0.0.1.")
    String host;

    @Option(names = "--port", paramLabel = "PORT",
            description = "Listen on this port (server.port); 0 picks a free one, told in the ready line. "
                    + "Default: the config's, else 7800.")
    Integer port;

    @Option(names = "--id", paramLabel = "ID",
            description = "This node's stable id (node.id): a node that restarts under the same id replaces its old "
                    + "entry in the cluster. Default: the config's, else a random one.")
    String nodeId;

    @Option(names = "--seeds", paramLabel = "HOST:PORT", split = ",",
            description = "Join the cluster through these nodes, tried in order (cluster.seeds). Default: the "
                    + "config's, else none: the node founds a cluster of its own.")
    java.util.List<String> seeds;

    @Option(names = "--savefile", paramLabel = "FILE",
            description = "Save the cluster's data to FILE when this node stops as the last member, and inject FILE "
                    + "into the cluster when it starts and finds it (cluster.savefile; docs/cluster.md section 4). "
                    + "Default: the config's, else off.")
    Path savefile;

    @Option(names = {"-v", "--verbose"}, description = "Print the stack trace of an error.")
    boolean verbose;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @ParentCommand
    ShoalCli cli;

    @Spec
    CommandSpec spec;

    final StopSignal stopSignal = new StopSignal();

    @Override
    public boolean verbose() {
        return verbose;
    }

    /** Asks the running command to close its node and return (tests; a signal does the same). */
    void stop() {
        stopSignal.stop("asked to stop");
    }

    @Override
    public Integer call() throws InterruptedException {
        if (port != null && (port < 0 || port > 65_535)) {
            throw new ParameterException(spec.commandLine(), "--port " + port + " is out of range; allowed: 0 to 65535");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ShoalConfig.Builder builder = ShoalConfig.builder();
        if (config != null) {
            builder.file(config);
        }
        String transport = effectiveSetting("transport");
        if (transport == null || transport.equals("none")) {
            builder.set("transport", "tcp");
        }
        if (host != null) {
            builder.set("server.host", host);
        }
        if (port != null) {
            builder.set("server.port", port);
        }
        if (nodeId != null) {
            builder.set("node.id", nodeId);
        }
        if (seeds != null) {
            builder.set("cluster.seeds", seeds);
        }
        if (savefile != null) {
            builder.set("cluster.savefile", savefile.toString());
        }

        AtomicReference<ShoalNode> running = new AtomicReference<>();
        Thread hook = new Thread(() -> {
            // Any other way the JVM exits (System.exit elsewhere, signals the handlers could not take):
            // close the node and wait for it. close() is idempotent and waits for a close under way.
            // Chronicle Map's own shutdown hook closes the stores meanwhile, so the shutdown snapshot
            // may fail here; the log still holds every acknowledged change.
            ShoalNode node = running.get();
            if (node != null) {
                node.close();
            }
        }, "shoal-node-shutdown");
        if (cli.ownsProcess) {
            // Installed before the node starts, so that a signal during the start stops it cleanly too.
            Runtime.getRuntime().addShutdownHook(hook);
            if (!stopSignal.installSignalHandlers("node", err)) {
                err.println("shoal node: cannot handle SIGINT/SIGTERM/SIGHUP in this JVM; they will still close the node "
                        + "through a shutdown hook, with exit code 128 + the signal");
            }
        }
        long startedNanos = System.nanoTime();
        ShoalNode node;
        try {
            node = Shoal.start(builder.build());
        } catch (ClusterJoinException e) {
            err.println("shoal node: " + e.getMessage());
            err.flush();
            return EXIT_NO_SEED;
        }
        running.set(node);
        String address = node.serverAddress().orElse("(nowhere)");
        String persistence = effectiveSetting("persistence");
        out.printf("shoal node %s serving at %s (persistence=%s, buckets=%d)%n", node.nodeId(), address,
                persistence == null ? "?" : persistence, node.stats().bucketCount());
        out.flush();

        String why;
        try {
            why = stopSignal.await();
        } finally {
            node.close(); // also when interrupted (an embedding caller gave up)
        }
        Duration served = Duration.ofNanos(System.nanoTime() - startedNanos);
        if (cli.ownsProcess) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down; the hook finds the node closed
            }
        }
        out.printf(Locale.ROOT, "shoal node %s stopped cleanly (%s) after %.1f s%n", node.nodeId(), why,
                served.toMillis() / 1e3);
        out.flush();
        return 0;
    }

    /**
     * A top-level setting ({@code transport}, {@code persistence}) as the node resolves it: the file
     * over system properties over every reference.conf. Null if it cannot be read; the node's start
     * then reports why.
     */
    private String effectiveSetting(String key) {
        try {
            Config file = config != null && Files.isRegularFile(config)
                    ? ConfigFactory.parseFile(config.toFile()) : ConfigFactory.empty();
            return file.withFallback(ConfigFactory.systemProperties())
                    .withFallback(ConfigFactory.defaultReferenceUnresolved())
                    .resolve()
                    .getString(key)
                    .trim();
        } catch (com.typesafe.config.ConfigException e) {
            return null;
        }
    }
}
