package io.shoal.samples.cli;

import io.shoal.KeyHash;
import io.shoal.samples.cli.ShoalCliTest.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.shoal.samples.cli.ShoalCliTest.run;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bin/shoal node} and the remote commands, all in this JVM: one node started by the
 * {@code node} command on a free port (file persistence, 16 buckets) serves every test; the
 * commands talk to it over TCP through the Java client, as they do from another process.
 */
@Timeout(120)
class RemoteCommandsTest {
    @TempDir
    static Path dir;
    static NodeRun node;
    static String address;

    @BeforeAll
    static void startNode() throws IOException {
        node = NodeRun.node("--config", config(dir.resolve("shared"), "").toString(), "--port", "0");
        Matcher ready = node.awaitReady();
        assertEquals("file", ready.group(3), node.toString());
        assertEquals("16", ready.group(4), node.toString());
        address = ready.group(2);
        assertTrue(address.matches("127\\.0\\.0\\.1:\\d+") && !address.endsWith(":0"), address);
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            assertEquals(0, node.stop(), node.toString());
        }
    }

    /** A node config with file persistence under {@code dir/data}, plus {@code extra} HOCON; written to {@code dir/node.conf}. */
    static Path config(Path dir, String extra) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve("node.conf"), String.join("\n",
                "node.dataDir = \"" + dir.resolve("data").toString().replace("\\", "/") + "\"",
                "persistence = file",
                "buckets.count = 16",
                "memory.maxBytes = 64m",
                "persist-file.snapshotIntervalMs = 0",
                extra,
                ""));
    }

    /** Runs a remote command against the shared node. */
    static Run remote(String... args) {
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--nodes";
        all[args.length + 1] = address;
        return run(all);
    }

    @Test
    void theNodeCommandsSavefileKeepsTheClusterAcrossARestart() throws IOException {
        Path save = dir.resolve("savefile").resolve("cluster.save");
        try (NodeRun first = NodeRun.node("--config", config(dir.resolve("savefile").resolve("first"), "").toString(),
                "--port", "0", "--id", "sf", "--savefile", save.toString())) {
            String at = first.awaitReady().group(2);
            Run put = run("put", "greeting", "hello", "--nodes", at);
            assertEquals(0, put.exitCode(), put.toString());
            assertEquals(0, first.stop(), first.toString());
        }
        assertTrue(Files.exists(save), "the last (only) node saved the cluster");
        // Another data directory: the value can only come from the savefile.
        try (NodeRun second = NodeRun.node("--config", config(dir.resolve("savefile").resolve("second"), "").toString(),
                "--port", "0", "--id", "sf", "--savefile", save.toString())) {
            String at = second.awaitReady().group(2);
            Run get = run("get", "greeting", "--nodes", at);
            assertEquals("hello\n", get.out(), get.toString());
            assertTrue(Files.exists(dir.resolve("savefile").resolve("cluster.save.loaded")));
            assertEquals(0, second.stop(), second.toString());
        }
    }

    @Test
    void putGetDeleteAndNotFound() {
        Run put = remote("put", "--map", "crud", "ada", "Ada Lovelace");
        assertEquals(0, put.exitCode(), put.toString());
        assertTrue(put.out().matches("version \\d+\n"), put.toString());
        assertEquals("", put.err());

        Run get = remote("get", "--map", "crud", "ada");
        assertEquals(0, get.exitCode(), get.toString());
        assertEquals("Ada Lovelace\n", get.out());

        Run second = remote("put", "--map", "crud", "ada", "Countess");
        long first = Long.parseLong(put.out().trim().substring("version ".length()));
        assertTrue(Long.parseLong(second.out().trim().substring("version ".length())) > first, second.toString());

        Run otherMap = remote("get", "ada");
        assertEquals(3, otherMap.exitCode(), "the default map is another map: " + otherMap);

        Run removed = remote("delete", "--map", "crud", "ada");
        assertEquals(0, removed.exitCode(), removed.toString());
        assertEquals("removed\n", removed.out());

        Run notFound = remote("get", "--map", "crud", "ada");
        assertEquals(3, notFound.exitCode(), notFound.toString());
        assertEquals("", notFound.out());
        assertEquals("shoal get: not found: key \"ada\" in map \"crud\"\n", notFound.err());

        Run again = remote("delete", "--map", "crud", "ada");
        assertEquals(0, again.exitCode(), again.toString());
        assertEquals("not present\n", again.out());
    }

    @Test
    void utf8TextAndHex() {
        Run put = remote("put", "--map", "text", "clé", "naïve ☃");
        assertEquals(0, put.exitCode(), put.toString());
        Run asText = remote("get", "--map", "text", "clé");
        assertEquals("naïve ☃\n", asText.out(), asText.toString());
        String keyHex = hex("clé");
        Run asHex = remote("get", "--map", "text", "--hex", keyHex);
        assertEquals(0, asHex.exitCode(), asHex.toString());
        assertEquals(hex("naïve ☃") + "\n", asHex.out());

        Run binary = remote("put", "--map", "text", "--hex", "00ff", "deadbeef");
        assertEquals(0, binary.exitCode(), binary.toString());
        Run back = remote("get", "--map", "text", "--hex", "00FF");
        assertEquals("deadbeef\n", back.out(), back.toString());

        Run badHex = remote("get", "--hex", "xyz");
        assertEquals(2, badHex.exitCode(), badHex.toString());
        assertTrue(badHex.err().startsWith("Invalid KEY 'xyz': with --hex"), badHex.toString());
    }

    @Test
    void ttlExpires() {
        Run put = remote("put", "--map", "ttl", "session", "token", "--ttl", "300ms");
        assertEquals(0, put.exitCode(), put.toString());
        await("the entry to expire").atMost(NodeRun.WAIT)
                .until(() -> remote("get", "--map", "ttl", "session").exitCode() == 3);
    }

    @Test
    void hashAgreesWithKeyHashAndNamesTheBucket() {
        long expected = KeyHash.hashUtf8("user:42");
        Run hash = remote("hash", "user:42");
        assertEquals(0, hash.exitCode(), hash.toString());
        String bucket = "bucket " + KeyHash.bucketOf(expected, 16) + " of 16";
        assertEquals(List.of(
                String.format("local %016x  %s  (io.shoal.KeyHash)", expected, bucket),
                String.format("node  %016x  %s  (HASH_CHECK at %s)", expected, bucket, address),
                "agree yes"), hash.out().lines().toList(), hash.toString());

        Run hex = remote("hash", "--hex", "6b");
        assertTrue(hex.out().startsWith("local c3d31922c50b1b63  bucket 3 of 16"), "docs/protocol.md's vector for \"k\": " + hex);
    }

    @Test
    void pingPrintsEveryRoundTripAndASummary() {
        Run ping = remote("ping", "--count", "2");
        assertEquals(0, ping.exitCode(), ping.toString());
        List<String> lines = ping.out().lines().toList();
        assertEquals(3, lines.size(), ping.toString());
        assertTrue(lines.get(0).matches("pong from " + address.replace(".", "\\.") + ": seq=1 time=\\d+\\.\\d{3} ms"), ping.toString());
        assertTrue(lines.get(1).contains("seq=2"), ping.toString());
        assertTrue(lines.get(2).matches("2 pings to .*: min \\S+ ms, avg \\S+ ms, max \\S+ ms"), ping.toString());

        Run zero = remote("ping", "--count", "0");
        assertEquals(2, zero.exitCode(), zero.toString());
    }

    @Test
    void statsAreNameValueLines() {
        remote("put", "--map", "stats", "k", "v");
        Run stats = remote("stats");
        assertEquals(0, stats.exitCode(), stats.toString());
        assertTrue(stats.out().lines().allMatch(line -> line.matches("[A-Za-z]+ -?\\d+")), stats.toString());
        Map<String, Long> values = stats.out().lines().map(line -> line.split(" "))
                .collect(Collectors.toMap(f -> f[0], f -> Long.parseLong(f[1])));
        assertEquals(16L, values.get("bucketCount"), stats.toString());
        assertTrue(values.get("entries") >= 1, stats.toString());
        assertTrue(values.get("connections") >= 1, "this command's own connection: " + stats);
    }

    @Test
    void clusterPauseRefusesWritesUntilResume() {
        Run status = remote("cluster", "status");
        assertEquals(0, status.exitCode(), status.toString());
        assertTrue(status.out().matches("running \\(table version \\d+\\)\\R"), status.toString());
        try {
            Run pause = remote("cluster", "pause");
            assertTrue(pause.out().startsWith("paused"), pause.toString());
            Run refused = remote("put", "--map", "paused", "k", "v");
            assertEquals(1, refused.exitCode(), refused.toString());
            assertTrue(refused.err().contains("paused"), refused.toString());
            assertTrue(remote("cluster", "status").out().startsWith("paused"));
        } finally {
            Run resume = remote("cluster", "resume");
            assertTrue(resume.out().startsWith("running"), resume.toString());
        }
        assertEquals(0, remote("put", "--map", "paused", "k", "v").exitCode());
        Run bad = remote("cluster", "halt");
        assertEquals(2, bad.exitCode(), bad.toString());
    }

    @Test
    void subscribePrintsMatchingEventsUntilStopped() {
        try (NodeRun subscriber = NodeRun.subscribe("--map", "events", "--prefix", "u:", "--nodes", address)) {
            await("the subscription").atMost(NodeRun.WAIT)
                    .until(() -> subscriber.err.toString().contains("subscribed to") || subscriber.exitCode.isDone());
            assertEquals("shoal subscribe: subscribed to keys starting with \"u:\" in map \"events\" at " + address
                    + "; Ctrl-C to stop\n", subscriber.err.toString());

            assertEquals(0, remote("put", "--map", "events", "other", "not matched").exitCode());
            Run put = remote("put", "--map", "events", "u:1", "line one\nline \"two\"");
            assertEquals(0, remote("delete", "--map", "events", "u:1").exitCode());
            String version = put.out().trim().substring("version ".length());
            int bucket = KeyHash.bucketOf(KeyHash.hashUtf8("u:1"), 16);

            await("two events").atMost(NodeRun.WAIT).until(() -> subscriber.out.toString().lines().count() >= 2);
            List<String> lines = subscriber.out.toString().lines().toList();
            assertEquals("CREATED bucket=" + bucket + " seq=" + version + " key=\"u:1\" value=\"line one\\nline \\\"two\\\"\"",
                    lines.get(0), subscriber.toString());
            assertTrue(lines.get(1).matches("REMOVED bucket=" + bucket + " seq=\\d+ key=\"u:1\""), subscriber.toString());

            assertEquals(0, subscriber.stop(), subscriber.toString());
            assertEquals(2, subscriber.out.toString().lines().count(), "nothing but the matching events: " + subscriber);
        }

        Run both = remote("subscribe", "--key", "a", "--prefix", "b");
        assertEquals(2, both.exitCode(), both.toString());
        assertTrue(both.err().contains("mutually exclusive"), both.toString());
    }

    @Test
    void aWrongAddressFailsWithOneLineWithinTheTimeout() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        long started = System.nanoTime();
        Run get = run("get", "k", "--nodes", "127.0.0.1:" + closedPort, "--timeout", "2s");
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        assertEquals(1, get.exitCode(), get.toString());
        assertEquals("", get.out());
        assertEquals(1, get.err().lines().count(), get.toString());
        assertTrue(get.err().startsWith("shoal get: cannot connect to any of [127.0.0.1:" + closedPort + "]"), get.toString());
        assertTrue(elapsedMs < 10_000, elapsedMs + " ms");

        Run verbose = run("ping", "--nodes", "127.0.0.1:" + closedPort, "--timeout", "1s", "--verbose");
        assertEquals(1, verbose.exitCode(), verbose.toString());
        assertTrue(verbose.err().contains("\tat "), "the stack trace: " + verbose);

        Run notAnAddress = run("get", "k", "--nodes", "localhost");
        assertEquals(2, notAnAddress.exitCode(), notAnAddress.toString());
        assertTrue(notAnAddress.err().startsWith("Invalid --nodes: \"localhost\" is not a TCP address"), notAnAddress.toString());

        Run badTimeout = run("get", "k", "--timeout", "soon");
        assertEquals(2, badTimeout.exitCode(), badTimeout.toString());
        assertTrue(badTimeout.err().contains("'soon' is not a duration"), badTimeout.toString());
    }

    @Test
    void aNodeWithASecretAndTransportNoneStillServes() throws IOException {
        Path conf = config(dir.resolve("secret"), "transport = none\nserver.auth.secret = \"s3cret\"");
        try (NodeRun secured = NodeRun.node("--config", conf.toString(), "--port", "0", "--host", "127.0.0.1")) {
            String at = secured.awaitReady().group(2);
            Run withoutSecret = run("ping", "--nodes", at, "--count", "1");
            assertEquals(1, withoutSecret.exitCode(), withoutSecret.toString());
            assertTrue(withoutSecret.err().contains("requires authentication; give with --secret (or SHOAL_SECRET)"),
                    withoutSecret.toString());
            Run wrong = run("ping", "--nodes", at, "--count", "1", "--secret", "guess");
            assertEquals(1, wrong.exitCode(), wrong.toString());
            assertTrue(wrong.err().contains("secret is wrong"), wrong.toString());
            Run right = run("put", "k", "v", "--nodes", at, "--secret", "s3cret");
            assertEquals(0, right.exitCode(), right.toString());
            assertEquals(0, secured.stop(), secured.toString());
        }
    }

    @Test
    void theNodeStopsCleanlyAndKeepsItsDataAcrossARestart() throws IOException {
        Path conf = config(dir.resolve("restart"), "node.id = \"restart-1\"");
        String at;
        try (NodeRun first = NodeRun.node("--config", conf.toString(), "--port", "0")) {
            at = first.awaitReady().group(2);
            assertEquals(0, run("put", "kept", "across restarts", "--nodes", at).exitCode());
            assertEquals(0, first.stop(), first.toString());
            List<String> lines = first.out.toString().lines().toList();
            assertEquals(2, lines.size(), first.toString());
            assertEquals("shoal node restart-1 serving at " + at + " (persistence=file, buckets=16)", lines.get(0));
            assertTrue(lines.get(1).matches("shoal node restart-1 stopped cleanly \\(asked to stop\\) after \\d+\\.\\d s"),
                    first.toString());
        }
        try (Stream<Path> files = Files.list(dir.resolve("restart/data/log"))) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().matches("snapshot-\\d+\\.snap")),
                    "the shutdown snapshot");
        }
        try (NodeRun second = NodeRun.node("--config", conf.toString(), "--port", "0")) {
            String again = second.awaitReady().group(2);
            Run get = run("get", "kept", "--nodes", again);
            assertEquals("across restarts\n", get.out(), get.toString());
            assertEquals(0, second.stop(), second.toString());
        }
    }

    @Test
    void startFailuresExitWithOneLine() throws IOException {
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        Run inUse = run("node", "--port", String.valueOf(port), "--config",
                config(dir.resolve("in-use"), "").toString());
        assertEquals(1, inUse.exitCode(), inUse.toString());
        assertEquals(1, inUse.err().lines().count(), inUse.toString());
        assertTrue(inUse.err().startsWith("shoal node: cannot listen at 127.0.0.1:" + port + ": "), inUse.toString());
        assertTrue(inUse.err().toLowerCase().contains("in use"), inUse.toString());
        assertEquals("", inUse.out());

        Path typo = Files.writeString(dir.resolve("typo.conf"), "memory.maxByte = 5m\n");
        Run badKey = run("node", "--config", typo.toString());
        assertEquals(1, badKey.exitCode(), badKey.toString());
        assertTrue(badKey.err().startsWith("shoal node: memory.maxByte: is not a known setting"), badKey.toString());

        Run missing = run("node", "--config", dir.resolve("missing.conf").toString());
        assertEquals(1, missing.exitCode(), missing.toString());
        assertTrue(missing.err().contains("missing.conf does not exist"), missing.toString());

        Run badPort = run("node", "--port", "70000");
        assertEquals(2, badPort.exitCode(), badPort.toString());
        assertTrue(badPort.err().startsWith("--port 70000 is out of range"), badPort.toString());

        Run help = run("node", "--help");
        assertEquals(0, help.exitCode(), help.toString());
        assertTrue(help.out().contains("transport = tcp"), help.toString());
    }

    private static String hex(String text) {
        return java.util.HexFormat.of().formatHex(text.getBytes(StandardCharsets.UTF_8));
    }
}
