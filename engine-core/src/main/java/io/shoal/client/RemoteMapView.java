package io.shoal.client;

import io.shoal.CodecException;
import io.shoal.KeyHash;
import io.shoal.ShoalEntry;
import io.shoal.internal.AbstractMapView;
import io.shoal.protocol.Message;
import io.shoal.protocol.Reply;
import io.shoal.protocol.Request;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentMap;

/**
 * The {@link ConcurrentMap} view of a {@link RemoteMap}, with the semantics of the in-process view
 * (both are {@link AbstractMapView}s: nulls refused with NullPointerException, a query with a key
 * the codec cannot encode answers "absent", CAS loops for the two-argument {@code remove} and
 * {@code replace}). Single-key operations are protocol requests; those that return the previous
 * value, which the protocol does not return, are check-and-set loops: {@code put} is
 * PUT_IF_ABSENT, or REPLACE at the version PUT_IF_ABSENT found; {@code remove} is GET_ENTRY and
 * REMOVE at its version; each retries when another writer got in between, so every one is atomic
 * per key. {@code clear} is one CLEAR request.
 *
 * <p>Iteration reads bucket after bucket with SCAN (protocol section 4.2), a page of
 * {@link #PAGE_ENTRIES} at a time, the next page of a bucket starting after the last key seen; the
 * first pages of the next {@link #PREFETCH_BUCKETS} buckets are requested ahead, pipelined. It is
 * weakly consistent: it never throws ConcurrentModificationException, sees each key at most once
 * (per bucket the node returns keys in ascending order after the cursor) and sees every key that is
 * present throughout. It follows the client across a reconnect: the cursor is the same on any node.
 */
final class RemoteMapView<K, V> extends AbstractMapView<K, V> {
    static final int PAGE_ENTRIES = 256;
    static final int PREFETCH_BUCKETS = 8;
    private final RemoteMap<K, V> remote;

    RemoteMapView(RemoteMap<K, V> map) {
        super(map);
        this.remote = map;
    }

    @Override
    public V put(K key, V value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
            Reply.PutIfAbsent absent = remote.client.call(remote.putIfAbsentRequest(key, value), Reply.PutIfAbsent.class);
            if (absent.applied()) {
                return null;
            }
            Reply.Replace replaced = remote.client.call(remote.replaceRequest(key, absent.version(), value), Reply.Replace.class);
            if (replaced.applied()) {
                return remote.decodeValue(absent.existing());
            }
        }
        throw new IllegalStateException("put(key, value) kept losing to concurrent writers of the same key");
    }

    @Override
    protected V removeReturningPrevious(K key) {
        for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
            ShoalEntry<K, V> entry = remote.getEntry(key);
            if (entry == null) {
                return null;
            }
            if (remote.remove(key, entry.version())) {
                return entry.value();
            }
        }
        throw new IllegalStateException("remove(key) kept losing to concurrent writers of the same key");
    }

    @Override
    public void clear() {
        remote.clear();
    }

    @Override
    protected boolean isKeyRefusal(RuntimeException e) {
        return e instanceof CodecException || e instanceof ClassCastException;
    }

    @Override
    protected boolean refusesKey(K key) {
        try {
            remote.encodeKey(key);
            return false;
        } catch (CodecException | ClassCastException e) {
            return true;
        }
    }

    @Override
    protected EntryIterator<Reply.ScanEntry> entryIterator() {
        return new ScanIterator();
    }

    /** Pages of SCAN, bucket after bucket, with the first pages of the next buckets requested ahead. */
    private final class ScanIterator extends EntryIterator<Reply.ScanEntry> {
        private final int bucketCount = remote.client.bucketCount();
        private final ArrayDeque<Call> ahead = new ArrayDeque<>(); // first pages of buckets nextBucket, nextBucket + 1, ...
        private int nextBucket;       // the bucket whose first page is ahead.peekFirst()
        private int requestedBuckets; // first pages requested so far
        private int pageBucket = -1;
        private List<Reply.ScanEntry> page = List.of();
        private boolean pageMore;
        private int position;

        @Override
        public boolean hasNext() {
            while (position >= page.size()) {
                if (pageBucket >= 0 && pageMore) {
                    Reply.ScanEntry last = page.get(page.size() - 1);
                    Request.ScanCursor cursor = new Request.ScanCursor(KeyHash.hash(last.key()), last.key());
                    load(pageBucket, remote.client.submit(new Request.Scan(remote.name, pageBucket, cursor, PAGE_ENTRIES)));
                    continue;
                }
                if (nextBucket >= bucketCount) {
                    return false;
                }
                fillAhead();
                int bucket = nextBucket++;
                Call first = ahead.pollFirst();
                if (first.isCompletedExceptionally()) {
                    // asked ahead, and timed out or lost while this iterator was busy elsewhere: ask again
                    first = remote.client.submit(new Request.Scan(remote.name, bucket, null, PAGE_ENTRIES));
                }
                load(bucket, first);
            }
            return true;
        }

        private void fillAhead() {
            while (requestedBuckets < bucketCount && requestedBuckets < nextBucket + PREFETCH_BUCKETS) {
                ahead.addLast(remote.client.submit(new Request.Scan(remote.name, requestedBuckets++, null, PAGE_ENTRIES)));
            }
        }

        private void load(int bucket, Call call) {
            Message message = remote.client.await(call);
            Reply.Scan reply = ClientImpl.expect(call, message, Reply.Scan.class);
            pageBucket = bucket;
            page = reply.entries();
            pageMore = reply.more() && !page.isEmpty();
            position = 0;
        }

        @Override
        protected Reply.ScanEntry nextRaw() {
            return page.get(position++);
        }

        @Override
        protected K decodeKey(Reply.ScanEntry raw) {
            return remote.decodeKey(raw.key());
        }

        @Override
        protected V decodeValue(Reply.ScanEntry raw) {
            return remote.decodeValue(raw.value());
        }
    }
}
