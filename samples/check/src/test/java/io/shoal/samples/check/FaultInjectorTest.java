package io.shoal.samples.check;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which faults a run applies: never more nodes away at once than {@code --backups} survives. */
class FaultInjectorTest {

    private static List<FaultKind> usable(int backups) {
        FaultInjector injector = new FaultInjector(null, EnumSet.allOf(FaultKind.class), backups, Duration.ofSeconds(8),
                Duration.ofSeconds(12), new SplittableRandom(1), new RunClock(), new PrintWriter(new StringWriter()),
                null, Duration.ofSeconds(60));
        return injector.usable();
    }

    @Test
    void killingTwoNodesNeedsTwoBackupsAndTakingAnyAwayNeedsOne() {
        assertEquals(List.of(FaultKind.EXTRA), usable(0));
        assertEquals(List.of(FaultKind.KILL, FaultKind.RESTART, FaultKind.PAUSE, FaultKind.EXTRA), usable(1));
        assertEquals(List.of(FaultKind.KILL, FaultKind.KILL_TWO, FaultKind.RESTART, FaultKind.PAUSE, FaultKind.EXTRA),
                usable(2));
    }
}
