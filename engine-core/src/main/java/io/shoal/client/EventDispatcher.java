package io.shoal.client;

import io.shoal.protocol.Push;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The client's event thread: listeners run here, never on an I/O thread, one item at a time in the
 * order the I/O threads queued them (so per subscription in the order the node sent them).
 *
 * <p>The queue is bounded ({@link ClientConfig#eventQueueCapacity()}); an I/O thread never waits
 * for it: what does not fit is counted on the subscription ({@code droppedPending},
 * {@code missedPending}) and told to its listener before its next item, or within
 * {@link #IDLE_POLL_MS} when the queue runs empty.
 */
final class EventDispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(EventDispatcher.class);
    /** The "events may have been missed" notice (after a re-subscription). */
    static final Object MISSED = new Object() {
        @Override
        public String toString() {
            return "MISSED";
        }
    };
    private static final long IDLE_POLL_MS = 50;

    private record Delivery(RemoteSubscription subscription, Object item) {
    }

    /** Wakes the thread to stop. */
    private static final Delivery STOP = new Delivery(null, null);

    private final ArrayBlockingQueue<Delivery> queue;
    private final Set<RemoteSubscription> subscriptions;
    private final Thread thread;
    private volatile boolean stopped;
    private volatile boolean noticesPending;

    EventDispatcher(String threadName, int capacity, Set<RemoteSubscription> subscriptions) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.subscriptions = subscriptions;
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** An EVENT push for {@code subscription} (I/O thread). */
    void offer(RemoteSubscription subscription, Push.Event event) {
        if (!queue.offer(new Delivery(subscription, event))) {
            subscription.droppedPending.incrementAndGet();
            noticesPending = true;
        }
    }

    /** An EVENTS_DROPPED push (I/O thread). */
    void offerDropped(RemoteSubscription subscription, long count) {
        if (!queue.offer(new Delivery(subscription, count))) {
            subscription.droppedPending.addAndGet(count);
            noticesPending = true;
        }
    }

    /** The subscription was established again after a gap (I/O thread). */
    void missed(RemoteSubscription subscription) {
        if (!queue.offer(new Delivery(subscription, MISSED))) {
            subscription.missedPending = true;
            noticesPending = true;
        }
    }

    private void run() {
        while (!stopped) {
            Delivery delivery;
            try {
                delivery = queue.poll(IDLE_POLL_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                if (stopped) {
                    return;
                }
                continue;
            }
            if (stopped || delivery == STOP) {
                return;
            }
            try {
                if (delivery != null) {
                    delivery.subscription().deliver(delivery.item());
                } else if (noticesPending) {
                    noticesPending = false;
                    for (RemoteSubscription subscription : subscriptions) {
                        subscription.flushNotices();
                    }
                }
            } catch (RuntimeException | Error e) {
                LOG.error("event delivery failed; the event thread goes on", e);
            }
        }
    }

    /** Stops the thread (queued items are dropped) and waits for it, unless called on it. */
    void stop() {
        stopped = true;
        queue.offer(STOP); // if the queue is full, the thread sees `stopped` after its current item
        if (Thread.currentThread() == thread || !thread.isAlive()) {
            return;
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
            if (thread.isAlive()) {
                LOG.warn("{} still running 5 s after close (a listener that does not return?)", thread.getName());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        queue.clear();
    }
}
