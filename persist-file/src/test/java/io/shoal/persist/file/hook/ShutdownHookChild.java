package io.shoal.persist.file.hook;

import io.shoal.Shoal;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;

import java.nio.file.Path;

/**
 * Child JVM of {@link ShutdownHookCloseTest}: writes {@link #ENTRIES} entries, closes its node from
 * a JVM shutdown hook (as an application would) and exits.
 */
public final class ShutdownHookChild {
    static final int ENTRIES = 100;

    public static void main(String[] args) {
        ShoalNode node = Shoal.start(ShutdownHookCloseTest.config(Path.of(args[0])));
        Runtime.getRuntime().addShutdownHook(new Thread(node::close, "close-node"));
        ShoalMap<String, String> map = node.map("m", String.class, String.class);
        for (int i = 0; i < ENTRIES; i++) {
            map.put("k" + i, "v" + i);
        }
        System.exit(0);
    }
}
