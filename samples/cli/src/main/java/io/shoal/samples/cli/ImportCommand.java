package io.shoal.samples.cli;

import io.shoal.ImportMode;
import io.shoal.ShoalNode;
import io.shoal.TransferSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code bin/shoal import}: {@link ShoalNode#importMaps} into the node of {@code --config}. */
@Command(name = "import", sortOptions = false,
        description = "Load an export file into a stopped node; when the command ends, the entries are durable "
                + "in the node's files. If it fails halfway, the entries imported before stay.")
final class ImportCommand extends DataDirCommand {

    @Option(names = "--in", required = true, paramLabel = "FILE", description = "The export file to read.")
    Path in;

    @Option(names = "--keep-existing",
            description = "Keep the node's value of a key that has one. Default: the file's value replaces it.")
    boolean keepExisting;

    @Override
    public Integer call() {
        ProgressDisplay progress = progress("import");
        TransferSummary summary;
        try (ShoalNode node = startNode()) {
            summary = node.importMaps(in, keepExisting ? ImportMode.KEEP_EXISTING : ImportMode.OVERWRITE, progress);
        } finally {
            progress.finish();
        }
        spec.commandLine().getOut().printf(
                "imported %,d entries of %d maps from %s (%s) in %s; %,d expired skipped, %,d existing kept%n",
                summary.entries(), summary.mapCount(), in, ProgressDisplay.megabytes(summary.fileBytes()),
                ProgressDisplay.seconds(summary.elapsed()), summary.skippedExpired(), summary.skippedExisting());
        return 0;
    }
}
