package io.shoal.samples.check;

import io.shoal.ShoalException;
import io.shoal.client.ClientConfig;
import io.shoal.client.ShoalClient;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The node processes of a check run, on loopback: starts them, applies faults to them, and ends them
 * all at the end, on failure or from a shutdown hook ({@link #close()}).
 *
 * <p>Design note. A node is {@code bin/shoal node} run directly: {@code java @bin/jvm.options
 * $SHOAL_JAVA_OPTS -cp <class path with shoal-cli> ShoalCli node --config node.conf}, with INFO logging
 * and timestamps, its stdout and stderr appended to {@code node.log} in its directory (a marker line
 * before each start). Its config is rewritten at each start: port 0 the first time, then the port it
 * got (so clients find it again; port 0 again if that one is taken), and {@code cluster.seeds} = the
 * addresses of the other nodes up at that moment, in start order. A node is up once its log shows the
 * node command's ready line ({@code shoal node <id> serving at <host:port> (...)}, printed once it
 * serves) and it answers PING through the Java client. One thread (the controller) starts and
 * faults nodes; {@link #close()} may come from any thread, after which nothing is started.
 */
final class Cluster implements AutoCloseable {
    /** The ready line of {@code bin/shoal node} (samples/cli StandaloneNodeCommand). */
    static final Pattern READY = Pattern.compile("shoal node (\\S+) serving at (\\S+) \\(persistence=");
    static final String NODE_MAIN_CLASS = "io.shoal.samples.cli.ShoalCli";
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);
    private static final int LOG_TAIL_LINES = 15;

    /** How node processes are launched: the JVM, its argument file and flags, the class path holding shoal-cli. */
    record Launch(Path javaExecutable, Path jvmOptionsFile, List<String> jvmArgs, String classpath) {
        Launch {
            Objects.requireNonNull(javaExecutable, "javaExecutable");
            Objects.requireNonNull(jvmOptionsFile, "jvmOptionsFile");
            jvmArgs = List.copyOf(jvmArgs);
            Objects.requireNonNull(classpath, "classpath");
        }
    }

    /**
     * What every node's config says beyond its own id, directory, port and seeds.
     *
     * @param extraSettings HOCON lines ({@code key = value}) appended to each config, from {@code --set}
     */
    record NodeSettings(int backups, String persistence, String secret, List<String> extraSettings) {
        NodeSettings {
            extraSettings = List.copyOf(extraSettings);
        }
    }

    private final Launch launch;
    private final NodeSettings settings;
    private final Duration startTimeout;
    private final Duration stopTimeout;
    private final RunClock clock;
    private final PrintWriter err;
    private final List<NodeProcess> coreNodes = new ArrayList<>();
    private final NodeProcess extraNode;
    private final AtomicLong addressEpoch = new AtomicLong();
    private final List<String> notes = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private boolean closed;          // guarded by lock
    private volatile boolean extraIsMember;

    Cluster(Path workDir, int nodeCount, Launch launch, NodeSettings settings, Duration startTimeout,
            Duration stopTimeout, RunClock clock, PrintWriter err) {
        this.launch = launch;
        this.settings = settings;
        this.startTimeout = startTimeout;
        this.stopTimeout = stopTimeout;
        this.clock = clock;
        this.err = err;
        for (int i = 1; i <= nodeCount; i++) {
            coreNodes.add(new NodeProcess("n" + i, workDir.resolve("n" + i), false));
        }
        extraNode = new NodeProcess("n" + (nodeCount + 1), workDir.resolve("n" + (nodeCount + 1)), true);
    }

    /**
     * What went unlike a healthy node's life without being lost or wrong data: a clean stop that
     * ended with another exit code or had to be SIGKILLed. Each with its time of day.
     */
    List<String> notes() {
        return List.copyOf(notes);
    }

    /** Adds a note (see {@link #notes()}). */
    void note(String what) {
        notes.add(clock.wallTime(clock.nanoTime()) + " " + what);
    }

    /** The {@code --nodes} nodes, in start order. */
    List<NodeProcess> coreNodes() {
        return List.copyOf(coreNodes);
    }

    /** The node the {@code extra} fault adds and removes. */
    NodeProcess extraNode() {
        return extraNode;
    }

    boolean extraIsMember() {
        return extraIsMember;
    }

    /** The nodes that are part of the cluster now (up or not): the core ones, and the extra one while added. */
    List<NodeProcess> members() {
        List<NodeProcess> members = new ArrayList<>(coreNodes);
        if (extraIsMember) {
            members.add(extraNode);
        }
        return members;
    }

    /** The known addresses of the {@link #members()}, in start order. */
    List<String> addresses() {
        List<String> addresses = new ArrayList<>();
        for (NodeProcess node : members()) {
            String address = node.address;
            if (address != null && !addresses.contains(address)) {
                addresses.add(address);
            }
        }
        return addresses;
    }

    /** Changes whenever {@link #addresses()} may have changed (a node got a new port, the extra node came or went). */
    long addressEpoch() {
        return addressEpoch.get();
    }

    /** One line: every member's state, address and pid. */
    String states() {
        StringBuilder sb = new StringBuilder();
        for (NodeProcess node : members()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(node.describe());
        }
        return sb.toString();
    }

    /** Starts the core nodes one after the other, each seeded with those before it. */
    void startAll() throws NodeStartException, InterruptedException {
        for (NodeProcess node : coreNodes) {
            start(node);
        }
    }

    /** Adds the extra node to the cluster: starts it, seeded with the nodes up. */
    void addExtra() throws NodeStartException, InterruptedException {
        extraIsMember = true;
        addressEpoch.incrementAndGet();
        start(extraNode);
    }

    /** Takes the extra node out: a graceful stop; it stays down until added again. */
    void removeExtra() throws InterruptedException {
        stop(extraNode);
        extraIsMember = false;
        addressEpoch.incrementAndGet();
    }

    /**
     * Starts a node that is down and waits until it is up (ready line, PING answered), within the
     * start timeout.
     *
     * @throws NodeStartException naming the node, why, and its log (with the log's last lines)
     */
    void start(NodeProcess node) throws NodeStartException, InterruptedException {
        synchronized (lock) {
            if (closed) {
                throw new NodeStartException("not starting " + node + ": the run is ending");
            }
        }
        if (node.isAlive()) {
            throw new IllegalStateException(node + " is running: " + node.describe());
        }
        int port = node.port();
        try {
            startOnce(node, port);
        } catch (PortTakenException e) {
            err.println("shoal check: " + node + " cannot listen on its port " + port + " again (taken); "
                    + "starting it on a new port");
            err.flush();
            try {
                startOnce(node, 0);
            } catch (PortTakenException again) {
                throw new NodeStartException(again.getMessage());
            }
        }
    }

    private void startOnce(NodeProcess node, int port) throws NodeStartException, InterruptedException,
            PortTakenException {
        List<String> seeds = new ArrayList<>();
        for (NodeProcess other : members()) {
            if (other != node && other.state == NodeProcess.State.UP && other.address != null) {
                seeds.add(other.address);
            }
        }
        long deadline = clock.nanoTime() + startTimeout.toNanos();
        long logOffset;
        Process process;
        try {
            Files.createDirectories(node.dataDir);
            Files.writeString(node.configFile, config(node, port, seeds));
            Files.writeString(node.logFile, "=== shoal check " + clock.wallTime(clock.nanoTime()) + ": starting "
                            + node + " (start " + (node.starts + 1) + ", port " + port + ", seeds " + seeds + ") ===\n",
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            logOffset = Files.size(node.logFile);
            List<String> command = new ArrayList<>();
            command.add(launch.javaExecutable().toString());
            command.add("@" + launch.jvmOptionsFile());
            command.addAll(launch.jvmArgs());
            command.addAll(List.of("-Dshoal.cli.stderrIsTerminal=false",
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                    "-Dorg.slf4j.simpleLogger.showDateTime=true",
                    "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
                    "-cp", launch.classpath(), NODE_MAIN_CLASS, "node", "--config", node.configFile.toString()));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(node.dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(node.logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
            synchronized (lock) {
                if (closed) {
                    throw new NodeStartException("not starting " + node + ": the run is ending");
                }
                node.state = NodeProcess.State.STARTING;
                process = builder.start();
                node.process = process;
            }
        } catch (IOException e) {
            node.state = NodeProcess.State.DOWN;
            throw new NodeStartException("cannot start " + node + " (" + node.dir + "): " + e);
        }
        node.starts++;
        String address;
        try {
            address = awaitReady(node, process, port, logOffset, deadline);
            awaitPing(node, process, address, deadline);
        } catch (NodeStartException | PortTakenException | RuntimeException e) {
            end(process, Duration.ZERO);
            node.state = NodeProcess.State.DOWN;
            throw e;
        }
        if (!address.equals(node.address)) {
            node.address = address;
            addressEpoch.incrementAndGet();
        }
        node.state = NodeProcess.State.UP;
    }

    private String awaitReady(NodeProcess node, Process process, int port, long logOffset, long deadline)
            throws NodeStartException, InterruptedException, PortTakenException {
        while (true) {
            String log = readFrom(node.logFile, logOffset);
            Matcher ready = READY.matcher(log);
            while (ready.find()) {
                if (ready.group(1).equals(node.id)) {
                    return ready.group(2);
                }
            }
            if (!process.isAlive()) {
                String why = node + " exited with code " + process.exitValue() + " before serving";
                if (port != 0 && log.contains("cannot listen") && log.contains(":" + port)) {
                    throw new PortTakenException(failure(node, why, logOffset));
                }
                throw new NodeStartException(failure(node, why, logOffset));
            }
            if (clock.nanoTime() > deadline) {
                throw new NodeStartException(failure(node, node + " did not serve within " + startTimeout.toSeconds()
                        + " s (no ready line 'shoal node " + node.id + " serving at ...')", logOffset));
            }
            process.waitFor(50, TimeUnit.MILLISECONDS);
        }
    }

    private void awaitPing(NodeProcess node, Process process, String address, long deadline)
            throws NodeStartException, InterruptedException {
        ShoalException last = null;
        while (clock.nanoTime() < deadline && process.isAlive()) {
            try {
                ping(address);
                return;
            } catch (ShoalException e) {
                last = e;
            }
            process.waitFor(100, TimeUnit.MILLISECONDS);
        }
        throw new NodeStartException(node + " logged that it serves at " + address + " but "
                + (process.isAlive() ? "did not answer PING within " + startTimeout.toSeconds() + " s: " + last
                : "exited with code " + process.exitValue()) + "; its log: " + node.logFile);
    }

    /** Connects to {@code address} alone and PINGs it. */
    void ping(String address) {
        ClientConfig.Builder config = ClientConfig.builder().nodes(address)
                .connectTimeout(Duration.ofSeconds(2)).requestTimeout(Duration.ofSeconds(2))
                .clientName("shoal-check ping");
        if (!settings.secret().isEmpty()) {
            config.secret(settings.secret());
        }
        try (ShoalClient client = ShoalClient.connect(config.build())) {
            client.ping();
            if (!client.connectedNode().map(address::equals).orElse(false)) {
                throw new ShoalException("the PING was answered by " + client.connectedNode().orElse("nobody")
                        + ", not " + address);
            }
        }
    }

    /** SIGKILL; returns once the process is gone. */
    void kill(NodeProcess node) throws InterruptedException {
        Process process = node.process;
        node.state = NodeProcess.State.DOWN;
        if (process != null) {
            process.destroyForcibly();
            if (!process.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                err.println("shoal check: " + node + " (pid " + process.pid() + ") still runs " + KILL_WAIT.toSeconds()
                        + " s after SIGKILL");
                err.flush();
            }
        }
    }

    /**
     * SIGTERM and waits for the exit, at most the stop timeout (then SIGKILL, reported). Returns the
     * exit code, -1 if it had to be killed.
     */
    int stop(NodeProcess node) throws InterruptedException {
        Process process = node.process;
        if (process == null || !process.isAlive()) {
            node.state = NodeProcess.State.DOWN;
            return process == null ? 0 : process.exitValue();
        }
        node.state = NodeProcess.State.STOPPING;
        process.destroy();
        int code;
        if (process.waitFor(stopTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
            code = process.exitValue();
            if (code != 0) {
                note(node + " exited with code " + code + " after SIGTERM (0 expected)");
                err.println("shoal check: " + node + " exited with code " + code + " after SIGTERM (0 expected); "
                        + "its log: " + node.logFile);
                err.flush();
            }
        } else {
            note(node + " did not stop within " + stopTimeout.toSeconds() + " s of SIGTERM; SIGKILLed");
            err.println("shoal check: " + node + " did not stop within " + stopTimeout.toSeconds()
                    + " s of SIGTERM; killing it (its log: " + node.logFile + ")");
            err.flush();
            kill(node);
            code = -1;
        }
        node.state = NodeProcess.State.DOWN;
        return code;
    }

    /** SIGSTOP: the process freezes, its connections stay open. */
    void pause(NodeProcess node) throws IOException, InterruptedException {
        node.state = NodeProcess.State.PAUSED;
        signal(node, "STOP");
    }

    /** SIGCONT, then waits until it answers PING again. */
    void resume(NodeProcess node) throws IOException, InterruptedException, NodeStartException {
        signal(node, "CONT");
        Process process = node.process;
        awaitPing(node, process, node.address, clock.nanoTime() + startTimeout.toNanos());
        node.state = NodeProcess.State.UP;
    }

    private static void signal(NodeProcess node, String signal) throws IOException, InterruptedException {
        Process process = node.process;
        if (process == null || !process.isAlive()) {
            throw new IOException(node + " is not running");
        }
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                .redirectErrorStream(true).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS)) {
            kill.destroyForcibly();
            throw new IOException("kill -" + signal + " " + process.pid() + " did not return within 10 s");
        }
        if (kill.exitValue() != 0) {
            throw new IOException("kill -" + signal + " " + process.pid() + " failed (exit code " + kill.exitValue()
                    + "): " + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
        }
    }

    /**
     * Ends every node process: SIGCONT to paused ones, SIGTERM to all, SIGKILL to those still running
     * after {@link #CLOSE_WAIT}. Idempotent; any thread (the shutdown hook included); no
     * node is started after it.
     */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
        }
        List<NodeProcess> all = new ArrayList<>(coreNodes);
        all.add(extraNode);
        List<Process> running = new ArrayList<>();
        for (NodeProcess node : all) {
            Process process = node.process;
            if (process != null && process.isAlive()) {
                if (node.state == NodeProcess.State.PAUSED) {
                    try {
                        signal(node, "CONT");
                    } catch (IOException e) {
                        // SIGKILL below ends a stopped process too
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                node.state = NodeProcess.State.STOPPING;
                process.destroy();
                running.add(process);
            }
        }
        long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
        for (Process process : running) {
            end(process, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        for (NodeProcess node : all) {
            node.state = NodeProcess.State.DOWN;
        }
    }

    /** Waits up to {@code grace} for the process to exit, then SIGKILLs it and waits a little more. */
    private static void end(Process process, Duration grace) {
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private String config(NodeProcess node, int port, List<String> seeds) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Written by bin/shoal check for node ").append(node.id).append(" at each of its starts.\n");
        sb.append("node.id = ").append(quote(node.id)).append('\n');
        sb.append("node.dataDir = ").append(quote(node.dataDir.toAbsolutePath().toString())).append('\n');
        sb.append("transport = tcp\n");
        sb.append("server.host = \"127.0.0.1\"\n");
        sb.append("server.port = ").append(port).append('\n');
        sb.append("server.auth.secret = ").append(quote(settings.secret())).append('\n');
        sb.append("cluster.seeds = [");
        for (int i = 0; i < seeds.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(quote(seeds.get(i)));
        }
        sb.append("]\n");
        sb.append("backups.count = ").append(settings.backups()).append('\n');
        sb.append("backups.sync = true\n");
        sb.append("persistence = ").append(settings.persistence()).append('\n');
        if (settings.persistence().equals("file")) {
            sb.append("persist-file.fsync = always\n");
        }
        if (!settings.extraSettings().isEmpty()) {
            sb.append("# --set\n");
            for (String line : settings.extraSettings()) {
                sb.append(line).append('\n');
            }
        }
        return sb.toString();
    }

    /** A HOCON (JSON) quoted string. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    private String failure(NodeProcess node, String why, long logOffset) {
        List<String> lines = readFrom(node.logFile, logOffset).lines().toList();
        StringBuilder sb = new StringBuilder(why).append("; its log: ").append(node.logFile);
        if (!lines.isEmpty()) {
            sb.append("; last lines:");
            for (String line : lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size())) {
                sb.append("\n    ").append(line);
            }
        }
        return sb.toString();
    }

    /** The file's text from {@code offset} (Latin-1: byte for byte, whatever the log holds); empty if unreadable. */
    private static String readFrom(Path file, long offset) {
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            long length = in.length();
            if (length <= offset) {
                return "";
            }
            byte[] bytes = new byte[(int) Math.min(length - offset, 4 << 20)];
            in.seek(Math.max(offset, length - bytes.length));
            in.readFully(bytes);
            return new String(bytes, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }

    private static File nullDevice() {
        return new File(System.getProperty("os.name", "").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    /** The node's old port is taken by another socket: start it again on a new one. */
    private static final class PortTakenException extends Exception {
        private static final long serialVersionUID = 1L;

        PortTakenException(String message) {
            super(message);
        }
    }
}
