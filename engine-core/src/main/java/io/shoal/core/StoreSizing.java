package io.shoal.core;

/** Initial sizing of each bucket's store (config {@code store.*}). */
record StoreSizing(long entriesPerBucket, int averageKeyBytes, int averageValueBytes) {
}
