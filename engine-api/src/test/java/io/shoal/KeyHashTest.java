package io.shoal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

import org.junit.jupiter.api.Test;

class KeyHashTest {

    /**
     * An independent XXH64 (seed 0) implementation to cross-check against.
     *
     * <p>Preferred: {@code net.openhft.hashing.LongHashFunction.xx()} from
     * net.openhft:zero-allocation-hashing. Chronicle Map declares that artifact only at
     * <em>test</em> scope in its own POM, so it does not reach this module transitively; what does
     * arrive (via chronicle-map -> chronicle-algorithms) is Chronicle's copy of the same code,
     * {@code net.openhft.chronicle.algo.hashing.LongHashFunction.xx_r39()}. Both are looked up
     * reflectively so the test compiles against either; the test fails if neither is present.
     */
    static final class Reference {
        private static final String[][] CANDIDATES = {
            {"net.openhft.hashing.LongHashFunction", "xx"},
            {"net.openhft.chronicle.algo.hashing.LongHashFunction", "xx_r39"},
        };
        private static final Reference INSTANCE = load();

        final String name;
        private final MethodHandle hashBytes; // (byte[], int, int) long, bound to the function

        private Reference(String name, MethodHandle hashBytes) {
            this.name = name;
            this.hashBytes = hashBytes;
        }

        private static Reference load() {
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            for (String[] candidate : CANDIDATES) {
                try {
                    Class<?> type = Class.forName(candidate[0]);
                    Object function = lookup.findStatic(type, candidate[1], MethodType.methodType(type)).invoke();
                    MethodHandle hashBytes = lookup.findVirtual(type, "hashBytes",
                            MethodType.methodType(long.class, byte[].class, int.class, int.class)).bindTo(function);
                    return new Reference(candidate[0] + "." + candidate[1] + "()", hashBytes);
                } catch (ClassNotFoundException e) {
                    // try the next candidate
                } catch (Throwable e) {
                    throw new AssertionError("cannot use reference XXH64 " + candidate[0], e);
                }
            }
            throw new AssertionError("no reference XXH64 implementation on the test classpath");
        }

        static Reference get() {
            return INSTANCE;
        }

        long hashBytes(byte[] bytes, int offset, int length) {
            try {
                return (long) hashBytes.invokeExact(bytes, offset, length);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new AssertionError(e);
            }
        }

        long hashBytes(byte[] bytes) {
            return hashBytes(bytes, 0, bytes.length);
        }
    }

    /** A row of the test-vector table in docs/keyhash.md. */
    record Vector(String notation, byte[] input, int length, long hash, int bucket) {
        @Override
        public String toString() {
            return notation;
        }
    }

    // | `<input>` | <length> | `0x<16 hex>` | <bucket> |
    private static final Pattern ROW = Pattern.compile(
            "^\\|\\s*`([^`]*)`\\s*\\|\\s*(\\d+)\\s*\\|\\s*`0x([0-9a-f]{16})`\\s*\\|\\s*(\\d+)\\s*\\|\\s*$");

    private static Path docPath() {
        // Maven runs tests with the module directory as working directory; an IDE may use the root.
        Path fromModule = Path.of("..", "docs", "keyhash.md");
        if (Files.isRegularFile(fromModule)) {
            return fromModule;
        }
        return Path.of("docs", "keyhash.md");
    }

    static List<Vector> docVectors() throws IOException {
        List<Vector> vectors = new ArrayList<>();
        for (String line : Files.readAllLines(docPath(), StandardCharsets.UTF_8)) {
            Matcher m = ROW.matcher(line.strip());
            if (!m.matches()) {
                continue;
            }
            String notation = m.group(1);
            vectors.add(new Vector(notation, decodeInput(notation), Integer.parseInt(m.group(2)),
                    Long.parseUnsignedLong(m.group(3), 16), Integer.parseInt(m.group(4))));
        }
        return vectors;
    }

