package io.shoal.core;

import java.util.ArrayList;
import java.util.List;

/** A user type, as an application would register it. */
public final class KryoPoint {
    String label;
    int x;
    ArrayList<String> tags;

    public KryoPoint() {
    }

    KryoPoint(String label, int x, List<String> tags) {
        this.label = label;
        this.x = x;
        this.tags = new ArrayList<>(tags);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KryoPoint p && java.util.Objects.equals(label, p.label) && x == p.x
                && java.util.Objects.equals(tags, p.tags);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(label, x, tags);
    }

    @Override
    public String toString() {
        return "Point(" + label + ", " + x + ", " + tags + ")";
    }
}

