package io.shoal.samples.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code node} (or any long-running command) executed in this JVM on its own thread, as
 * {@code bin/shoal} would run it, with its stdout and stderr captured; {@link #stop()} stands in for
 * Ctrl-C.
 */
final class NodeRun implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final Pattern READY = Pattern.compile(
            "^shoal node (\\S+) serving at (\\S+) \\(persistence=(\\S+), buckets=(\\d+)\\)$", Pattern.MULTILINE);

    final StringWriter out = new StringWriter();   // StringWriter appends under a lock: safe to read meanwhile
    final StringWriter err = new StringWriter();
    final CompletableFuture<Integer> exitCode = new CompletableFuture<>();
    private final Runnable stop;

    private NodeRun(String command, String... args) {
        CommandLine commandLine = ShoalCli.commandLine(false);
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        Object instance = commandLine.getSubcommands().get(command).getCommand();
        stop = instance instanceof StandaloneNodeCommand node ? node::stop : ((SubscribeCommand) instance)::stop;
        String[] all = new String[args.length + 1];
        all[0] = command;
        System.arraycopy(args, 0, all, 1, args.length);
        Thread thread = new Thread(() -> {
            try {
                exitCode.complete(commandLine.execute(all));
            } catch (Throwable t) {
                exitCode.completeExceptionally(t);
            }
        }, "shoal-" + command + "-command");
        thread.setDaemon(true);
        thread.start();
    }

    /** Runs {@code shoal node ARGS}; does not wait for it to be ready. */
    static NodeRun node(String... args) {
        return new NodeRun("node", args);
    }

    /** Runs {@code shoal subscribe ARGS}; does not wait for the subscription. */
    static NodeRun subscribe(String... args) {
        return new NodeRun("subscribe", args);
    }

    /** Waits for the ready line and returns it parsed (group 1 id, 2 address, 3 persistence, 4 buckets). */
    Matcher awaitReady() {
        await("the ready line").atMost(WAIT).until(() -> READY.matcher(out.toString()).find() || exitCode.isDone());
        Matcher ready = READY.matcher(out.toString());
        assertTrue(ready.find(), "no ready line: " + this);
        return ready;
    }

    /** Asks the command to stop, as Ctrl-C does, and returns its exit code. */
    int stop() {
        stop.run();
        try {
            return exitCode.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + this, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("the command did not end within " + WAIT + ": " + this, e);
        }
    }

    @Override
    public void close() {
        if (!exitCode.isDone()) {
            stop();
        }
    }

    @Override
    public String toString() {
        return (exitCode.isDone() ? "exit " + exitCode.getNow(-1) : "running") + "\n--- stdout\n" + out
                + "--- stderr\n" + err;
    }
}
