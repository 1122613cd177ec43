package io.shoal.samples.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * {@code bin/shoal}'s Java commands: one picocli top command with a subcommand per operation.
 * Exit codes: 0 done, 1 failed (one line on stderr, the stack trace too with {@code --verbose}),
 * 2 bad usage (picocli's message and the usage on stderr), 3 key not found ({@code get}).
 */
@Command(name = "shoal",
        subcommands = {StandaloneNodeCommand.class, GetCommand.class, PutCommand.class, DeleteCommand.class,
                HashCommand.class, PingCommand.class, StatsCommand.class, SubscribeCommand.class,
                ClusterCommand.class, ExportCommand.class, ImportCommand.class},
        description = "Shoal's command line; run a command with --help for its options.",
        footer = {"", "Exit codes: 0 done, 1 failed (one line on stderr; --verbose adds the stack trace), "
                + "2 usage error, 3 key not found (get)."})
public final class ShoalCli implements Callable<Integer> {
    /** Set by bin/shoal, which can tell whether stderr is a terminal ({@code [ -t 2 ]}); Java alone cannot. */
    static final String STDERR_IS_TERMINAL = "shoal.cli.stderrIsTerminal";
    /** {@code get}: the key has no value. */
    static final int NOT_FOUND = 3;

    final boolean stderrIsTerminal;
    /**
     * Whether the commands run as the process's program ({@link #main}): then {@code node} and
     * {@code subscribe} handle SIGINT, SIGTERM and SIGHUP, and {@code node} adds a shutdown hook. False in tests,
     * whose JVM keeps its own signal handling.
     */
    final boolean ownsProcess;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    ShoalCli(boolean stderrIsTerminal, boolean ownsProcess) {
        this.stderrIsTerminal = stderrIsTerminal;
        this.ownsProcess = ownsProcess;
    }

    public static void main(String[] args) {
        boolean terminal = Boolean.parseBoolean(System.getProperty(STDERR_IS_TERMINAL,
                String.valueOf(System.console() != null)));
        CommandLine commandLine = commandLine(terminal, true);
        // Keys and values are UTF-8 whatever the platform's default charset (often ASCII in containers).
        commandLine.setOut(utf8(new FileOutputStream(FileDescriptor.out)));
        commandLine.setErr(utf8(new FileOutputStream(FileDescriptor.err)));
        int exitCode = commandLine.execute(args);
        commandLine.getOut().flush();
        commandLine.getErr().flush();
        System.exit(exitCode);
    }

    private static PrintWriter utf8(FileOutputStream stream) {
        return new PrintWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), true);
    }

    /** The command line with Shoal's error handling, for tests; {@code execute} returns the exit code. */
    static CommandLine commandLine(boolean stderrIsTerminal) {
        return commandLine(stderrIsTerminal, false);
    }

    static CommandLine commandLine(boolean stderrIsTerminal, boolean ownsProcess) {
        CommandLine commandLine = new CommandLine(new ShoalCli(stderrIsTerminal, ownsProcess));
        commandLine.setExecutionExceptionHandler(ShoalCli::failed);
        return commandLine;
    }

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "Missing command: node, get, put, delete, hash, ping, stats, subscribe, export or import");
    }

    private static int failed(Exception e, CommandLine commandLine, ParseResult parsed) {
        PrintWriter err = commandLine.getErr();
        String message = e.getMessage() == null ? e.toString() : e.getMessage().replace('\n', ' ');
        err.println("shoal " + commandLine.getCommandName() + ": " + message);
        if (commandLine.getCommand() instanceof VerboseCommand command && command.verbose()) {
            e.printStackTrace(err);
        }
        err.flush();
        return CommandLine.ExitCode.SOFTWARE;
    }
}
