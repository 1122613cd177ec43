package io.shoal.persist.file.kill;

import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The writer process of {@link KillRecoveryTest}: starts a node with {@code persistence = file} and
 * {@code persist-file.fsync = always} on a directory and writes to it from several threads until
 * it is SIGKILLed.
 *
 * <p>Arguments: {@code <dir> <runId> <threads> <keysPerThread> <seed>}.
 *
 * <p>Protocol, one line per event on stdout, each line written with a single {@code write} call
 * (and so whole, or not at all, when the process is killed):
 * <ul>
 *   <li>{@code START <runId>} before the node starts (recovery is about to run);</li>
 *   <li>{@code RECOVERED <n>} once the node is up: the size of the recovered map;</li>
 *   <li>{@code TRY <op> <key> <value-or-dash>} before a write is issued;</li>
 *   <li>{@code ACK <op> <key> <value-or-dash> <version-or-dash>} after the write returned, that is
 *       was acknowledged;</li>
 *   <li>{@code FAIL <message>} when a write threw (the process then halts), {@code DONE} when the
 *       loops ended by their bounds.</li>
 * </ul>
 * Thread {@code t} writes only the keys {@code k<t>-<i>}, so the writes of a key are sequential
 * and their lines appear in program order; values are unique ({@code runId:thread:counter:padding}).
 *
 * <p>Bounded: each thread stops after {@link #MAX_OPS_PER_THREAD} writes or {@link #MAX_RUN_SECONDS}
 * seconds, and the process halts as soon as its stdin reaches end of file, that is when the parent
 * JVM is gone, so no child outlives the test.
 */
public final class KillChild {
    static final String MAP = "kill";
    static final long MAX_OPS_PER_THREAD = 200_000;
    static final long MAX_RUN_SECONDS = 90;

    private static final FileOutputStream OUT = new FileOutputStream(FileDescriptor.out);

    private KillChild() {
    }

    /** The node configuration shared by the child and the verifying parent. */
    static ShoalConfig config(Path dir) {
        return ShoalConfig.builder()
                .nodeId("kill-test")
                .bucketCount(16)
                .set("store.entriesPerBucket", 512)
                .set("memory.maxBytes", "256m")
                .set("persistence", "file")
                .set("persist-file.dir", dir.toString())
                .set("persist-file.fsync", "always")
                .build();
    }

    /** Key {@code index} of thread {@code thread}. */
    static String key(int thread, int index) {
        return "k" + thread + "-" + index;
    }

    /** Writes one whole line with a single write call, only after the caller's action returned. */
    private static synchronized void emit(String line) {
        try {
            OUT.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // The parent closed the pipe: it is gone or done with us.
            Runtime.getRuntime().halt(4);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: KillChild <dir> <runId> <threads> <keysPerThread> <seed>");
            System.exit(64);
        }
        Path dir = Path.of(args[0]);
        String runId = args[1];
        int threads = Integer.parseInt(args[2]);
        int keysPerThread = Integer.parseInt(args[3]);
        long seed = Long.parseLong(args[4]);

        Thread parentWatch = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // Nothing is sent; we only wait for end of file.
                }
            } catch (IOException ignored) {
                // Same as end of file.
            }
            Runtime.getRuntime().halt(3);
        }, "parent-watch");
        parentWatch.setDaemon(true);
        parentWatch.start();

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(MAX_RUN_SECONDS);
        emit("START " + runId);
        try (ShoalNode node = Shoal.start(config(dir))) {
            ShoalMap<String, String> map = node.map(MAP, String.class, String.class);
            emit("RECOVERED " + map.size());
            SplittableRandom seeds = new SplittableRandom(seed);
            Thread[] writers = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                int thread = t;
                SplittableRandom random = seeds.split();
                writers[t] = new Thread(() -> write(map, runId, thread, keysPerThread, random, deadline), "writer-" + t);
                writers[t].start();
            }
            for (Thread writer : writers) {
                writer.join(TimeUnit.SECONDS.toMillis(MAX_RUN_SECONDS + 30));
            }
        }
        emit("DONE");
    }

    private static void write(ShoalMap<String, String> map, String runId, int thread, int keysPerThread,
                              SplittableRandom random, long deadline) {
        try {
            for (long i = 0; i < MAX_OPS_PER_THREAD && System.nanoTime() < deadline; i++) {
                String key = key(thread, random.nextInt(keysPerThread));
                if (random.nextInt(10) < 7) {
                    // Values of varied length, so records straddle pages and a kill can tear them.
                    String value = runId + ":" + thread + ":" + i + ":"
                            + String.valueOf((char) ('a' + random.nextInt(26))).repeat(random.nextInt(400));
                    emit("TRY put " + key + " " + value);
                    long version = map.put(key, value);
                    emit("ACK put " + key + " " + value + " " + version);
                } else {
                    emit("TRY remove " + key + " -");
                    map.remove(key);
                    emit("ACK remove " + key + " - -");
                }
            }
        } catch (Throwable e) {
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            System.err.println(trace);
            emit("FAIL " + e.toString().replace('\n', ' '));
            Runtime.getRuntime().halt(2);
        }
    }
}
