package io.shoal.persist.file;

import io.shoal.ChangeType;
import io.shoal.spi.ChangeRecord;
import io.shoal.spi.PersistenceBackend;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * An encoder written from docs/formats.md alone (it does not use FileLogFormat), plus helpers
 * shared by the tests.
 */
final class Spec {
    static final long NOW_MS = 1_700_000_000_000L;

    private Spec() {
    }

    /** The 32-byte header of section 1.2. */
    static byte[] header(long creationTimeMs, long firstRecordNumber) {
        return header("SHOALLOG".getBytes(StandardCharsets.US_ASCII), 1, 32, creationTimeMs, firstRecordNumber);
    }

    static byte[] header(byte[] magic, int version, int headerLength, long creationTimeMs, long firstRecordNumber) {
        ByteBuffer b = ByteBuffer.allocate(32); // big-endian by default
        b.put(magic).putShort((short) version).putShort((short) headerLength).putLong(creationTimeMs).putLong(firstRecordNumber);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 28);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /** The payload of section 1.5. */
    static byte[] payload(ChangeRecord r) {
        byte[] name = r.mapName().getBytes(StandardCharsets.UTF_8);
        int length = 30 + name.length + 4 + r.key().length + (r.value() == null ? 0 : 4 + r.value().length);
        ByteBuffer b = ByteBuffer.allocate(length);
        b.putInt(r.bucket()).putLong(r.sequence()).putLong(r.timestampMs()).putLong(r.expiresAtMs())
                .putShort((short) name.length).put(name).putInt(r.key().length).put(r.key());
        if (r.value() != null) {
            b.putInt(r.value().length).put(r.value());
        }
        return b.array();
    }

    static int code(ChangeType type) {
        return switch (type) {
            case CREATED -> 1;
            case UPDATED -> 2;
            case REMOVED -> 3;
            case EXPIRED -> 4;
            case EVICTED -> 5;
        };
    }

    /** A record frame of section 1.3 with the right CRC. */
    static byte[] frame(ChangeRecord r) {
        return frame(payload(r), code(r.type()));
    }

    static byte[] frame(byte[] payload, int code) {
        ByteBuffer b = ByteBuffer.allocate(9 + payload.length);
        b.putInt(payload.length).put((byte) code).putInt(0).put(payload);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 5);
        crc.update(payload);
        b.putInt(5, (int) crc.getValue());
        return b.array();
    }

    static byte[] segment(long creationTimeMs, long first, List<ChangeRecord> records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header(creationTimeMs, first));
        records.forEach(r -> out.writeBytes(frame(r)));
        return out.toByteArray();
    }

    /** One bucket section of a snapshot (docs/formats.md section 2.3): entries in the given order. */
    record Section(int bucket, long sequence, List<ChangeRecord> entries) {
    }

    /** A whole snapshot file of docs/formats.md section 2, with every CRC right. */
    static byte[] snapshot(long creationTimeMs, long covered, int bucketCount, List<Section> sections) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(36);
        h.put("SHOALSNP".getBytes(StandardCharsets.US_ASCII)).putShort((short) 1).putShort((short) 36)
                .putLong(creationTimeMs).putLong(covered).putInt(bucketCount);
        CRC32C crc = new CRC32C();
        crc.update(h.array(), 0, 32);
        h.putInt((int) crc.getValue());
        out.writeBytes(h.array());
        long records = 0;
        for (Section section : sections) {
            ByteBuffer b = ByteBuffer.allocate(20);
            b.putInt(section.bucket()).putLong(section.sequence()).putInt(section.entries().size());
            CRC32C sectionCrc = new CRC32C();
            sectionCrc.update(b.array(), 0, 16);
            b.putInt((int) sectionCrc.getValue());
            out.writeBytes(b.array());
            for (ChangeRecord entry : section.entries()) {
                out.writeBytes(frame(entry));
                records++;
            }
        }
        ByteBuffer t = ByteBuffer.allocate(20);
        t.put("SHOALEND".getBytes(StandardCharsets.US_ASCII)).putInt(sections.size()).putLong(records);
        out.writeBytes(t.array());
        CRC32C fileCrc = new CRC32C();
        byte[] body = out.toByteArray();
        fileCrc.update(body);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) fileCrc.getValue()).array());
        return out.toByteArray();
    }

    static String snapshotName(long covered) {
        return String.format("snapshot-%016x.snap", covered);
    }

    static String name(long first) {
        return String.format("log-%016x.seg", first);
    }

    static ChangeRecord put(int bucket, long sequence, String key, String value) {
        return new ChangeRecord(sequence == 1 ? ChangeType.CREATED : ChangeType.UPDATED, "map", bucket, sequence,
                key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8), NOW_MS + sequence,
                sequence % 2 == 0 ? NOW_MS + 60_000 : 0);
    }

    static ChangeRecord removal(ChangeType type, int bucket, long sequence, String key) {
        return new ChangeRecord(type, "map", bucket, sequence, key.getBytes(StandardCharsets.UTF_8), null, NOW_MS + sequence, 0);
    }

    /** {@code n} records in bucket 3: puts with a removal every fifth. */
    static List<ChangeRecord> records(int n) {
        List<ChangeRecord> records = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            records.add(i % 5 == 0 ? removal(ChangeType.REMOVED, 3, i, "k" + (i - 1))
                    : put(3, i, "k" + i, "value-" + i));
        }
        return records;
    }

    static FileLogConfig config(Path dir, FileLogConfig.FsyncPolicy fsync) {
        return new FileLogConfig(dir, fsync, 50, 64L << 20, true, ZoneId.of("UTC"), FileLogConfig.OnCorruption.FAIL);
    }

    /** Everything {@code backend.recover} replays. */
    static List<ChangeRecord> recover(PersistenceBackend backend) {
        List<ChangeRecord> replayed = new ArrayList<>();
        backend.recover(new PersistenceBackend.RecoverySink() {
            @Override
            public void apply(ChangeRecord record) {
                replayed.add(record);
            }

            @Override
            public void bucketSequence(int bucket, long sequence) {
            }
        });
        return replayed;
    }

    /** Recovers into a fresh backend on {@code config} and closes it. */
    static List<ChangeRecord> recoverOnce(FileLogConfig config) {
        FileLogBackend backend = new FileLogBackend(config);
        try {
            return recover(backend);
        } finally {
            backend.close();
        }
    }

    static String describe(List<ChangeRecord> records) {
        StringBuilder b = new StringBuilder();
        for (ChangeRecord r : records) {
            b.append(r.type()).append(' ').append(r.mapName()).append(' ').append(r.bucket()).append(' ')
                    .append(r.sequence()).append(' ').append(java.util.HexFormat.of().formatHex(r.key())).append(' ')
                    .append(r.value() == null ? "-" : java.util.HexFormat.of().formatHex(r.value())).append(' ')
                    .append(r.timestampMs()).append(' ').append(r.expiresAtMs()).append('\n');
        }
        return b.toString();
    }
}
