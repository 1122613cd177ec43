package io.shoal.core;

import io.shoal.spi.ByteSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The export file format against its specification: the example of docs/formats.md section 3.7,
 * read from the document itself, decodes to the entries listed there, and the writer produces
 * exactly its bytes.
 */
class ExportFileTest {

    /** One row of the example's entry table. */
    record Entry(String map, String key, String value, long expiresAtMs, long timestampMs) {
    }

    /** The example of section 3.7: its map table, creation time, entries and bytes. */
    record Example(List<String> mapNames, long creationTimeMs, List<Entry> entries, byte[] bytes) {
    }

    // | 0 | `users` | `ada` | `Ada Lovelace` | 0 | 1700000000000 |
    private static final Pattern ENTRY_ROW = Pattern.compile(
            "^\\|\\s*\\d+\\s*\\|\\s*`([^`]+)`\\s*\\|\\s*`([^`]*)`\\s*\\|\\s*(`[^`]*`|\\(empty\\))\\s*\\|\\s*(\\d+)\\s*\\|\\s*(\\d+)\\s*\\|$");
    private static final Pattern MAP = Pattern.compile("`([^`]+)` \\(index (\\d+)\\)");
    private static final Pattern CREATED = Pattern.compile("`creationTimeMs = (\\d+)`");

    static Example docExample() throws IOException {
        Path doc = Files.isRegularFile(Path.of("..", "docs", "formats.md")) ? Path.of("..", "docs", "formats.md")
                : Path.of("docs", "formats.md");
        String text = Files.readString(doc, StandardCharsets.UTF_8);
        int start = text.indexOf("### 3.7 Example");
        assertTrue(start >= 0, "docs/formats.md has no section 3.7 Example");
        String section = text.substring(start);
        TreeMap<Integer, String> maps = new TreeMap<>();
        Matcher m = MAP.matcher(section);
        while (m.find()) {
            maps.put(Integer.parseInt(m.group(2)), m.group(1));
        }
        Matcher created = CREATED.matcher(section);
        assertTrue(created.find(), "the example states its creationTimeMs");
        List<Entry> entries = new ArrayList<>();
        for (String line : section.lines().toList()) {
            Matcher row = ENTRY_ROW.matcher(line.strip());
            if (row.matches()) {
                String value = row.group(3).equals("(empty)") ? "" : row.group(3).substring(1, row.group(3).length() - 1);
                entries.add(new Entry(row.group(1), row.group(2), value, Long.parseLong(row.group(4)),
                        Long.parseLong(row.group(5))));
            }
        }
        int hexStart = section.indexOf("```text\n") + "```text\n".length();
        String hexBlock = section.substring(hexStart, section.indexOf("```", hexStart));
        StringBuilder hex = new StringBuilder();
        for (String line : hexBlock.lines().toList()) {
            hex.append(line.split("#", 2)[0].replaceAll("\\s+", ""));
        }
        return new Example(List.copyOf(maps.values()), Long.parseLong(created.group(1)), entries,
                HexFormat.of().parseHex(hex));
    }

    @Test
    void theDocumentedExampleDecodesToItsEntries(@TempDir Path dir) throws IOException {
        Example example = docExample();
        assertEquals(List.of("sessions", "users"), example.mapNames());
        assertEquals(3, example.entries().size(), "the example's entry table");
        assertEquals(178, example.bytes().length, "the example's byte count");
        Path file = Files.write(dir.resolve("example.export"), example.bytes());

        try (ExportFileReader reader = ExportFileReader.open(file, 1 << 20, 64 << 20)) {
            assertEquals(example.creationTimeMs(), reader.creationTimeMs());
            assertEquals(example.mapNames(), reader.mapNames());
            ByteSink key = new ByteSink();
            ByteSink value = new ByteSink();
            for (Entry expected : example.entries()) {
                assertTrue(reader.next(key, value), "entry " + expected);
                assertEquals(expected.map(), reader.mapNames().get(reader.mapIndex()));
                assertEquals(expected.key(), new String(key.toByteArray(), StandardCharsets.UTF_8));
                assertEquals(expected.value(), new String(value.toByteArray(), StandardCharsets.UTF_8));
                assertEquals(expected.expiresAtMs(), reader.expiresAtMs());
                assertEquals(expected.timestampMs(), reader.timestampMs());
            }
            assertFalse(reader.next(key, value), "the end record follows the last entry");
            assertEquals(example.bytes().length, reader.position());
        }
    }

    @Test
    void theWriterProducesTheDocumentedBytes() throws IOException {
        Example example = docExample();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ExportFileWriter writer = new ExportFileWriter(Channels.newChannel(out), example.creationTimeMs(),
                example.mapNames());
        for (Entry e : example.entries()) {
            byte[] key = e.key().getBytes(StandardCharsets.UTF_8);
            byte[] value = e.value().getBytes(StandardCharsets.UTF_8);
            writer.entry(example.mapNames().indexOf(e.map()), key, key.length, value, value.length, e.expiresAtMs(),
                    e.timestampMs());
        }
        assertEquals(example.bytes().length, writer.finish());
        assertEquals(HexFormat.of().formatHex(example.bytes()), HexFormat.of().formatHex(out.toByteArray()));
    }

    @Test
    void valuesLargerThanTheBufferRoundTrip(@TempDir Path dir) throws IOException {
        byte[] big = new byte[(1 << 20) + 17];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        Path file = dir.resolve("big.export");
        try (var channel = Files.newByteChannel(file, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ExportFileWriter writer = new ExportFileWriter(channel, 1L, List.of("m"));
            for (int i = 0; i < 3; i++) {
                writer.entry(0, new byte[] {(byte) i}, 1, big, big.length - i, 0, i);
            }
            writer.finish();
        }
        try (ExportFileReader reader = ExportFileReader.open(file, 1 << 20, 64 << 20)) {
            ByteSink key = new ByteSink();
            ByteSink value = new ByteSink();
            for (int i = 0; i < 3; i++) {
                assertTrue(reader.next(key, value));
                assertArrayEquals(new byte[] {(byte) i}, key.toByteArray());
                assertArrayEquals(java.util.Arrays.copyOf(big, big.length - i), value.toByteArray());
            }
            assertFalse(reader.next(key, value));
        }
    }
}