    private static byte[] decodeInput(String notation) {
        if (notation.length() >= 2 && notation.startsWith("\"") && notation.endsWith("\"")) {
            return notation.substring(1, notation.length() - 1).getBytes(StandardCharsets.UTF_8);
        }
        if (notation.startsWith("hex:")) {
            return HexFormat.of().parseHex(notation.substring(4));
        }
        if (notation.startsWith("seq:")) {
            int n = Integer.parseInt(notation.substring(4));
            byte[] b = new byte[n];
            for (int i = 0; i < n; i++) {
                b[i] = (byte) i;
            }
            return b;
        }
        throw new IllegalArgumentException("unknown input notation in docs/keyhash.md: " + notation);
    }

    // ---------------------------------------------------------------------------------------
    // (a) test vectors

    @Test
    void docTestVectors() throws IOException {
        List<Vector> vectors = docVectors();
        assertTrue(vectors.size() >= 15, "expected the test-vector table in " + docPath()
                + ", parsed only " + vectors.size() + " rows");
        Reference reference = Reference.get();
        for (Vector v : vectors) {
            assertEquals(v.length(), v.input().length, () -> "length of " + v);
            assertEquals(hex(v.hash()), hex(KeyHash.hash(v.input())), () -> "hash of " + v);
            assertEquals(hex(v.hash()), hex(reference.hashBytes(v.input())), () -> "reference hash of " + v);
            assertEquals(v.bucket(), KeyHash.bucketOf(v.hash(), 256), () -> "bucket of " + v);
            if (v.notation().startsWith("\"")) {
                String text = v.notation().substring(1, v.notation().length() - 1);
                assertEquals(hex(v.hash()), hex(KeyHash.hashUtf8(text)), () -> "hashUtf8 of " + v);
                assertEquals(hex(v.hash()), hex(KeyHash.hashUtf8(new StringBuilder(text))),
                        () -> "hashUtf8(StringBuilder) of " + v);
            }
        }
    }

    @Test
    void docContainsTheRequiredVectors() throws IOException {
        List<String> notations = docVectors().stream().map(Vector::notation).toList();
        for (String required : List.of("\"\"", "\"a\"", "\"abc\"",
                "\"Nobody inspects the spammish repetition\"", "seq:32", "seq:100")) {
            assertTrue(notations.contains(required), "docs/keyhash.md lacks vector " + required);
        }
    }

