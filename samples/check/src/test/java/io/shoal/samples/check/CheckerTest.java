package io.shoal.samples.check;

import io.shoal.samples.check.CheckResult.Kind;
import io.shoal.samples.check.Op.Outcome;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static io.shoal.samples.check.History.v;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each rule of {@link Checker} on a synthetic history that breaks it, next to a near-identical one
 * that does not. Times are made-up nanoTime readings; each write of key 0 is v(n).
 */
class CheckerTest {

    /** Asserts the history's only violations: {@code expected} pairs of (kind, count). */
    private static CheckResult assertFlags(History history, Object... expected) {
        CheckResult result = history.check();
        Map<Kind, Long> want = new EnumMap<>(Kind.class);
        for (int i = 0; i < expected.length; i += 2) {
            want.put((Kind) expected[i], ((Number) expected[i + 1]).longValue());
        }
        Map<Kind, Long> got = new EnumMap<>(Kind.class);
        for (Kind kind : Kind.values()) {
            if (result.count(kind) > 0) {
                got.put(kind, result.count(kind));
            }
        }
        assertEquals(want, got, () -> "violations of " + history.ops);
        return result;
    }

    private static void assertClean(History history) {
        assertFlags(history);
    }

    @Nested
    class NeverWritten {
        @Test
        void aValueNobodyWroteIsWrong() {
            assertFlags(new History().ok(1, 0, 10).read(9, 20, 30), Kind.NEVER_WRITTEN, 1);
            assertClean(new History().ok(1, 0, 10).read(1, 20, 30));
        }

        @Test
        void foreignBytesAreWrong() {
            CheckResult result = assertFlags(new History().ok(1, 0, 10).readForeign("hello", 20, 30), Kind.NEVER_WRITTEN, 1);
            assertEquals("\"hello\"", result.examples(Kind.NEVER_WRITTEN).get(0).op().valueText());
        }

        @Test
        void aValueWhoseWriteStartedOnlyAfterTheReadEndedIsWrong() {
            assertFlags(new History().ok(1, 0, 10).ok(2, 40, 50).read(2, 20, 30), Kind.NEVER_WRITTEN, 1);
            // the write was called before the read returned: they overlap, and the read may see it
            assertClean(new History().ok(1, 0, 10).ok(2, 25, 50).read(2, 20, 30));
            assertClean(new History().ok(1, 0, 10).unknown(2, 25, 50).read(2, 20, 30));
        }
    }

    @Nested
    class FailedWrites {
        @Test
        void aFailedWriteMustNeverBeSeen() {
            assertFlags(new History().ok(1, 0, 10).failed(2, 20, 30).read(2, 40, 50), Kind.FAILED_WRITE_SEEN, 1);
            // the same write with an unknown outcome may have been applied
            assertClean(new History().ok(1, 0, 10).unknown(2, 20, 30).read(2, 40, 50));
        }

        @Test
        void aFailedWriteDoesNotMakeTheValueBeforeItStale() {
            assertClean(new History().ok(1, 0, 10).failed(2, 20, 30).read(1, 40, 50).finalRead(1, 60, 70));
        }

        @Test
        void theFinalReadBackMustNotShowAFailedWrite() {
            assertFlags(new History().ok(1, 0, 10).failed(2, 20, 30).finalRead(2, 60, 70), Kind.FINAL_WRONG, 1);
        }
    }

    @Nested
    class Stale {
        @Test
        void aValueOlderThanOneAcknowledgedBeforeTheReadStartedIsStale() {
            CheckResult result = assertFlags(new History().ok(1, 0, 10).ok(2, 20, 30).read(1, 40, 50), Kind.STALE, 1);
            CheckResult.Violation violation = result.examples(Kind.STALE).get(0);
            assertEquals(v(1), violation.op().value());
            assertEquals(v(2), violation.witness().value(), "the witness is the acknowledged newer write");
            assertTrue(violation.expected().startsWith("w0-k0-2 or a newer value"), violation.expected());
            // the read started before the newer write was acknowledged: it may have come first
            assertClean(new History().ok(1, 0, 10).ok(2, 20, 30).read(1, 25, 50));
        }

        @Test
        void anOlderValueIsStaleWhicheverNewerWriteWasAcknowledged() {
            assertFlags(new History().ok(1, 0, 10).ok(2, 20, 30).ok(3, 40, 50).read(1, 60, 70), Kind.STALE, 1);
            assertFlags(new History().ok(1, 0, 10).ok(2, 20, 30).unknown(3, 40, 50).read(1, 60, 70), Kind.STALE, 1);
            assertClean(new History().ok(1, 0, 10).ok(2, 20, 30).unknown(3, 40, 50).read(2, 60, 70));
        }

