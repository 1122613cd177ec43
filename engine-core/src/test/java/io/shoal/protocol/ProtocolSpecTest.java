package io.shoal.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.shoal.protocol.ProtocolSamples.Sample;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Reads the test vectors of docs/protocol.md section 9 and checks the codec against them: each
 * vector decodes to the frame {@link ProtocolSamples} expects, that frame encodes back to the same
 * bytes, and the spec-driven {@link WireBuilder} writes the same bytes too. If the document and the
 * samples disagree, the test writes the section's blocks as they should be to
 * {@code target/protocol-vectors.md}.
 */
class ProtocolSpecTest {

    /** A vector of the document: {@code name: hex}, after a {@code # description} line. */
    record DocVector(String name, String description, byte[] bytes) {
    }

    private static final Path RENDERED = Path.of("target", "protocol-vectors.md");
    private static final int WRAP_COLUMN = 100;

    static Path docPath() {
        // Maven runs tests with the module directory as working directory; an IDE may use the root.
        Path fromModule = Path.of("..", "docs", "protocol.md");
        if (Files.isRegularFile(fromModule)) {
            return fromModule;
        }
        return Path.of("docs", "protocol.md");
    }

    /** The lines of the fenced block that opens with {@code ```info}. */
    static List<String> block(String info) throws IOException {
        List<String> lines = Files.readAllLines(docPath(), StandardCharsets.UTF_8);
        int start = lines.indexOf("```" + info);
        assertTrue(start >= 0, "docs/protocol.md has no ```" + info + " block");
        List<String> block = new ArrayList<>();
        for (int i = start + 1; i < lines.size(); i++) {
            if (lines.get(i).startsWith("```")) {
                return block;
            }
            block.add(lines.get(i));
        }
        throw new AssertionError("the ```" + info + " block of docs/protocol.md is not closed");
    }

