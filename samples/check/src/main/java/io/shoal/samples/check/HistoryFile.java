package io.shoal.samples.check;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * {@code --json-history FILE}: the run as JSON lines, in call order, for other tools. Times are
 * seconds since the run started. An operation:
 * {@code {"type":"write","key":"k17","value":"w1-k17-33","start":1.234567,"end":1.240001,"outcome":"OK"}}
 * ({@code type} write, read or final-read; {@code value} null for a read that found nothing; a call
 * that failed with BucketLostException has {@code "error":"BUCKET_LOST"} after the outcome); a fault:
 * {@code {"type":"fault","n":3,"what":"SIGKILL n2, restart after 2.1 s","start":12.5,"end":16.0,"healed":19.2}}
 * ({@code end}: the node was back; {@code healed}: the cluster was healthy again, null if it was not).
 */
final class HistoryFile {
    private HistoryFile() {
    }

    static void write(Path file, List<Op> ops, List<FaultInjector.Applied> faults, RunClock clock) throws IOException {
        List<Op> sorted = new ArrayList<>(ops);
        sorted.sort(Comparator.comparingLong(Op::startNanos));
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            int f = 0;
            for (Op op : sorted) {
                while (f < faults.size() && faults.get(f).startNanos() <= op.startNanos()) {
                    fault(out, faults.get(f++), clock);
                }
                String type = switch (op.kind()) {
                    case WRITE -> "write";
                    case READ -> "read";
                    case FINAL_READ -> "final-read";
                };
                String value = op.value() == Values.ABSENT ? "null"
                        : Cluster.quote(op.value() == Values.FOREIGN ? String.valueOf(op.foreignValue())
                        : Values.text(op.value(), op.key()));
                out.write(String.format(Locale.ROOT,
                        "{\"type\":\"%s\",\"key\":%s,\"value\":%s,\"start\":%.6f,\"end\":%.6f,\"outcome\":\"%s\"%s}%n",
                        type, Cluster.quote(Workload.keyName(op.key())), value, clock.seconds(op.startNanos()),
                        clock.seconds(op.endNanos()), op.outcome(), op.bucketLost() ? ",\"error\":\"BUCKET_LOST\"" : ""));
            }
            while (f < faults.size()) {
                fault(out, faults.get(f++), clock);
            }
        }
    }

    private static void fault(BufferedWriter out, FaultInjector.Applied fault, RunClock clock) throws IOException {
        out.write(String.format(Locale.ROOT,
                "{\"type\":\"fault\",\"n\":%d,\"what\":%s,\"start\":%.6f,\"end\":%.6f,\"healed\":%s}%n",
                fault.number(), Cluster.quote(fault.what()), clock.seconds(fault.startNanos()),
                clock.seconds(fault.endNanos()), fault.healedNanos() < 0 ? "null"
                        : String.format(Locale.ROOT, "%.6f", clock.seconds(fault.healedNanos()))));
    }
}
