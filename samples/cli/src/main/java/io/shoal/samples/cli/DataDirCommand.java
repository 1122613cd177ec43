package io.shoal.samples.cli;

import com.typesafe.config.ConfigFactory;
import io.shoal.Shoal;
import io.shoal.ShoalNode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * A command that works on a node's data directory directly: it starts the node of {@code --config}
 * in this process, works, and closes it (which also writes the node's shutdown snapshot). The node
 * must not be running elsewhere; persist-file's directory lock refuses a second one.
 */
abstract class DataDirCommand implements Callable<Integer>, VerboseCommand {

    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "The node's config file (HOCON). It must set persistence = file; node.dataDir and "
                    + "persist-file.dir, if relative, resolve against the current directory.")
    Path config;

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

    /**
     * Starts the node; refuses a config without persistence, whose node would hold nothing to
     * export and lose what it imported when the command ends.
     */
    ShoalNode startNode() {
        ShoalNode node = Shoal.start(config);
        String persistence = ConfigFactory.parseFile(config.toFile())
                .withFallback(ConfigFactory.systemProperties())
                .withFallback(ConfigFactory.defaultReferenceUnresolved())
                .resolve()
                .getString("persistence").trim();
        if (persistence.equals("none")) {
            node.close();
            throw new IllegalArgumentException(config + " sets no persistence (persistence = none), so its node "
                    + "keeps no data between runs; set persistence = file and node.dataDir");
        }
        return node;
    }

    ProgressDisplay progress(String verb) {
        return new ProgressDisplay(verb, spec.commandLine().getErr(), cli.stderrIsTerminal, System::nanoTime);
    }
}
