package io.shoal.client;

import io.shoal.KeyHash;
import io.shoal.protocol.Condition;
import io.shoal.protocol.ErrorCode;
import io.shoal.protocol.EventType;
import io.shoal.protocol.Message;
import io.shoal.protocol.ErrorReply;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The data of a {@link FakeNode}: maps of byte keys with versions from per-bucket sequences, TTLs,
 * check-and-set, and scans in the order of protocol section 4.2, as a real node keeps them. One
 * lock for everything (a test double, not a store); events are published under it, so they come
 * out in the order the changes were applied.
 */
final class FakeStore {
    /** Receives every change, under the store's lock. */
    interface Changes {
        void changed(String map, EventType type, long bucket, long sequence, long timestampMs, byte[] key, byte[] value,
                     long expiresAtMs);
    }

    record Entry(byte[] key, byte[] value, long version, long timestampMs, long expiresAtMs) {
        boolean live(long nowMs) {
            return expiresAtMs == 0 || expiresAtMs > nowMs;
        }
    }

    private record Key(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    private static final Comparator<Entry> SCAN_ORDER = Comparator
            .<Entry>comparingLong(e -> KeyHash.hash(e.key()) ^ Long.MIN_VALUE) // unsigned
            .thenComparing(Entry::key, Arrays::compareUnsigned);

    final int bucketCount;
    private final Map<String, Map<Key, Entry>> maps = new HashMap<>();
    private final long[] sequences;
    private final Changes changes;
    volatile int maxKeyBytes = 16 * 1024;
    volatile int maxValueBytes = 1 << 20;

    FakeStore(int bucketCount, Changes changes) {
        this.bucketCount = bucketCount;
        this.sequences = new long[bucketCount];
        this.changes = changes;
    }

    int bucketOf(byte[] key) {
        return KeyHash.bucketOf(KeyHash.hash(key), bucketCount);
    }

    /** The reply to a data request, or {@code null} if {@code request} is not one. */
    synchronized Message apply(Request request) {
        long now = System.currentTimeMillis();
        if (request instanceof Request.Get r) {
            Entry e = live(r.map(), r.key(), now);
            return e == null ? new Reply.Get(false, null) : new Reply.Get(true, e.value());
        } else if (request instanceof Request.GetEntry r) {
            Entry e = live(r.map(), r.key(), now);
            return e == null ? new Reply.GetEntry(false, 0, 0, 0, 0, null)
                    : new Reply.GetEntry(true, e.version(), KeyHash.hash(e.value()), e.timestampMs(), e.expiresAtMs(), e.value());
        } else if (request instanceof Request.Contains r) {
            return new Reply.Contains(live(r.map(), r.key(), now) != null);
        } else if (request instanceof Request.Put r) {
            ErrorReply tooLarge = tooLarge(r.opcode().code(), r.key(), r.value());
            return tooLarge != null ? tooLarge : new Reply.Put(store(r.map(), r.key(), r.value(), r.ttlMs(), now).version());
        } else if (request instanceof Request.PutIfAbsent r) {
            ErrorReply tooLarge = tooLarge(r.opcode().code(), r.key(), r.value());
            if (tooLarge != null) {
                return tooLarge;
            }
            Entry e = live(r.map(), r.key(), now);
            if (e != null) {
                return new Reply.PutIfAbsent(false, e.version(), e.value());
            }
            return new Reply.PutIfAbsent(true, store(r.map(), r.key(), r.value(), r.ttlMs(), now).version(), null);
        } else if (request instanceof Request.Replace r) {
            ErrorReply tooLarge = tooLarge(r.opcode().code(), r.key(), r.value());
            if (tooLarge != null) {
                return tooLarge;
            }
            Entry e = live(r.map(), r.key(), now);
            if (e == null || !holds(r.condition(), r.expected(), e)) {
                return new Reply.Replace(false, e == null ? 0 : e.version());
            }
            return new Reply.Replace(true, store(r.map(), r.key(), r.value(), r.ttlMs(), now).version());
        } else if (request instanceof Request.Remove r) {
            Entry e = live(r.map(), r.key(), now);
            if (e == null || !holds(r.condition(), r.expected(), e)) {
                return new Reply.Remove(false, e == null ? 0 : e.version());
            }
            delete(r.map(), e, now);
            return new Reply.Remove(true, e.version());
        } else if (request instanceof Request.Size r) {
            return new Reply.Size(map(r.map()).values().stream().filter(e -> e.live(now)).count());
        } else if (request instanceof Request.Clear r) {
            for (Entry e : new ArrayList<>(map(r.map()).values())) {
                if (e.live(now)) {
                    delete(r.map(), e, now);
                }
            }
            map(r.map()).clear();
            return new Reply.Clear();
        } else if (request instanceof Request.Scan r) {
            if (r.bucket() >= bucketCount) {
                return new ErrorReply(r.opcode().code(), ErrorCode.INVALID_ARGUMENT, "bucket " + r.bucket()
                        + " is not below the bucket count " + bucketCount);
            }
            List<Entry> inBucket = new ArrayList<>();
            for (Entry e : map(r.map()).values()) {
                if (e.live(now) && bucketOf(e.key()) == r.bucket()) {
                    inBucket.add(e);
                }
            }
            inBucket.sort(SCAN_ORDER);
            List<Reply.ScanEntry> page = new ArrayList<>();
            boolean more = false;
            for (Entry e : inBucket) {
                if (r.cursor() != null && compareToCursor(e, r.cursor()) <= 0) {
                    continue;
                }
                if (page.size() == r.maxEntries()) {
                    more = true;
                    break;
                }
                page.add(new Reply.ScanEntry(e.key(), e.version(), e.timestampMs(), e.expiresAtMs(), e.value()));
            }
            return new Reply.Scan(page, more);
        } else if (request instanceof Request.HashCheck r) {
            long hash = KeyHash.hash(r.data());
            return new Reply.HashCheck(hash, KeyHash.bucketOf(hash, bucketCount));
        }
        return null;
    }

    synchronized long liveEntries() {
        long now = System.currentTimeMillis();
        return maps.values().stream().flatMap(m -> m.values().stream()).filter(e -> e.live(now)).count();
    }

    private ErrorReply tooLarge(int opcode, byte[] key, byte[] value) {
        if (key.length > maxKeyBytes) {
            return new ErrorReply(opcode, ErrorCode.ENTRY_TOO_LARGE, "key of " + key.length + " bytes is over " + maxKeyBytes);
        }
        if (value.length > maxValueBytes) {
            return new ErrorReply(opcode, ErrorCode.ENTRY_TOO_LARGE, "value of " + value.length + " bytes is over "
                    + maxValueBytes);
        }
        return null;
    }

    private static int compareToCursor(Entry e, Request.ScanCursor cursor) {
        int byHash = Long.compareUnsigned(KeyHash.hash(e.key()), cursor.afterHash());
        return byHash != 0 ? byHash : Arrays.compareUnsigned(e.key(), cursor.afterKey());
    }

    private static boolean holds(Condition condition, long expected, Entry e) {
        return switch (condition) {
            case NONE -> true;
            case VERSION -> e.version() == expected;
            case VALUE_HASH -> KeyHash.hash(e.value()) == expected;
        };
    }

    private Map<Key, Entry> map(String name) {
        return maps.computeIfAbsent(name, n -> new HashMap<>());
    }

    private Entry live(String map, byte[] key, long now) {
        Entry e = map(map).get(new Key(key));
        return e != null && e.live(now) ? e : null;
    }

    private Entry store(String map, byte[] key, byte[] value, long ttlMs, long now) {
        int bucket = bucketOf(key);
        Entry old = live(map, key, now);
        long version = ++sequences[bucket];
        Entry e = new Entry(key.clone(), value.clone(), version, now, ttlMs == 0 ? 0 : now + ttlMs);
        map(map).put(new Key(e.key()), e);
        changes.changed(map, old == null ? EventType.CREATED : EventType.UPDATED, bucket, version, now, e.key(), e.value(),
                e.expiresAtMs());
        return e;
    }

    private void delete(String map, Entry e, long now) {
        int bucket = bucketOf(e.key());
        map(map).remove(new Key(e.key()));
        long sequence = ++sequences[bucket];
        changes.changed(map, EventType.REMOVED, bucket, sequence, now, e.key(), null, 0);
    }
}
