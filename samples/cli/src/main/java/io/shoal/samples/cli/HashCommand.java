package io.shoal.samples.cli;

import io.shoal.KeyHash;
import io.shoal.client.NodeKeyHash;
import io.shoal.client.ShoalClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code bin/shoal hash KEY}: the key hash computed here ({@link KeyHash}) and by the node
 * (HASH_CHECK), their buckets under the node's bucket count, and whether they agree.
 */
@Command(name = "hash", sortOptions = false,
        description = {"Compare the key hash of KEY computed here and by the node (HASH_CHECK).",
                "Prints the hash computed locally (io.shoal.KeyHash, docs/keyhash.md) and the node's, each with its "
                        + "bucket under the node's buckets.count, then 'agree yes' or 'agree NO'.",
                "Keys are hashed as bytes: the UTF-8 text, or with --hex the bytes given."},
        footer = {"", "Exit codes: 0 they agree, 1 they differ (or failed), 2 usage error."})
final class HashCommand extends KeyedCommand {

    @Parameters(index = "0", paramLabel = "KEY", description = "The key.")
    String key;

    private byte[] keyBytes;

    @Override
    void checkArguments() {
        keyBytes = bytes(key, "KEY");
    }

    @Override
    int run(ShoalClient client) {
        long local = KeyHash.hash(keyBytes);
        NodeKeyHash node = client.hashCheck(keyBytes);
        Long bucketCount = client.stats().get("bucketCount");
        String at = client.connectedNode().orElse("the node");
        out().printf("local %016x  bucket %s  (io.shoal.KeyHash)%n", local, localBucket(local, bucketCount));
        String nodeBucket = node.bucket() + (bucketCount == null ? "" : " of " + bucketCount);
        out().printf("node  %016x  bucket %s  (HASH_CHECK at %s)%n", node.hash(), nodeBucket, at);
        boolean agree = local == node.hash() && (bucketCount == null
                || localBucket(local, bucketCount).equals(nodeBucket));
        out().println(agree ? "agree yes" : "agree NO");
        out().flush();
        if (!agree) {
            err().printf("shoal hash: the node's key hash %016x (bucket %s) differs from io.shoal.KeyHash's %016x (bucket %s)%n",
                    node.hash(), nodeBucket, local, localBucket(local, bucketCount));
            err().flush();
            return 1;
        }
        return 0;
    }

    private static String localBucket(long hash, Long bucketCount) {
        if (bucketCount == null || bucketCount < 1 || bucketCount > KeyHash.MAX_BUCKET_COUNT
                || Long.bitCount(bucketCount) != 1) {
            return "? (the node reports no bucketCount)";
        }
        return KeyHash.bucketOf(hash, bucketCount.intValue()) + " of " + bucketCount;
    }
}
