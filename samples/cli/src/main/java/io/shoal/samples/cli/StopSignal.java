package io.shoal.samples.cli;

import sun.misc.Signal;

import java.io.PrintWriter;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * How a long-running command ({@code node}, {@code subscribe}) is told to stop: by
 * {@link #stop(String)} (tests), or, once {@link #installSignalHandlers} ran, by SIGINT (Ctrl-C),
 * SIGTERM or SIGHUP (the terminal went away; left ignored under {@code nohup}). The command's own
 * thread waits in {@link #await()} and then shuts down in the open, so it can report how that went
 * and pick the exit code. Left to its default handling, the JVM would exit with 128 + the signal
 * after running the shutdown hooks concurrently, and Chronicle Map's own hook would close the
 * node's stores under a node being closed by another hook (its shutdown snapshot then fails).
 *
 * <p>A second signal while the command is still stopping ends the process at once (exit code
 * 128 + the signal's number), for a shutdown that hangs.
 */
final class StopSignal {
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicReference<String> reason = new AtomicReference<>();

    /** Asks the command to stop; the first reason wins. Any thread. */
    void stop(String why) {
        if (reason.compareAndSet(null, why)) {
            stopped.countDown();
        }
    }

    boolean isStopped() {
        return reason.get() != null;
    }

    /** Waits for {@link #stop}; returns its reason. */
    String await() throws InterruptedException {
        stopped.await();
        return reason.get();
    }

    /**
     * Routes SIGINT, SIGTERM and SIGHUP of this process to {@link #stop}. Only for a command that owns the
     * process ({@code bin/shoal}); never in tests, whose JVM must keep its own handling.
     *
     * @return false if the JVM refused (for example under {@code -Xrs}); the signals then keep their
     *     default handling (shutdown hooks, exit code 128 + signal)
     */
    boolean installSignalHandlers(String command, PrintWriter err) {
        try {
            for (String name : new String[] {"INT", "TERM", "HUP"}) {
                Signal.handle(new Signal(name), signal -> {
                    if (reason.compareAndSet(null, "SIG" + signal.getName())) {
                        stopped.countDown();
                    } else {
                        err.println("shoal " + command + ": second SIG" + signal.getName()
                                + " while stopping; exiting at once");
                        err.flush();
                        Runtime.getRuntime().halt(128 + signal.getNumber());
                    }
                });
            }
            return true;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            return false;
        }
    }
}
