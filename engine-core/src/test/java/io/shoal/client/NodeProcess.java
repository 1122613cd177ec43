package io.shoal.client;

import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real node in a JVM of its own, for tests that kill it (SIGKILL) and start it again on the same
 * port. {@link #main} is the child: it starts a node serving TCP on the given port, prints
 * {@code READY <address>} and runs until its stdin closes.
 */
public final class NodeProcess implements AutoCloseable {
    private final Process process;
    private final String address;
    private final Path log;

    private NodeProcess(Process process, String address, Path log) {
        this.process = process;
        this.address = address;
        this.log = log;
    }

    /** Starts a node on {@code port} (0 for any) and waits until it serves. */
    public static NodeProcess start(int port) throws Exception {
        return start(port, java.util.Map.of());
    }

    /** Starts a node on {@code port} (0 for any) with config {@code overrides}, and waits until it serves. */
    public static NodeProcess start(int port, java.util.Map<String, Object> overrides) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String argument : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (argument.startsWith("--add-") || argument.startsWith("-D")) { // Chronicle's flags (bin/jvm.options)
                command.add(argument);
            }
        }
        command.add("-Xmx256m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(NodeProcess.class.getName());
        command.add(String.valueOf(port));
        overrides.forEach((key, value) -> command.add(key + "=" + (value instanceof List<?> list
                ? "[" + String.join(",", list.stream().map(String::valueOf).toList()) + "]" : value)));
        Path log = Files.createTempFile("node-process", ".log");
        Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
        CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                for (String line; (line = out.readLine()) != null; ) {
                    if (line.startsWith("READY ")) {
                        return line.substring("READY ".length());
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        });
        String address;
        try {
            address = ready.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new AssertionError("the node process did not start; its stderr: " + Files.readString(log), e);
        }
        if (address == null) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("the node process ended before serving; its stderr: " + Files.readString(log));
        }
        return new NodeProcess(process, address, log);
    }

    public String address() {
        return address;
    }

    public int port() {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    /** What the node wrote to stderr so far (its log). */
    public String stderr() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL: no GOODBYE, no clean close; the OS resets its connections. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the node process survived SIGKILL");
        }
    }

    @Override
    public void close() throws IOException {
        if (process.isAlive()) {
            process.getOutputStream().close(); // the child closes its node when stdin ends
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        Files.deleteIfExists(log);
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        ShoalConfig.Builder config = EndToEndTest.nodeConfig().set("server.port", port);
        for (int i = 1; i < args.length; i++) {
            int equals = args[i].indexOf('=');
            String value = args[i].substring(equals + 1);
            // "[a,b]" is a list of strings (cluster.seeds); anything else a single value
            config.set(args[i].substring(0, equals), value.startsWith("[")
                    ? java.util.Arrays.stream(value.substring(1, value.length() - 1).split(","))
                            .map(String::trim).filter(v -> !v.isEmpty()).toList()
                    : value);
        }
        try (ShoalNode node = Shoal.start(config.build())) {
            System.out.println("READY " + node.serverAddress().orElseThrow());
            System.out.flush();
            while (System.in.read() >= 0) {
                // until stdin closes
            }
        }
    }
}
