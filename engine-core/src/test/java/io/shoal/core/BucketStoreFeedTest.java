package io.shoal.core;

import io.shoal.ChangeType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bucket fed by its primary (BucketStore.startFeed / applyCopy FEED and SNAPSHOT / endFeed): the
 * primary's copy wins over what the bucket held before, whatever its versions, and nothing the
 * bucket held is gone before the feed completes.
 */
class BucketStoreFeedTest {
    private static final MapHandle MAP = new MapHandle("m", 7);

    private final List<String> replicated = new ArrayList<>();
    private final List<String> dropped = new ArrayList<>();
    private BucketStore store;

    @BeforeEach
    void open() {
        store = new BucketStore("n1", 0, new StoreSizing(1024, 8, 16), new BucketStore.ChangeSink() {
            @Override
            public void applied(MapHandle map, BucketStore bucket, ChangeType type, long sequence, StoredKey key,
                                StoredValue value, long nowMs) {
                throw new AssertionError("a copy reports no change as its own");
            }

            @Override
            public void replicated(MapHandle map, BucketStore bucket, ChangeType type, long sequence, StoredKey key,
                                   StoredValue value, long nowMs) {
                replicated.add(text(key) + "@" + sequence);
            }
        }, 1);
        store.open();
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void aCopyFedAgainKeepsItsEntriesUntilTheFeedCompletesThenHoldsExactlyThePrimarysCopy() {
        // This copy followed a failed primary further than the new one: its versions are higher.
        replica("a", "a-old", 1);
        replica("b", "b-old", 2);
        replica("gone", "x", 3);
        replica("c", "c-unacked", 4);
        store.startFeed(2);
        assertTrue(store.isFeeding());
        assertEquals(2, store.sequence());
        assertEquals(Map.of("a", "a-old@1", "b", "b-old@2", "gone", "x@3", "c", "c-unacked@4"), contents(),
                "nothing is dropped when the feed starts");

        assertEquals(BucketStore.CopyOutcome.APPLIED, copy("c", "c-new", 3, BucketStore.CopyMode.FEED));
        assertEquals(BucketStore.CopyOutcome.APPLIED, copy("a", "a-primary", 1, BucketStore.CopyMode.SNAPSHOT));
        assertEquals(BucketStore.CopyOutcome.APPLIED, copy("b", "b-primary", 2, BucketStore.CopyMode.SNAPSHOT));
        assertEquals(BucketStore.CopyOutcome.SKIPPED, copy("c", "c-snapshot", 2, BucketStore.CopyMode.SNAPSHOT),
                "a snapshot entry older than a live change of its key");
        assertEquals(Map.of("a", "a-primary@1", "b", "b-primary@2", "gone", "x@3", "c", "c-new@3"), contents());

        store.endFeed(true, (mapId, entries, bytes) -> dropped.add(mapId + ":" + entries + ":" + bytes));
        assertFalse(store.isFeeding());
        assertEquals(Map.of("a", "a-primary@1", "b", "b-primary@2", "c", "c-new@3"), contents(),
                "the entry the primary's copy does not hold is removed at the end");
        assertEquals(List.of(MAP.id + ":1:5"), dropped, "one entry of 4 key and 1 value bytes");
        assertEquals(3, store.entriesApprox());
        assertEquals(3, store.sequence());
        assertEquals(List.of("c@3"), replicated.subList(4, replicated.size()), "live changes go to persistence");
    }

    @Test
    void aLiveRemovalDuringTheFeedKeepsAnOlderSnapshotEntryFromComingBack() {
        replica("k", "v1", 1);
        store.startFeed(5);
        assertEquals(BucketStore.CopyOutcome.APPLIED, copy("k", null, 6, BucketStore.CopyMode.FEED));
        assertEquals(BucketStore.CopyOutcome.SKIPPED, copy("k", "v5", 5, BucketStore.CopyMode.SNAPSHOT));
        assertEquals(BucketStore.CopyOutcome.APPLIED, copy("n", "new", 7, BucketStore.CopyMode.FEED));
        assertEquals(BucketStore.CopyOutcome.SKIPPED, copy("n", "again", 7, BucketStore.CopyMode.FEED),
                "a live change sent twice");
        store.endFeed(true, (mapId, entries, bytes) -> dropped.add("dropped"));
        assertEquals(Map.of("n", "new@7"), contents());
        assertEquals(List.of(), dropped, "the removed key was gone already");
    }

    @Test
    void aFeedIntoAnEmptyCopyGivesTheSameResultWithoutTrackingItsSnapshot() {
        store.startFeed(10);
        assertEquals(BucketStore.CopyOutcome.APPLIED, copy("a", "a1", 11, BucketStore.CopyMode.FEED));
        assertEquals(BucketStore.CopyOutcome.APPLIED, copy("b", "b9", 9, BucketStore.CopyMode.SNAPSHOT));
        assertEquals(BucketStore.CopyOutcome.SKIPPED, copy("a", "a-snap", 4, BucketStore.CopyMode.SNAPSHOT));
        assertEquals(BucketStore.CopyOutcome.APPLIED, copy("b", "b10", 10, BucketStore.CopyMode.SNAPSHOT),
                "the same key again from a later pass over a grown store");
        store.endFeed(true, (mapId, entries, bytes) -> dropped.add("dropped"));
        assertEquals(Map.of("a", "a1@11", "b", "b10@10"), contents());
        assertEquals(List.of(), dropped);
        assertEquals(BucketStore.CopyOutcome.GAP, copy("c", "c", 13, BucketStore.CopyMode.REPLICA));
        assertEquals(BucketStore.CopyOutcome.APPLIED, copy("c", "c", 12, BucketStore.CopyMode.REPLICA));
    }

    @Test
    void aCopyThatMustServeBeforeItsFeedEndedKeepsEverythingAndNumbersLaterChangesAboveIt() {
        replica("a", "a-old", 1);
        replica("b", "b-unacked", 2);
        store.startFeed(1);
        assertEquals(BucketStore.CopyOutcome.APPLIED, copy("a", "a-primary", 1, BucketStore.CopyMode.SNAPSHOT));
        store.endFeed(false, (mapId, entries, bytes) -> dropped.add("dropped"));
        assertFalse(store.isFeeding());
        assertEquals(Map.of("a", "a-primary@1", "b", "b-unacked@2"), contents());
        assertEquals(List.of(), dropped);
        assertEquals(2, store.sequence(), "the sequence is raised to the newest entry's version");
    }

    @Test
    void aFeedStartedAgainSweepsWhatTheStoppedFeedBroughtAndTheNewOneDoesNot() {
        store.startFeed(3);
        copy("a", "a", 2, BucketStore.CopyMode.SNAPSHOT);
        copy("b", "b", 3, BucketStore.CopyMode.SNAPSHOT);
        store.startFeed(4); // the first feed stopped; b was removed on the primary meanwhile
        copy("a", "a", 2, BucketStore.CopyMode.SNAPSHOT);
        store.endFeed(true, (mapId, entries, bytes) -> dropped.add("dropped"));
        assertEquals(Map.of("a", "a@2"), contents());
        assertEquals(List.of("dropped"), dropped);
    }

    @Test
    void dropAllEndsAFeed() {
        replica("a", "a", 1);
        store.startFeed(1);
        store.dropAll((mapId, entries, bytes) -> dropped.add("dropped"));
        assertFalse(store.isFeeding());
        assertEquals(Map.of(), contents());
        assertEquals(List.of("dropped"), dropped);
    }

    @Test
    void dropAllReportsWhatEachMapHeldFromItsCountsAfterOverwritesAndRemovals() {
        replica("a", "12345", 1);
        replica("b", "1", 2);
        replica("a", "12", 3); // overwrite: 1 + 2 bytes
        replica("c", "123", 4);
        copy("c", null, 5, BucketStore.CopyMode.REPLICA);
        MapHandle other = new MapHandle("other", 8);
        byte[] key = "zz".getBytes(StandardCharsets.UTF_8);
        StoredValue value = new StoredValue();
        value.bytes = "xyz".getBytes(StandardCharsets.UTF_8);
        value.length = 3;
        store.applyCopy(other, new StoredKey().set(other.id, key, key.length), value, 6, ChangeType.UPDATED,
                BucketStore.CopyMode.REPLICA, 1_000, new BucketStore.WriteResult());
        store.dropAll((mapId, entries, bytes) -> dropped.add(mapId + ":" + entries + ":" + bytes));
        assertEquals(List.of(MAP.id + ":2:5", other.id + ":1:5"), dropped);
        assertEquals(0, store.entriesApprox());
    }

    private void replica(String key, String value, long sequence) {
        assertEquals(BucketStore.CopyOutcome.APPLIED, copy(key, value, sequence, BucketStore.CopyMode.REPLICA));
    }

    private BucketStore.CopyOutcome copy(String key, String valueOrNull, long sequence, BucketStore.CopyMode mode) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        StoredValue value = null;
        if (valueOrNull != null) {
            value = new StoredValue();
            value.bytes = valueOrNull.getBytes(StandardCharsets.UTF_8);
            value.length = value.bytes.length;
            value.timestampMs = 1_000;
        }
        return store.applyCopy(MAP, new StoredKey().set(MAP.id, k, k.length), value, sequence,
                valueOrNull == null ? ChangeType.REMOVED : ChangeType.UPDATED, mode, 1_000,
                new BucketStore.WriteResult());
    }

    /** key -> value@version. */
    private Map<String, String> contents() {
        Map<String, String> all = new TreeMap<>();
        StoredKey key = new StoredKey();
        StoredValue value = new StoredValue();
        store.visitAll(e -> {
            e.key().getUsing(key);
            e.value().getUsing(value);
            all.put(text(key), new String(value.bytes, 0, value.length, StandardCharsets.UTF_8) + "@" + value.version);
            return true;
        });
        return all;
    }

    private static String text(StoredKey key) {
        return new String(key.bytes, 0, key.length, StandardCharsets.UTF_8);
    }
}
