package io.shoal.samples.check;

import io.shoal.samples.check.CheckResult.Kind;
import io.shoal.samples.check.CheckResult.Violation;

import java.io.PrintWriter;
import java.util.Locale;

/** Writes a {@link CheckResult} for people: per kind of violation, its count, meaning and first examples. */
final class Report {
    private Report() {
    }

    static void print(PrintWriter err, CheckResult result, RunClock clock) {
        err.printf(Locale.ROOT, "shoal check: checked %d operations: %d wrong, %d lost; final read-back: %d keys read%s%n",
                result.operations(), result.wrong(), result.lost(), result.keysWithFinalValue(),
                result.keysWithoutFinalRead() == 0 ? "" : ", " + result.keysWithoutFinalRead() + " keys NOT read");
        for (Kind kind : Kind.values()) {
            long count = result.count(kind);
            if (count == 0) {
                continue;
            }
            err.printf(Locale.ROOT, "  %s %s %d: %s%n", kind.lost ? "LOST" : "WRONG", kind, count, kind.meaning);
            for (Violation v : result.examples(kind)) {
                err.println("    " + describe(v, clock));
            }
        }
        err.flush();
    }

    static String describe(Violation v, RunClock clock) {
        StringBuilder sb = new StringBuilder();
        sb.append("key ").append(Workload.keyName(v.key())).append(": ");
        Op op = v.op();
        if (op.isRead()) {
            sb.append(op.kind() == Op.Kind.FINAL_READ ? "final read got " : "read got ").append(op.valueText());
        } else {
            sb.append("write of ").append(op.valueText());
        }
        sb.append(" (").append(span(op, clock)).append("); expected ").append(v.expected());
        if (v.witness() != null) {
            Op w = v.witness();
            sb.append(" [").append(w.isRead() ? "read got " : "write of ").append(w.valueText()).append(' ')
                    .append(span(w, clock)).append(w.isRead() ? "" : " " + w.outcome()).append(']');
        }
        return sb.toString();
    }

    private static String span(Op op, RunClock clock) {
        return "called " + clock.wallTime(op.startNanos()) + ", returned " + clock.wallTime(op.endNanos());
    }
}
