package io.shoal.samples.bench;

import java.util.Locale;

/**
 * The {@code RESULT} line format every benchmark of this module prints, in one place:
 * {@code RESULT <name> <ratio> (<details>) [target>=X met|missed]}, or
 * {@code RESULT <name> n/a (<why>) [target>=X unknown]} when a figure is missing. The ratio is
 * ours divided by the peer's (higher is better for Shoal) with three decimals; a target is judged
 * on the exact ratio, not on the decimals printed. Pure formatting.
 */
final class ResultLines {
    private ResultLines() {
    }

    /**
     * One line. {@code details} goes between the parentheses: the figures when {@code measured},
     * else why nothing was measured. {@code target} is NaN when the issue sets none.
     */
    static String line(String name, boolean measured, double ratio, String details, double target) {
        StringBuilder line = new StringBuilder("RESULT ").append(name).append(' ');
        if (measured) {
            line.append(String.format(Locale.ROOT, "%.3f", ratio));
        } else {
            line.append("n/a");
        }
        line.append(" (").append(details).append(')');
        if (!Double.isNaN(target)) {
            line.append(" target>=").append(formatTarget(target)).append(' ')
                    .append(!measured ? "unknown" : met(ratio, target) ? "met" : "missed");
        }
        return line.toString();
    }

    /** Whether {@code ratio} meets {@code target}, on the exact value. */
    static boolean met(double ratio, double target) {
        return ratio >= target;
    }

    /** For example {@code targets met: 5 of 6}, or {@code targets met: 3 of 6 (1 not measured)}. */
    static String targetSummary(int withTarget, int met, int unknown) {
        return "targets met: " + met + " of " + withTarget + (unknown > 0 ? " (" + unknown + " not measured)" : "");
    }

    /** {@code 8} rather than {@code 8.0}; {@code 0.7} as it is. */
    static String formatTarget(double target) {
        return target == Math.rint(target) ? String.valueOf((long) target) : String.valueOf(target);
    }
}
