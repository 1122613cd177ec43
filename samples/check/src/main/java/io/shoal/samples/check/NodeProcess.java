package io.shoal.samples.check;

import java.nio.file.Path;

/**
 * One node of the checked cluster: its files in the work directory and, while it runs, its process.
 * The same node (id, data directory, log file) is started again after every stop; its port is kept
 * across restarts, so clients find it where it was. Written by the {@link Cluster}'s controlling
 * thread, read by any (progress lines, the shutdown hook): the mutable fields are volatile.
 */
final class NodeProcess {
    enum State { DOWN, STARTING, UP, PAUSED, STOPPING }

    final String id;
    final Path dir;
    final Path dataDir;
    final Path configFile;
    final Path logFile;
    /** Whether this is the node beyond {@code --nodes} that the {@code extra} fault adds and removes. */
    final boolean extra;

    volatile State state = State.DOWN;
    volatile Process process;
    /** host:port it served at when last up; null before its first start. */
    volatile String address;
    volatile int starts;

    NodeProcess(String id, Path dir, boolean extra) {
        this.id = id;
        this.dir = dir;
        this.dataDir = dir.resolve("data");
        this.configFile = dir.resolve("node.conf");
        this.logFile = dir.resolve("node.log");
        this.extra = extra;
    }

    boolean isAlive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** The port it served at, or 0 (any free one) before its first start. */
    int port() {
        String a = address;
        return a == null ? 0 : Integer.parseInt(a.substring(a.lastIndexOf(':') + 1));
    }

    /** e.g. {@code n2 UP 127.0.0.1:40123 (pid 4242)}. */
    String describe() {
        Process p = process;
        return id + " " + state + (address == null ? "" : " " + address)
                + (p != null && p.isAlive() ? " (pid " + p.pid() + ")" : "");
    }

    @Override
    public String toString() {
        return id;
    }
}
