package io.shoal.samples.cli;

import io.shoal.ShoalException;
import io.shoal.client.ShoalClient;
import io.shoal.protocol.ClusterWire;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.Message;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** {@code bin/shoal cluster pause|resume|status}: the cluster's pause state (CLUSTER_STATE). */
@Command(name = "cluster", sortOptions = false,
        description = {"Pause or resume the whole cluster, or show whether it is paused.",
                "pause: every member refuses writes (reads are served) and no bucket moves until resumed; "
                        + "resume: writes and rebalancing go on; status: prints 'paused' or 'running' and the "
                        + "partition table's version. Any member passes pause and resume to the coordinator."},
        footer = {"", "Exit codes: 0 done, 1 failed, 2 usage error."})
final class ClusterCommand extends RemoteCommand {

    enum Action { pause, resume, status }

    @Parameters(index = "0", paramLabel = "ACTION", description = "pause, resume or status.")
    Action action;

    @Override
    int run(ShoalClient client) {
        int code = switch (action) {
            case pause -> ClusterWire.PAUSE;
            case resume -> ClusterWire.RESUME;
            case status -> ClusterWire.QUERY;
        };
        Message answer;
        try {
            answer = client.send(new Request.ClusterState(code)).get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new ShoalException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new ShoalException("no answer to CLUSTER_STATE within " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ShoalException("interrupted");
        }
        if (answer instanceof ErrorReply error) {
            throw new ShoalException("the node answered " + error.code() + ": " + error.message());
        }
        Reply.ClusterState state = (Reply.ClusterState) answer;
        out().printf(Locale.ROOT, "%s (table version %d)%n", state.paused() ? "paused" : "running", state.tableVersion());
        out().flush();
        return 0;
    }
}
