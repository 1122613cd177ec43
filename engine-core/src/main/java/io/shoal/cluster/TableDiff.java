package io.shoal.cluster;

import io.shoal.cluster.PartitionTable.Replica;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The buckets that changed between two versions of a {@link PartitionTable}: what nodes and smart
 * clients receive instead of the whole table.
 *
 * <p>Design: immutable; buckets in ascending order so the encoding is canonical. A diff carries
 * the new replica list of every changed bucket and, separately, which of them are
 * {@linkplain PartitionTable#isLost lost} in the newer version, because an empty list alone cannot
 * tell "lost" from "never assigned". A diff with {@code fromVersion} 0 is the whole table: applied
 * to {@link PartitionTable#empty} it yields the newer table.
 *
 * @param fromVersion the version the diff applies to, {@code >= 0}
 * @param toVersion   the version of the table it produces, {@code > fromVersion}
 * @param buckets     new replica list (primary first) of every changed bucket
 * @param lost        the changed buckets that are lost in the newer version; each maps to an empty list
 */
record TableDiff(long fromVersion, long toVersion, SortedMap<Integer, List<Replica>> buckets,
                 SortedSet<Integer> lost) {

    /**
     * Validates and copies.
     *
     * @throws IllegalArgumentException naming the bad value if a version is out of order, a bucket is
     *                                  negative, or a lost bucket is not mapped to an empty list
     */
    TableDiff {
        if (fromVersion < 0) {
            throw new IllegalArgumentException("fromVersion must not be negative: " + fromVersion);
        }
        if (toVersion <= fromVersion) {
            throw new IllegalArgumentException("toVersion " + toVersion + " must be greater than fromVersion "
                    + fromVersion);
        }
        Objects.requireNonNull(buckets, "buckets");
        Objects.requireNonNull(lost, "lost");
        TreeMap<Integer, List<Replica>> copy = new TreeMap<>();
        for (Map.Entry<Integer, List<Replica>> e : buckets.entrySet()) {
            Integer bucket = Objects.requireNonNull(e.getKey(), "bucket");
            if (bucket < 0) {
                throw new IllegalArgumentException("bucket must not be negative: " + bucket);
            }
            copy.put(bucket, List.copyOf(Objects.requireNonNull(e.getValue(), () -> "replicas of bucket " + bucket)));
        }
        TreeSet<Integer> lostCopy = new TreeSet<>();
        for (Integer bucket : lost) {
            List<Replica> replicas = copy.get(Objects.requireNonNull(bucket, "lost bucket"));
            if (replicas == null || !replicas.isEmpty()) {
                throw new IllegalArgumentException("lost bucket " + bucket + " must be in the diff with no replicas, was "
                        + replicas);
            }
            lostCopy.add(bucket);
        }
        buckets = Collections.unmodifiableSortedMap(copy);
        lost = Collections.unmodifiableSortedSet(lostCopy);
    }

    /**
     * A diff that does not list lost buckets explicitly: every bucket mapped to an empty list counts
     * as lost, so a sender that forgets the flag can never make a loss look like a fresh, unassigned
     * bucket (which the planner would fill with empty copies).
     */
    TableDiff(long fromVersion, long toVersion, SortedMap<Integer, List<Replica>> buckets) {
        this(fromVersion, toVersion, buckets, emptyLists(buckets));
    }

    /** Whether applying the diff changes no bucket (it still moves the version forward). */
    boolean isEmpty() {
        return buckets.isEmpty();
    }

    private static SortedSet<Integer> emptyLists(SortedMap<Integer, List<Replica>> buckets) {
        Objects.requireNonNull(buckets, "buckets");
        List<Integer> empty = new ArrayList<>();
        buckets.forEach((bucket, replicas) -> {
            if (replicas != null && replicas.isEmpty()) {
                empty.add(bucket);
            }
        });
        return new TreeSet<>(empty);
    }
}
