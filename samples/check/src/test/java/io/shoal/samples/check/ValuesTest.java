package io.shoal.samples.check;

import io.shoal.BucketLostException;
import io.shoal.ConfigException;
import io.shoal.EntryTooLargeException;
import io.shoal.MemoryLimitExceededException;
import io.shoal.ShoalException;
import io.shoal.StorageUnavailableException;
import io.shoal.client.ClientClosedException;
import io.shoal.client.ConnectionLostException;
import io.shoal.client.RequestTimeoutException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The workload's values, how write errors are classified, and the option converters. */
class ValuesTest {

    @Test
    void valuesRoundTrip() {
        long id = Values.id(3, 1234567);
        assertEquals("w3-k42-1234567", Values.text(id, 42));
        assertEquals(id, Values.parse(Values.bytes(id, 42), 42));
        assertEquals(3, Values.worker(id));
        assertEquals(1234567, Values.counter(id));
        long zero = Values.id(0, 0);
        assertEquals(zero, Values.parse("w0-k0-0".getBytes(StandardCharsets.UTF_8), 0));
    }

    @Test
    void anythingElseIsForeign() {
        assertEquals(Values.ABSENT, Values.parse(null, 1));
        for (String text : new String[] {"", "w1-k2-3x", "w1-k2-", "w1-k-3", "x1-k2-3", "w01-k2-3", "w1-k2-03",
                "w1-k3-3", "w1k2-3", "w1-k2-3-4", "w1-k2-99999999999999", "hello", "w1-k2-3\u00e9"}) {
            assertEquals(Values.FOREIGN, Values.parse(text.getBytes(StandardCharsets.UTF_8), 2), text);
        }
    }

    @Test
    void aWriteFailsOnlyWhenTheExceptionSaysNothingChanged() {
        assertEquals(Op.Outcome.FAILED, Workload.writeOutcome(new StorageUnavailableException("full", false, null)));
        assertEquals(Op.Outcome.FAILED, Workload.writeOutcome(new MemoryLimitExceededException("full", 1, 2, 3)));
        assertEquals(Op.Outcome.FAILED, Workload.writeOutcome(new EntryTooLargeException("big")));
        assertEquals(Op.Outcome.FAILED, Workload.writeOutcome(new IllegalArgumentException("bad")));
        assertEquals(Op.Outcome.FAILED, Workload.writeOutcome(new BucketLostException("bucket 3 lost every copy", 3)));
        assertEquals(Op.Outcome.UNKNOWN, Workload.writeOutcome(new StorageUnavailableException("slow", true, null)));
        assertEquals(Op.Outcome.UNKNOWN, Workload.writeOutcome(new RequestTimeoutException("late", true)));
        assertEquals(Op.Outcome.UNKNOWN, Workload.writeOutcome(new ConnectionLostException("gone", true)));
        assertEquals(Op.Outcome.UNKNOWN, Workload.writeOutcome(new ClientClosedException("c")));
        assertEquals(Op.Outcome.UNKNOWN, Workload.writeOutcome(new ShoalException("INTERNAL_ERROR")));
        assertEquals(Op.Outcome.UNKNOWN, Workload.writeOutcome(new ConfigException("k", "v")));
    }

    @Test
    void intervalsAndDurations() {
        Converters.IntervalConverter interval = new Converters.IntervalConverter();
        assertEquals(new Converters.Interval(Duration.ofSeconds(8), Duration.ofSeconds(12)), interval.convert("8s-12s"));
        assertEquals(new Converters.Interval(Duration.ofSeconds(8), Duration.ofSeconds(12)), interval.convert("8-12"));
        assertEquals(new Converters.Interval(Duration.ofMillis(500), Duration.ofMillis(500)), interval.convert("500ms"));
        assertEquals("8s-12s", interval.convert("8-12").toString());
        for (String bad : new String[] {"12s-8s", "0s", "-", "1-2-3", "soon", "5s-"}) {
            assertThrows(RuntimeException.class, () -> interval.convert(bad), bad);
        }
        assertEquals(Duration.ofMinutes(2), Converters.positive("2m"));
        assertEquals(Duration.ofSeconds(2), Converters.positive("PT2S"));
        assertTrue(Converters.text(Duration.ofMillis(1500)).equals("1500ms"));
    }
}
