package io.shoal.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** A user type for the Kryo codec, as an application would register it (with ArrayList). */
public final class ClientPoint {
    String label;
    int x;
    ArrayList<String> tags;

    public ClientPoint() {
    }

    ClientPoint(String label, int x, List<String> tags) {
        this.label = label;
        this.x = x;
        this.tags = new ArrayList<>(tags);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClientPoint p && Objects.equals(label, p.label) && x == p.x && Objects.equals(tags, p.tags);
    }

    @Override
    public int hashCode() {
        return Objects.hash(label, x, tags);
    }

    @Override
    public String toString() {
        return "Point(" + label + ", " + x + ", " + tags + ")";
    }
}