        @Test
        void failedReadsAreNotChecked() {
            assertClean(new History().ok(1, 0, 10).ok(2, 20, 30).readFailed(40, 50));
        }
    }

    @Nested
    class Empty {
        @Test
        void nothingAfterAnAcknowledgedWriteIsWrong() {
            assertFlags(new History().ok(1, 0, 10).read(0, 20, 30), Kind.EMPTY, 1);
            assertClean(new History().ok(1, 0, 10).read(0, 5, 30));
        }

        @Test
        void nothingBeforeAnyWriteIsRight() {
            assertClean(new History().read(0, 0, 5).ok(1, 10, 20).read(1, 30, 40));
        }

        @Test
        void nothingAfterOnlyUnknownWritesIsRight() {
            assertClean(new History().unknown(1, 0, 10).unknown(2, 20, 30).read(0, 40, 50));
        }
    }

    @Nested
    class UnknownWrites {
        @Test
        void mayBeSeenOrNot() {
            assertClean(new History().ok(1, 0, 10).unknown(2, 20, 30).read(1, 40, 50));
            assertClean(new History().ok(1, 0, 10).unknown(2, 20, 30).read(2, 40, 50));
            assertClean(new History().ok(1, 0, 10).unknown(2, 20, 30).read(1, 40, 50).read(2, 60, 70).read(2, 80, 90));
        }

        @Test
        void mayTakeEffectLongAfterTheyReturned() {
            // A write that timed out may still sit in a paused node and apply after the next one: then the
            // older value is the current one, and a correct store may show it.
            assertClean(new History().unknown(1, 0, 10).ok(2, 20, 30).read(1, 40, 50).finalRead(1, 60, 70));
        }

        @Test
        void onceSeenBeforeTheNextWriteStartedTheyAreOrdered() {
            assertFlags(new History().unknown(1, 0, 10).read(1, 12, 15).ok(2, 20, 30).read(1, 40, 50),
                    Kind.STALE, 1);
            assertClean(new History().unknown(1, 0, 10).read(1, 12, 25).ok(2, 20, 30).read(1, 40, 50));
        }
    }

    @Nested
    class Monotonic {
        @Test
        void aReadMustNotGoBackBehindWhatAnEarlierReadSaw() {
            CheckResult result = assertFlags(new History().ok(1, 0, 10).unknown(2, 20, 30)
                    .read(2, 40, 50).read(1, 60, 70), Kind.NON_MONOTONIC, 1);
            CheckResult.Violation violation = result.examples(Kind.NON_MONOTONIC).get(0);
            assertEquals(60, violation.op().startNanos());
            assertEquals(40, violation.witness().startNanos(), "the witness is the earlier read");
            // the reads overlap: the older value may have been read first
            assertClean(new History().ok(1, 0, 10).unknown(2, 20, 30).read(2, 40, 50).read(1, 45, 70));
        }

        @Test
        void appliesToAcknowledgedWritesSeenBeforeTheirAcknowledgement() {
            assertFlags(new History().ok(1, 0, 10).ok(2, 20, 30).read(2, 22, 24).read(1, 26, 28),
                    Kind.NON_MONOTONIC, 1);
            assertClean(new History().ok(1, 0, 10).ok(2, 20, 30).read(2, 22, 27).read(1, 26, 28));
        }

        @Test
        void appliesAcrossReadsThatFoundNothing() {
            assertFlags(new History().unknown(1, 0, 10).read(1, 20, 30).read(0, 40, 50), Kind.NON_MONOTONIC, 1);
            assertClean(new History().unknown(1, 0, 10).read(0, 20, 30).read(1, 40, 50));
        }
    }

    @Nested
    class NotLinearizable {
        @Test
        void aValueComingBackAfterAnOlderOneIsCaughtByTheZones() {
            // Pairwise, each read could be explained by a lingering unknown write; together they cannot:
            // w2 took effect by 11, w1 after 11 (r2 saw it after r1 saw w2), so r3 cannot see w2 again.
            History broken = new History().unknown(1, 0, 5).unknown(2, 6, 9)
                    .read(2, 10, 11).read(1, 12, 13).read(2, 14, 15);
            assertFlags(broken, Kind.NOT_LINEARIZABLE, 1);
            assertClean(new History().unknown(1, 0, 5).unknown(2, 6, 9)
                    .read(2, 10, 11).read(1, 12, 13).read(1, 14, 15));
        }

