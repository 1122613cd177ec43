package io.shoal.client;

import io.shoal.EntryTooLargeException;
import io.shoal.MemoryLimitExceededException;
import io.shoal.ShoalException;
import io.shoal.StorageUnavailableException;
import io.shoal.protocol.ErrorReply;

/**
 * Turns an error reply (protocol section 5) into the exception an in-process call throws for the
 * same failure, keeping the node's message. Codes that make the client go to another node
 * ({@code SHUTTING_DOWN}, {@code NOT_READY}) never reach here for a request: the connection
 * resends it.
 */
final class Errors {
    private Errors() {
    }

    static RuntimeException toException(ErrorReply error, Call call) {
        String message = error.message();
        return switch (error.code()) {
            case INVALID_ARGUMENT -> new IllegalArgumentException(message);
            case ENTRY_TOO_LARGE -> new EntryTooLargeException(message);
            // The wire carries no numbers: -1 stands for "not known to the client".
            case MEMORY_LIMIT -> new MemoryLimitExceededException(message, -1, -1, -1);
            case STORAGE_REFUSED -> new StorageUnavailableException(message, false, null);
            case STORAGE_NOT_DURABLE -> new StorageUnavailableException(message, true, null);
            case BUCKET_LOST -> new io.shoal.BucketLostException(message, -1); // the wire names no bucket
            case CLUSTER_PAUSED -> new io.shoal.ClusterPausedException(message);
            case NOT_OWNER -> new NotOwnerException(call.describe() + ": " + where(call) + " answered NOT_OWNER: "
                    + message + (call.isWrite() ? " (the write was not applied)" : ""));
            case TOO_MANY_SUBSCRIPTIONS -> new ShoalException(call.describe() + ": " + where(call)
                    + " refused another subscription on this connection (server.maxSubscriptionsPerConnection): " + message);
            case INTERNAL_ERROR -> new ShoalException(call.describe() + ": " + where(call) + " failed (INTERNAL_ERROR): "
                    + message);
            default -> new ShoalException(call.describe() + ": " + where(call) + " answered " + error.code() + ": "
                    + message + (call.isWrite() ? " (the write was not applied)" : ""));
        };
    }

    private static String where(Call call) {
        NodeConnection c = call.sentOn;
        return c == null ? "the node" : "node " + c.describe();
    }
}
