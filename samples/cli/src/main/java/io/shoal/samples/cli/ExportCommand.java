package io.shoal.samples.cli;

import io.shoal.ShoalNode;
import io.shoal.TransferSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code bin/shoal export}: {@link ShoalNode#exportMaps} on the node of {@code --config}. */
@Command(name = "export", sortOptions = false,
        description = "Write maps of a stopped node to a portable export file (format: docs/formats.md section 3). "
                + "The file appears complete or not at all.")
final class ExportCommand extends DataDirCommand {

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The export file to write (replaced if it exists).")
    Path out;

    @Option(names = "--map", paramLabel = "NAME", description = "A map to export; repeat for more. Default: every map.")
    List<String> maps = new ArrayList<>();

    @Override
    public Integer call() {
        ProgressDisplay progress = progress("export");
        TransferSummary summary;
        try (ShoalNode node = startNode()) {
            summary = node.exportMaps(out, maps, progress);
        } finally {
            progress.finish();
        }
        spec.commandLine().getOut().printf("exported %,d entries of %d maps to %s (%s) in %s; %,d expired left out%n",
                summary.entries(), summary.mapCount(), out, ProgressDisplay.megabytes(summary.fileBytes()),
                ProgressDisplay.seconds(summary.elapsed()), summary.skippedExpired());
        return 0;
    }
}
