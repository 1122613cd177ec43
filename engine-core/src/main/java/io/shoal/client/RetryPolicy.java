package io.shoal.client;

/**
 * What a {@link ShoalClient} does with the requests that were sent on a connection that was lost
 * (closed, silent past the dead-peer timeout, or ended by the node's GOODBYE) before their replies
 * came. Requests that had not been sent yet are always sent on the next connection, and a request
 * the node refused with {@code SHUTTING_DOWN} or {@code NOT_READY} (which means it did nothing) is
 * always sent again to another node; none of them outlives its request timeout.
 */
public enum RetryPolicy {
    /**
     * Every lost request fails with {@link ConnectionLostException}. For a write the outcome is
     * unknown: the node may or may not have applied it. The default.
     */
    FAIL,
    /**
     * Lost reads ({@code get}, {@code getEntry}, {@code containsKey}, {@code size}, iteration pages,
     * {@code ping}, {@code stats}, {@code hashCheck}) are sent again on the next connection, within
     * their original request timeout; lost writes fail with {@link ConnectionLostException} as with
     * {@link #FAIL}, since sending a write twice could apply it twice.
     */
    RETRY_READS
}
