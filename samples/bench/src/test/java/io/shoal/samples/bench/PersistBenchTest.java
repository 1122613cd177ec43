package io.shoal.samples.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the whole persist benchmark at a tiny scale (a few seconds) and checks that it measured
 * every figure, printed well-formed RESULT lines and left nothing behind. It checks behaviour, not
 * the ratios.
 */
class PersistBenchTest {
    private static final PersistBench.Scale TINY = new PersistBench.Scale("test", 4 << 20, 200, 2_000, 1);
    private static final Pattern RESULT = Pattern.compile(
            "RESULT (persist\\.[a-z0-9.-]+) \\d+\\.\\d{3} \\(\\d+ [^()]*\\)( target>=[0-9.]+ (met|missed))?");

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aTinyRunPrintsEveryResultLineAndCleansUp(@TempDir Path parent) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = PersistBench.run(TINY, parent, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String stdout = out.toString(StandardCharsets.UTF_8);
        String stderr = err.toString(StandardCharsets.UTF_8);

        assertEquals(0, exit, stderr);
        List<String> results = stdout.lines().filter(l -> l.startsWith("RESULT ")).toList();
        assertEquals(PersistReport.COMPARISONS.size(), results.size(), stdout);
        for (int i = 0; i < results.size(); i++) {
            var matcher = RESULT.matcher(results.get(i));
            assertTrue(matcher.matches(), results.get(i));
            PersistReport.Comparison comparison = PersistReport.COMPARISONS.get(i);
            assertEquals(comparison.name(), matcher.group(1));
            assertEquals(comparison.hasTarget(), matcher.group(2) != null, results.get(i));
        }
        assertTrue(stdout.lines().anyMatch(l -> l.matches("targets met: \\d of 3")), stdout);
        for (PersistReport.Subject subject : PersistReport.Subject.values()) {
            assertTrue(stdout.contains(subject.label), subject + " is missing from the table:\n" + stdout);
        }
        assertTrue(stderr.contains("bench: [3/3] done"), stderr);
        try (Stream<Path> left = Files.list(parent)) {
            assertEquals(List.of(), left.toList(), "the benchmark's directory is deleted");
        }
    }
}
