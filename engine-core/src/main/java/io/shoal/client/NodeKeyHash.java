package io.shoal.client;

/**
 * A node's answer to HASH_CHECK: the key hash it computes for some bytes and the bucket that hash
 * falls in under the node's {@code buckets.count}.
 *
 * @param hash   key hash v1 ({@code docs/keyhash.md}) of the bytes
 * @param bucket {@code hash & (bucketCount - 1)} on that node
 */
public record NodeKeyHash(long hash, int bucket) {
}
