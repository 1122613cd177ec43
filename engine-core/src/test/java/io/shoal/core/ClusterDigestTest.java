package io.shoal.core;

import io.shoal.KeyHash;
import io.shoal.spi.ByteSink;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ClusterDigestTest {

    /** docs/protocol.md section 9, bucket-digest-reply: one entry (map "m", key "k", value "v", version 7). */
    @Test
    void anEntrysDigestTermIsTheSpecsVector() {
        StoredKey key = new StoredKey().set(1, "k".getBytes(StandardCharsets.UTF_8), 1);
        StoredValue value = new StoredValue();
        value.version = 7;
        value.valueHash = KeyHash.hash("v".getBytes(StandardCharsets.UTF_8));
        assertEquals(0x4759fa78f4f8a03eL, ClusterData.digestTerm(new ByteSink(8), "m", key, value));
    }
}