    /**
     * Parses a block of {@code name: hex} entries; {@code # text} describes the next entry, an
     * indented line continues the previous one, spaces inside the hex are ignored.
     */
    static Map<String, DocVector> parse(List<String> block) {
        Map<String, String> hex = new LinkedHashMap<>();
        Map<String, String> descriptions = new LinkedHashMap<>();
        String description = "";
        String last = null;
        for (String line : block) {
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("#")) {
                description = line.substring(1).strip();
            } else if (Character.isWhitespace(line.charAt(0))) {
                assertTrue(last != null, "continuation line before any vector: " + line);
                hex.put(last, hex.get(last) + line.strip());
            } else {
                int colon = line.indexOf(':');
                assertTrue(colon > 0, "not 'name: hex': " + line);
                last = line.substring(0, colon).strip();
                assertTrue(hex.put(last, line.substring(colon + 1).strip()) == null, "vector named twice: " + last);
                descriptions.put(last, description);
                description = "";
            }
        }
        Map<String, DocVector> vectors = new LinkedHashMap<>();
        hex.forEach((name, text) -> vectors.put(name, new DocVector(name, descriptions.get(name),
                HexFormat.of().parseHex(text.replace(" ", "")))));
        return vectors;
    }

    static Map<String, DocVector> docVectors() throws IOException {
        return parse(block("vectors"));
    }

    @Test
    void theDocumentHasOneVectorPerSampleAndTheSameBytes() throws IOException {
        Map<String, DocVector> doc = docVectors();
        Set<String> expected = ProtocolSamples.all().stream().map(Sample::name)
                .collect(Collectors.toCollection(TreeSet::new));
        boolean same = expected.equals(new TreeSet<>(doc.keySet()))
                && ProtocolSamples.all().stream().allMatch(s -> java.util.Arrays.equals(
                        doc.get(s.name()).bytes(), ProtocolCodec.encode(s.frame()).array()))
                && java.util.Arrays.equals(parse(block("auth")).get("clientProof").bytes(), ProtocolSamples.CLIENT_PROOF);
        if (!same) {
            Files.createDirectories(RENDERED.getParent());
            Files.writeString(RENDERED, render(), StandardCharsets.UTF_8);
            fail("docs/protocol.md section 9 disagrees with ProtocolSamples (doc: " + doc.keySet() + ", samples: "
                    + expected + "); the blocks as the codec writes them are in " + RENDERED.toAbsolutePath());
        }
    }

    @TestFactory
    Stream<DynamicTest> eachVectorDecodesToItsFrameAndEncodesBack() throws IOException {
        Map<String, DocVector> doc = docVectors();
        return ProtocolSamples.all().stream().filter(s -> doc.containsKey(s.name()))
                .map(s -> DynamicTest.dynamicTest(s.name(), () -> {
                    byte[] bytes = doc.get(s.name()).bytes();
                    assertEquals(s.frame(), ProtocolCodec.decode(ByteBuffer.wrap(bytes)), "decoded");
                    assertArrayEquals(bytes, ProtocolCodec.encode(s.frame()).array(), "encoded");
                    assertArrayEquals(bytes, s.bytes(), "written field by field from the spec");
                    assertEquals(bytes.length, ProtocolCodec.encodedSizeBytes(s.frame()));
                }));
    }

    @Test
    void everyFrameKindHasAVector() {
        Set<String> kinds = ProtocolSamples.all().stream().map(s -> kind(s.frame()))
                .collect(Collectors.toSet());
        for (Opcode opcode : Opcode.values()) {
            if (opcode.isPush()) {
                assertTrue(kinds.contains(opcode + " push"), "no vector for " + opcode + " push");
            } else {
                assertTrue(kinds.contains(opcode + " request"), "no vector for " + opcode + " request");
                assertTrue(kinds.contains(opcode + " reply"), "no vector for " + opcode + " reply");
            }
        }
        assertTrue(kinds.contains("error reply"));
        assertTrue(kinds.contains("connection error"));
    }

    private static String kind(Frame frame) {
        Message body = frame.body();
        if (body instanceof Request r) {
            return r.opcode() + " request";
        } else if (body instanceof Reply r) {
            return r.opcode() + " reply";
        } else if (body instanceof Push p) {
            return p.opcode() + " push";
        }
        return frame.opcode() == 0 && frame.requestId() == 0 ? "connection error" : "error reply";
    }

    @Test
    void theAuthVectorsAreHmacSha256OfTheSpecsStrings() throws IOException, ProtocolException {
        Map<String, DocVector> auth = parse(block("auth"));
        byte[] secret = auth.get("secret").bytes();
        byte[] serverNonce = auth.get("serverNonce").bytes();
        byte[] clientNonce = auth.get("clientNonce").bytes();
        assertEquals(ProtocolSamples.SECRET, new String(secret, StandardCharsets.UTF_8));
        assertArrayEquals(ProtocolSamples.SERVER_NONCE, serverNonce);
        assertArrayEquals(ProtocolSamples.CLIENT_NONCE, clientNonce);

        byte[] clientProof = hmacSha256(secret, concat(ascii("shoal-auth-v1 client"), serverNonce, clientNonce));
        byte[] serverProof = hmacSha256(secret, concat(ascii("shoal-auth-v1 server"), clientNonce, serverNonce));
        assertArrayEquals(clientProof, auth.get("clientProof").bytes(), "clientProof in the document");
        assertArrayEquals(serverProof, auth.get("serverProof").bytes(), "serverProof in the document");
        assertArrayEquals(clientProof, AuthProofs.clientProof(secret, serverNonce, clientNonce));
        assertArrayEquals(serverProof, AuthProofs.serverProof(secret, clientNonce, serverNonce));

        // the session's frames carry them
        Map<String, DocVector> doc = docVectors();
        assertEquals(new Request.Auth(clientNonce, clientProof),
                decodeBody(doc.get("auth").bytes()));
        assertEquals(new Reply.Auth(serverProof), decodeBody(doc.get("auth-reply").bytes()));
        assertArrayEquals(serverNonce, ((Reply.Hello) decodeBody(doc.get("hello-reply").bytes())).serverNonce());
    }

    private static Message decodeBody(byte[] frame) throws ProtocolException {
        return ProtocolCodec.decode(ByteBuffer.wrap(frame)).body();
    }

    /** HMAC (RFC 2104) over SHA-256 from MessageDigest, independent of javax.crypto.Mac. */
    static byte[] hmacSha256(byte[] key, byte[] message) {
        try {
            int blockBytes = 64;
            byte[] k = key.length > blockBytes ? MessageDigest.getInstance("SHA-256").digest(key) : key;
            byte[] inner = new byte[blockBytes];
            byte[] outer = new byte[blockBytes];
            for (int i = 0; i < blockBytes; i++) {
                byte b = i < k.length ? k[i] : 0;
                inner[i] = (byte) (b ^ 0x36);
                outer[i] = (byte) (b ^ 0x5c);
            }
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] innerHash = sha.digest(concat(inner, message));
            return sha.digest(concat(outer, innerHash));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        ByteBuffer out = ByteBuffer.allocate(length);
        for (byte[] part : parts) {
            out.put(part);
        }
        return out.array();
    }

    /** Section 9's two blocks, as the samples and the codec write them. */
    static String render() {
        StringBuilder out = new StringBuilder("```vectors\n");
        for (Sample sample : ProtocolSamples.all()) {
            out.append("# ").append(sample.description()).append('\n');
            wrap(out, sample.name() + ": ", sample.wire().tokens());
        }
        out.append("```\n\n```auth\n");
        HexFormat hex = HexFormat.of();
        out.append("secret: ").append(hex.formatHex(ProtocolSamples.utf8(ProtocolSamples.SECRET))).append('\n');
        out.append("serverNonce: ").append(hex.formatHex(ProtocolSamples.SERVER_NONCE)).append('\n');
        out.append("clientNonce: ").append(hex.formatHex(ProtocolSamples.CLIENT_NONCE)).append('\n');
        out.append("clientProof: ").append(hex.formatHex(ProtocolSamples.CLIENT_PROOF)).append('\n');
        out.append("serverProof: ").append(hex.formatHex(ProtocolSamples.SERVER_PROOF)).append('\n');
        return out.append("```\n").toString();
    }

    private static void wrap(StringBuilder out, String first, String tokens) {
        StringBuilder line = new StringBuilder(first);
        for (String token : tokens.split(" ")) {
            if (line.length() + 1 + token.length() > WRAP_COLUMN && !line.toString().isBlank()
                    && !line.toString().equals(first)) {
                out.append(line).append('\n');
                line = new StringBuilder("    ");
            } else if (!line.toString().equals(first) && !line.toString().equals("    ")) {
                line.append(' ');
            }
            line.append(token);
        }
        out.append(line).append('\n');
    }
}
