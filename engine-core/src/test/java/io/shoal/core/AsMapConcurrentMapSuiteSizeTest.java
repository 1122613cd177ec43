package io.shoal.core;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guards {@link AsMapConcurrentMapSuiteTest} against silently shrinking. Surefire reports the
 * vintage engine's results per tester class and folds the runs of a tester method that share a
 * name (each one runs once per layout, derived collection and size), so its per-class lines do
 * not show the suite's size: 3 layouts of 927 test cases each. A feature dropped by mistake (say
 * {@code CollectionSize.ANY} narrowed to one size) would cut that by more than half.
 */
class AsMapConcurrentMapSuiteSizeTest {
    @Test
    void suiteHoldsThousandsOfTestCases() {
        int count = AsMapConcurrentMapSuiteTest.suite().countTestCases();
        assertTrue(count >= 2_000, "the conformance suite holds only " + count + " test cases");
    }
}