    @Test
    void publishedXxh64Seed0Values() {
        // Independent of the document: the well-known published XXH64 (seed 0) values.
        assertEquals(0xEF46DB3751D8E999L, KeyHash.hash(new byte[0]));
        assertEquals(0xEF46DB3751D8E999L, KeyHash.hashUtf8(""));
        assertEquals(0x44BC2CF5AD770999L, KeyHash.hash("abc".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(0x44BC2CF5AD770999L, KeyHash.hashUtf8("abc"));
        assertEquals(0xD24EC4F1A98C6E5BL, KeyHash.hashUtf8("a"));
        assertEquals(0xFBCEA83C8A378BF1L, KeyHash.hashUtf8("Nobody inspects the spammish repetition"));
        // ... and the reference implementation agrees, so the cross-checks below mean something.
        assertEquals(0xEF46DB3751D8E999L, Reference.get().hashBytes(new byte[0]));
        assertEquals(0x44BC2CF5AD770999L, Reference.get().hashBytes("abc".getBytes(StandardCharsets.US_ASCII)));
    }

    // ---------------------------------------------------------------------------------------
    // (b) cross-check against the reference implementation

    @Test
    void matchesReferenceImplementationForAllLengthsAndOffsets() {
        Reference reference = Reference.get();
        SplittableRandom random = new SplittableRandom(0x5EED_0001L);
        for (int length = 0; length <= 300; length++) {
            for (int trial = 0; trial < 8; trial++) {
                int offset = trial == 0 ? 0 : random.nextInt(17);
                int slack = trial == 0 ? 0 : random.nextInt(9);
                byte[] data = new byte[offset + length + slack];
                fill(random, data);
                long expected = reference.hashBytes(data, offset, length);
                long actual = KeyHash.hash(data, offset, length);
                if (expected != actual) {
                    throw new AssertionError(reference.name + ": length " + length + " offset " + offset + ": expected "
                            + hex(expected) + " but was " + hex(actual));
                }
                if (offset == 0 && slack == 0) {
                    assertEquals(expected, KeyHash.hash(data));
                }
            }
        }
    }

    @Test
    void matchesReferenceImplementationOnSpecialBytePatterns() {
        Reference reference = Reference.get();
        for (int length = 0; length <= 130; length++) {
            for (byte fill : new byte[] {0, (byte) 0x80, (byte) 0xFF, 0x7F}) {
                byte[] data = new byte[length];
                java.util.Arrays.fill(data, fill);
                assertEquals(hex(reference.hashBytes(data)), hex(KeyHash.hash(data)),
                        "length " + length + " fill " + fill);
            }
        }
    }

    @Test
    void hashUtf8MatchesReferenceOnUtf8Bytes() {
        Reference reference = Reference.get();
        String[] samples = {"", "k", "key-1", "ünïcödé", "日本語のキー", "emoji \uD83D\uDE00 key",
                "x".repeat(33), "long key ".repeat(20)};
        for (String s : samples) {
            assertEquals(reference.hashBytes(s.getBytes(StandardCharsets.UTF_8)), KeyHash.hashUtf8(s), s);
        }
    }

    // ---------------------------------------------------------------------------------------
    // (c) ByteBuffer variant

    @Test
    void byteBufferVariantEqualsArrayVariantAndKeepsPosition() {
        SplittableRandom random = new SplittableRandom(0x5EED_0002L);
        for (int length = 0; length <= 300; length++) {
            int position = random.nextInt(13);
            int slack = random.nextInt(5);
            byte[] data = new byte[position + length + slack];
            fill(random, data);
            long expected = KeyHash.hash(data, position, length);

            ByteBuffer heap = ByteBuffer.wrap(data);
            ByteBuffer heapLittle = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer readOnly = ByteBuffer.wrap(data).asReadOnlyBuffer();
            ByteBuffer direct = ByteBuffer.allocateDirect(data.length);
            direct.put(data).clear();
            ByteBuffer directLittle = ByteBuffer.allocateDirect(data.length).order(ByteOrder.LITTLE_ENDIAN);
            directLittle.put(data).clear();
            // A slice over a sub-range of a larger array: non-zero arrayOffset.
            byte[] padded = new byte[data.length + 7];
            System.arraycopy(data, 0, padded, 7, data.length);
            ByteBuffer sliced = ByteBuffer.wrap(padded, 7, data.length).slice();

            for (ByteBuffer buffer : List.of(heap, heapLittle, readOnly, direct, directLittle, sliced)) {
                buffer.limit(position + length).position(position);
                long actual = KeyHash.hash(buffer);
                String what = (buffer.isDirect() ? "direct" : "heap") + (buffer.isReadOnly() ? " read-only" : "")
                        + " " + buffer.order() + " length " + length + " position " + position;
                assertEquals(hex(expected), hex(actual), what);
                assertEquals(position, buffer.position(), "position changed: " + what);
                assertEquals(position + length, buffer.limit(), "limit changed: " + what);
                assertEquals(ByteOrder.LITTLE_ENDIAN.equals(buffer.order()),
                        buffer == heapLittle || buffer == directLittle, "order changed: " + what);
            }
        }
    }

    @Test
    void byteBufferVectorsFromDoc() throws IOException {
        for (Vector v : docVectors()) {
            ByteBuffer direct = ByteBuffer.allocateDirect(v.input().length + 3);
            direct.position(3);
            direct.put(v.input());
            direct.position(3);
            assertEquals(hex(v.hash()), hex(KeyHash.hash(direct)), () -> "direct buffer " + v);
            assertEquals(3, direct.position());
        }
    }

    // ---------------------------------------------------------------------------------------
    // (d) bucketOf

    @Test
    void bucketOfRejectsInvalidBucketCounts() {
        for (long invalid : new long[] {0, 3, -8, 1L << 31}) {
            int bucketCount = (int) invalid; // 2^31 wraps to Integer.MIN_VALUE
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> KeyHash.bucketOf(0x1234L, bucketCount), "bucketCount " + bucketCount);
            assertTrue(e.getMessage().contains(Integer.toString(bucketCount)),
                    "message should name " + bucketCount + ": " + e.getMessage());
        }
        for (int invalid : new int[] {6, 100, (1 << 30) + 1, Integer.MAX_VALUE, -1}) {
            assertThrows(IllegalArgumentException.class, () -> KeyHash.bucketOf(0L, invalid),
                    "bucketCount " + invalid);
        }
    }

    @Test
    void bucketOfAcceptsPowersOfTwoUpTo2To30() {
        assertEquals(0, KeyHash.bucketOf(0xFFFF_FFFF_FFFF_FFFFL, 1));
        assertEquals((1 << 30) - 1, KeyHash.bucketOf(-1L, 1 << 30));
        assertEquals(0x2345_6789 & ((1 << 30) - 1), KeyHash.bucketOf(0x0123_4567_2345_6789L, 1 << 30));
        assertEquals(0x99, KeyHash.bucketOf(0xEF46DB3751D8E999L, 256));
        for (int shift = 0; shift <= 30; shift++) {
            int bucketCount = 1 << shift;
            int bucket = KeyHash.bucketOf(0x9E3779B97F4A7C15L, bucketCount);
            assertTrue(bucket >= 0 && bucket < bucketCount, "bucket " + bucket + " of " + bucketCount);
            assertEquals((int) (0x9E3779B97F4A7C15L & (bucketCount - 1)), bucket);
        }
    }

    // ---------------------------------------------------------------------------------------
    // (e) bounds

    @Test
    void boundsAreChecked() {
        byte[] data = new byte[10];
        assertThrows(IndexOutOfBoundsException.class, () -> KeyHash.hash(data, -1, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> KeyHash.hash(data, 0, -1));
        assertThrows(IndexOutOfBoundsException.class, () -> KeyHash.hash(data, 0, 11));
        assertThrows(IndexOutOfBoundsException.class, () -> KeyHash.hash(data, 5, 6));
        assertThrows(IndexOutOfBoundsException.class, () -> KeyHash.hash(data, 11, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> KeyHash.hash(data, Integer.MAX_VALUE, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> KeyHash.hash(data, 1, Integer.MAX_VALUE));
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> KeyHash.hash(data, 4, 7));
        assertTrue(e.getMessage().contains("4") && e.getMessage().contains("7")
                && e.getMessage().contains("10"), e.getMessage());
        // Edge cases that are in bounds.
        assertEquals(KeyHash.hash(new byte[0]), KeyHash.hash(data, 10, 0));
        assertEquals(KeyHash.hash(new byte[0]), KeyHash.hash(data, 0, 0));
        assertEquals(KeyHash.hash(data), KeyHash.hash(data, 0, 10));
    }

    @Test
    void nullsAreRejected() {
        assertThrows(NullPointerException.class, () -> KeyHash.hash((byte[]) null));
        assertThrows(NullPointerException.class, () -> KeyHash.hash((byte[]) null, 0, 0));
        assertThrows(NullPointerException.class, () -> KeyHash.hash((ByteBuffer) null));
        assertThrows(NullPointerException.class, () -> KeyHash.hashUtf8(null));
    }

    // ---------------------------------------------------------------------------------------

    private static void fill(SplittableRandom random, byte[] data) {
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) random.nextInt(256);
        }
    }

    private static String hex(long value) {
        return String.format("%016x", value);
    }
}
