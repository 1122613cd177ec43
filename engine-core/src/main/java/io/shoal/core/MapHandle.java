package io.shoal.core;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The node-wide state of one named map: its id (the key prefix in every bucket store), its entry
 * count and its listeners. One instance per name, shared by every typed view of the map.
 */
final class MapHandle {
    final String name;
    final long id;
    final LongAdder size = new LongAdder();
    final CopyOnWriteArrayList<ListenerRegistration> listeners = new CopyOnWriteArrayList<>();
    /** Events of this map dropped since its listeners were last told (event thread reads and resets). */
    final AtomicLong droppedUndelivered = new AtomicLong();

    MapHandle(String name, long id) {
        this.name = name;
        this.id = id;
    }
}