        @Test
        void twoValuesCurrentOverTheSameTimeAreCaught() {
            assertFlags(new History().unknown(1, 0, 1).unknown(2, 2, 3)
                    .read(1, 10, 11).read(2, 10, 11).read(1, 12, 13).read(2, 12, 13), Kind.NOT_LINEARIZABLE, 1);
            assertClean(new History().unknown(1, 0, 1).unknown(2, 2, 3)
                    .read(1, 10, 11).read(2, 10, 11).read(2, 12, 13).read(2, 12, 13));
        }
    }

    @Nested
    class FinalReadBack {
        @Test
        void theLastAcknowledgedValueIsRight() {
            assertClean(new History().ok(1, 0, 10).ok(2, 20, 30).finalRead(2, 40, 50));
        }

        @Test
        void anOlderValueIsLost() {
            CheckResult result = assertFlags(new History().ok(1, 0, 10).ok(2, 20, 30).finalRead(1, 40, 50),
                    Kind.LOST_OLDER, 1);
            assertEquals(1, result.lost());
            assertEquals(0, result.wrong());
        }

        @Test
        void noValueIsLost() {
            assertFlags(new History().ok(1, 0, 10).finalRead(0, 40, 50), Kind.LOST_MISSING, 1);
            assertClean(new History().failed(1, 0, 10).finalRead(0, 40, 50));
            assertClean(new History().unknown(1, 0, 10).finalRead(0, 40, 50));
        }

        @Test
        void aValueSeenBeforeCountsAsWritten() {
            assertFlags(new History().unknown(1, 0, 10).read(1, 20, 30).finalRead(0, 40, 50), Kind.LOST_MISSING, 1);
            assertFlags(new History().ok(1, 0, 10).unknown(2, 20, 30).read(2, 32, 35).finalRead(1, 40, 50),
                    Kind.LOST_OLDER, 1);
        }

        @Test
        void aNewerUnknownWriteMayBeTheFinalValue() {
            assertClean(new History().ok(1, 0, 10).unknown(2, 20, 30).finalRead(2, 40, 50));
            assertClean(new History().ok(1, 0, 10).unknown(2, 20, 30).finalRead(1, 40, 50));
        }

        @Test
        void aValueNeverWrittenIsWrong() {
            CheckResult result = assertFlags(new History().ok(1, 0, 10).finalRead(7, 40, 50), Kind.FINAL_WRONG, 1);
            assertEquals(0, result.lost());
            assertEquals(1, result.wrong());
        }

        @Test
        void keysWithoutAFinalReadAreCounted() {
            History history = new History().ok(1, 0, 10).finalRead(1, 40, 50).write(1, 2, 0, 10, Outcome.OK);
            CheckResult result = history.check(3);
            assertEquals(1, result.keysWithFinalValue());
            assertEquals(2, result.keysWithoutFinalRead());
            assertEquals(0, result.wrong() + result.lost());
        }
    }

    @Nested
    class BucketLost {
        @Test
        void aFinalReadOfALostBucketLosesTheKey() {
            CheckResult result = assertFlags(new History().ok(1, 0, 10).bucketLostFinalRead(40, 50), Kind.LOST_BUCKET, 1);
            assertEquals(1, result.lost());
            assertEquals(0, result.wrong());
            assertEquals(0, result.keysWithoutFinalRead(), "a lost bucket is an answer, not a key left unread");
            assertEquals(0, result.keysWithFinalValue());
            CheckResult.Violation violation = result.examples(Kind.LOST_BUCKET).get(0);
            String line = Report.describe(violation, new RunClock(0, java.time.Instant.EPOCH), 256);
            assertTrue(line.startsWith("key k0 (bucket " + Report.bucket(0, 256) + "): final read got BucketLostException"),
                    line);
            assertTrue(line.contains("[write of w0-k0-1 "), line);
        }

        @Test
        void aKeyLostEvenIfNothingWasAcknowledged() {
            assertFlags(new History().unknown(1, 0, 10).bucketLostFinalRead(40, 50), Kind.LOST_BUCKET, 1);
        }

        @Test
        void aLaterFinalReadThatGotTheValueCounts() {
            assertClean(new History().ok(1, 0, 10).bucketLostFinalRead(40, 50).finalRead(1, 60, 70));
        }

