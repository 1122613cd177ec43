package io.shoal.samples.quickstart;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuickstartTest {

    @Test
    void everyStepBehavesAsDescribed() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int failures = new Quickstart(new PrintStream(bytes, true, StandardCharsets.UTF_8)).run();
        String output = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, failures, output);
        assertFalse(output.contains("MISMATCH"), output);
        assertTrue(output.contains("was refused"), output);
        assertTrue(output.contains("CREATED  grace"), output);
        assertTrue(output.contains("REMOVED  grace"), output);
        assertTrue(output.contains("were evicted"), output);
        assertTrue(output.contains("All steps behaved as described."), output);
    }
}
