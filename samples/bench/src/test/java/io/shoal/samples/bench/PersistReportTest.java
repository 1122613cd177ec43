package io.shoal.samples.bench;

import io.shoal.samples.bench.PersistReport.Subject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Formatting and arithmetic of the persist benchmark's report, on made-up numbers. */
class PersistReportTest {

    private static PersistReport fullReport() {
        PersistReport report = new PersistReport(168);
        for (double factor : new double[] {1.0, 0.9, 1.1}) { // medians: the 1.0 figures
            report.add(Subject.LOG_APPEND, 600_000_000 * factor);
            report.add(Subject.RAW_WRITE, 800_000_000 * factor);
            report.add(Subject.NODE_PUT, 90_000 * factor);
            report.add(Subject.DISK_FSYNC, 10_000 * factor);
            report.add(Subject.NODE_RECOVERY, 1_500_000 * factor);
            report.add(Subject.RAW_READ, 50_000_000 * factor);
            report.add(Subject.CHRONICLE_INSERT, 2_000_000 * factor);
            report.add(Subject.EMPTY_NODE_START, 60 * factor);
        }
        return report;
    }

    @Test
    void resultLinesCompareWithTheSlowerBaselineAndJudgeTargets() {
        assertEquals(List.of(
                "RESULT persist.append.interval.vs.raw 0.750 (600000000 vs 800000000 bytes/s) target>=0.7 met",
                "RESULT persist.put.always.16t.per.fsync 9.000 (90000 puts/s vs 10000 fsyncs/s) target>=8 met",
                "RESULT persist.recovery.vs.slower 0.750 (1500000 vs 2000000 records/s; slower: raw Chronicle Map"
                        + " inserts) target>=0.7 met",
                "RESULT persist.recovery.vs.raw-read 0.030 (1500000 vs 50000000 records/s)",
                "RESULT persist.recovery.vs.chronicle 0.750 (1500000 vs 2000000 records/s)"),
                fullReport().resultLines());
        assertEquals("targets met: 3 of 3", fullReport().targetSummary());
        assertTrue(fullReport().missing().isEmpty());
    }

    @Test
    void theSlowerBaselineIsWhicheverScoredLower() {
        PersistReport report = new PersistReport(168);
        report.add(Subject.NODE_RECOVERY, 1_500_000);
        report.add(Subject.RAW_READ, 1_000_000);
        report.add(Subject.CHRONICLE_INSERT, 2_000_000);
        assertEquals("RESULT persist.recovery.vs.slower 1.500 (1500000 vs 1000000 records/s; slower: raw sequential"
                + " read of the segments) target>=0.7 met", report.resultLines().get(2));
    }

    @Test
    void scoreIsTheMedianOfTheRounds() {
        PersistReport report = new PersistReport(168);
        report.add(Subject.NODE_PUT, 3);
        report.add(Subject.NODE_PUT, 1);
        report.add(Subject.NODE_PUT, 100);
        assertEquals(3, report.score(Subject.NODE_PUT));
        report.add(Subject.NODE_PUT, 5);
        assertEquals(4, report.score(Subject.NODE_PUT));
        assertTrue(Double.isNaN(report.score(Subject.DISK_FSYNC)));
    }

    @Test
    void targetIsJudgedOnTheExactRatio() {
        PersistReport report = new PersistReport(168);
        report.add(Subject.NODE_PUT, 79_999);
        report.add(Subject.DISK_FSYNC, 10_000);
        assertEquals("RESULT persist.put.always.16t.per.fsync 8.000 (79999 puts/s vs 10000 fsyncs/s) target>=8 missed",
                report.resultLines().get(1));
    }

    @Test
    void missingFiguresGiveNotAvailableAndAreListed() {
        PersistReport report = new PersistReport(168);
        report.add(Subject.LOG_APPEND, 600_000_000);
        report.add(Subject.RAW_WRITE, 800_000_000);
        report.add(Subject.NODE_RECOVERY, 1_500_000);
        report.add(Subject.CHRONICLE_INSERT, 2_000_000);
        List<String> lines = report.resultLines();
        assertEquals("RESULT persist.put.always.16t.per.fsync n/a (no score for ShoalMap.put, fsync=always, 16 threads)"
                + " target>=8 unknown", lines.get(1));
        assertEquals("RESULT persist.recovery.vs.slower n/a (no score for raw sequential read of the segments)"
                + " target>=0.7 unknown", lines.get(2));
        assertEquals("RESULT persist.recovery.vs.chronicle 0.750 (1500000 vs 2000000 records/s)", lines.get(4));
        assertEquals(List.of(Subject.NODE_PUT, Subject.DISK_FSYNC, Subject.RAW_READ), report.missing());
        assertEquals("targets met: 1 of 3 (2 not measured)", report.targetSummary());
    }

    @Test
    void tableListsEverySubjectWithMedianMinAndMax() {
        List<String> table = fullReport().table();
        assertEquals(1 + Subject.values().length, table.size());
        assertTrue(table.get(0).startsWith("subject"));
        assertTrue(table.get(1).matches("persist-file append, fsync=interval\\s+600,000,000\\s+540,000,000\\s+660,000,000"
                + "\\s+bytes/s \\(3 rounds\\), median 3,571,429 records/s"), table.get(1));
        assertTrue(table.get(8).matches("node start on an empty log\\s+60\\s+54\\s+66\\s+ms \\(3 rounds\\)"), table.get(8));
    }
}
