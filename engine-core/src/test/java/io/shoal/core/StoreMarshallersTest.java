package io.shoal.core;

import net.openhft.chronicle.algo.bytes.Access;
import net.openhft.chronicle.algo.hashing.LongHashFunction;
import net.openhft.chronicle.hash.Data;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StoreMarshallersTest {

    /** Chronicle hashes a stored key through its own access path: a lookup key must hash the same. */
    @Test
    void keyHashEqualsChronicleDefaultForEveryLength() {
        StoreMarshallers.KeyDataAccess access = new StoreMarshallers.KeyDataAccess();
        SplittableRandom random = new SplittableRandom(42);
        for (LongHashFunction f : new LongHashFunction[] {LongHashFunction.xx_r39(), LongHashFunction.xx_r39(7)}) {
            for (int length = 0; length <= 200; length++) {
                byte[] bytes = new byte[length];
                random.nextBytes(bytes);
                Data<StoredKey> data = access.getData(new StoredKey().set(random.nextLong(), bytes, length));
                long expected = f.hash(data.bytes(), Access.checkedRandomDataInputAccess(), data.offset(), data.size());
                assertEquals(expected, data.hash(f), "key of " + length + " bytes");
            }
        }
    }
}