        @Test
        void aWriteThatGotBucketLostWasNotApplied() {
            History history = new History().ok(1, 0, 10).bucketLostWrite(2, 20, 30);
            CheckResult clean = assertFlags(history.read(1, 40, 50).finalRead(1, 60, 70));
            assertEquals(1, clean.bucketLostWrites);
            assertEquals(0, clean.bucketLostReads);
            assertFlags(new History().ok(1, 0, 10).bucketLostWrite(2, 20, 30).read(2, 40, 50),
                    Kind.FAILED_WRITE_SEEN, 1);
        }

        @Test
        void workloadCallsAreCountedWithExamplesAndTheirTimes() {
            History history = new History().ok(1, 0, 10).bucketLostRead(20, 30).bucketLostWrite(2, 40, 50)
                    .bucketLostRead(60, 70).finalRead(1, 100, 110);
            CheckResult result = assertFlags(history);
            assertEquals(3, result.bucketLostCalls());
            assertEquals(2, result.bucketLostReads);
            assertEquals(java.util.Set.of(0), result.bucketLostKeys());
            assertEquals(1, result.bucketLostExamples().size(), "one example per key");
            assertEquals(20, result.firstBucketLost());
            assertEquals(70, result.lastBucketLost());
            assertTrue(Report.isFinding(result, 1));
            assertFalse(Report.isFinding(result, 0), "with --backups 0 a node away may take buckets with it");
            java.io.StringWriter text = new java.io.StringWriter();
            Report.print(new java.io.PrintWriter(text), result, new RunClock(0, java.time.Instant.EPOCH), 256, 1);
            assertTrue(text.toString().contains("FINDING BucketLostException 3 times during the workload (1 writes, "
                    + "2 reads) on 1 keys of buckets [" + Report.bucket(0, 256) + "]"), text.toString());
        }

        @Test
        void theBucketOfAKeyIsTheNodes() {
            // the same hash as the nodes' (KeyHash over the key's UTF-8 bytes), low bits
            assertEquals(io.shoal.KeyHash.bucketOf(io.shoal.KeyHash.hash("k17".getBytes(
                    java.nio.charset.StandardCharsets.UTF_8)), 64), Report.bucket(17, 64));
            assertEquals(-1, Report.bucket(17, 0));
            assertEquals(-1, Report.bucket(17, 100));
        }
    }

    @Nested
    class Bookkeeping {
        @Test
        void keysAreCheckedApart() {
            // key 1's newer write does not make key 0's value stale
            History history = new History().ok(1, 0, 10).write(1, 2, 20, 30, Outcome.OK).read(0, 1, 40, 50)
                    .read(1, 2, 40, 50);
            assertEquals(0, history.check(2).wrong());
            history.read(1, 0, 60, 70);
            assertEquals(1, history.check(2).count(Kind.EMPTY));
        }

        @Test
        void countsEveryViolationAndKeepsAnExampleOfEachOfTheFirstKeys() {
            History history = new History();
            for (int key = 0; key < 8; key++) {
                history.write(key, 1, 0, 10, Outcome.OK).write(key, 2, 20, 30, Outcome.OK);
                history.read(key, 1, 100, 105).read(key, 1, 110, 115);
            }
            CheckResult result = history.check(8);
            assertEquals(16, result.count(Kind.STALE));
            assertEquals(16, result.wrong());
            assertEquals(32, result.operations());
            List<CheckResult.Violation> examples = result.examples(Kind.STALE);
            assertEquals(CheckResult.EXAMPLES_PER_KIND, examples.size());
            assertEquals(List.of(0, 1, 2, 3, 4), examples.stream().map(CheckResult.Violation::key).toList());
        }

        @Test
        void aKeyOutsideTheRangeIsRefused() {
            History history = new History().write(5, 1, 0, 10, Outcome.OK);
            assertThrows(IllegalArgumentException.class, () -> history.check(5));
        }

        @Test
        void violationsNameTheOffendingReadAndItsWitness() {
            CheckResult result = new History().ok(1, 0, 10).ok(2, 20, 30).read(1, 40, 50).check();
            CheckResult.Violation violation = result.examples(Kind.STALE).get(0);
            assertEquals(0, violation.key());
            assertSame(Op.Kind.READ, violation.op().kind());
            assertNotNull(violation.witness());
            String line = Report.describe(violation, new RunClock(0, java.time.Instant.EPOCH));
            assertTrue(line.startsWith("key k0: read got w0-k0-1 (called "), line);
            assertTrue(line.contains("expected w0-k0-2 or a newer value"), line);
            assertTrue(line.contains("[write of w0-k0-2 called "), line);
        }
    }
}
