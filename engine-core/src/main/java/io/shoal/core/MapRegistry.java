package io.shoal.core;

import io.shoal.KeyHash;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Names to {@link MapHandle}s. A map's id is the {@link KeyHash} of its UTF-8 name, so every node
 * and every restart derives the same id without coordination; two names with one id (a 64-bit
 * collision) are refused rather than mixed.
 */
final class MapRegistry {
    private static final int MAX_NAME_BYTES = 255;
    private final ConcurrentHashMap<String, MapHandle> byName = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, MapHandle> byId = new ConcurrentHashMap<>();

    MapHandle open(String name) {
        MapHandle existing = byName.get(name);
        if (existing != null) {
            return existing;
        }
        validate(name);
        return byName.computeIfAbsent(name, n -> {
            long id = KeyHash.hashUtf8(n);
            MapHandle handle = new MapHandle(n, id);
            MapHandle clash = byId.putIfAbsent(id, handle);
            if (clash != null) {
                throw new IllegalArgumentException("map name \"" + n + "\" has the same id as \"" + clash.name
                        + "\"; choose another name");
            }
            return handle;
        });
    }

    /**
     * Opens every map of {@code names}, in order (an export file's maps).
     *
     * @throws IllegalArgumentException naming the first name that is not valid or clashes
     */
    MapHandle[] openAll(java.util.List<String> names) {
        MapHandle[] handles = new MapHandle[names.size()];
        for (int i = 0; i < handles.length; i++) {
            handles[i] = open(names.get(i));
        }
        return handles;
    }

    MapHandle byId(long id) {
        return byId.get(id);
    }

    Collection<MapHandle> all() {
        return byName.values();
    }

    Set<String> names() {
        return Set.copyOf(byName.keySet());
    }

    static void validate(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("map name must not be empty");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("map name \"" + name.substring(0, 32) + "...\" is longer than "
                    + MAX_NAME_BYTES + " UTF-8 bytes");
        }
        for (int i = 0; i < name.length(); i++) {
            if (Character.isISOControl(name.charAt(i))) {
                throw new IllegalArgumentException("map name \"" + name.replaceAll("\\p{Cntrl}", "?")
                        + "\" contains a control character at index " + i);
            }
        }
    }
}
