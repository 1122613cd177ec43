package io.shoal.samples.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code bin/shoal}'s Java commands: one picocli top command with a subcommand per operation.
 * Exit codes: 0 done, 1 failed (one line on stderr, the stack trace too with {@code --verbose}),
 * 2 bad usage (picocli's message and the usage on stderr).
 */
@Command(name = "shoal", subcommands = {ExportCommand.class, ImportCommand.class},
        description = "Shoal's command line; run a command with --help for its options.")
public final class ShoalCli implements Callable<Integer> {
    /** Set by bin/shoal, which can tell whether stderr is a terminal ({@code [ -t 2 ]}); Java alone cannot. */
    static final String STDERR_IS_TERMINAL = "shoal.cli.stderrIsTerminal";

    final boolean stderrIsTerminal;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    ShoalCli(boolean stderrIsTerminal) {
        this.stderrIsTerminal = stderrIsTerminal;
    }

    public static void main(String[] args) {
        boolean terminal = Boolean.parseBoolean(System.getProperty(STDERR_IS_TERMINAL,
                String.valueOf(System.console() != null)));
        System.exit(commandLine(terminal).execute(args));
    }

    /** The command line with Shoal's error handling; {@code execute} returns the exit code. */
    static CommandLine commandLine(boolean stderrIsTerminal) {
        CommandLine commandLine = new CommandLine(new ShoalCli(stderrIsTerminal));
        commandLine.setExecutionExceptionHandler(ShoalCli::failed);
        return commandLine;
    }

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: export or import");
    }

    private static int failed(Exception e, CommandLine commandLine, ParseResult parsed) {
        PrintWriter err = commandLine.getErr();
        String message = e.getMessage() == null ? e.toString() : e.getMessage().replace('\n', ' ');
        err.println("shoal " + commandLine.getCommandName() + ": " + message);
        if (commandLine.getCommand() instanceof NodeCommand command && command.verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return CommandLine.ExitCode.SOFTWARE;
    }
}
