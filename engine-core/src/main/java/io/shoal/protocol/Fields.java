package io.shoal.protocol;

import java.util.Arrays;
import java.util.List;

/**
 * Checks the message records run in their constructors (so a message that exists can be encoded),
 * and the content-based equality and text of their {@code byte[]} fields.
 */
final class Fields {
    static final int MAX_U16 = 0xFFFF;
    static final long MAX_U32 = 0xFFFF_FFFFL;
    static final int MAX_MAP_NAME_BYTES = 255;
    static final int RAW32_BYTES = 32;
    static final int MIN_SCAN_ENTRIES = 1;
    static final int MAX_SCAN_ENTRIES = 65_536;
    /** Bytes of a {@code byte[]} shown in a message's text before it is cut short. */
    private static final int SHOWN_BYTES = 32;

    private Fields() {
    }

    static <T> T notNull(T value, String field) {
        if (value == null) {
            throw new NullPointerException(field + " is null");
        }
        return value;
    }

    static int u8(int value, String field) {
        if (value < 0 || value > 0xFF) {
            throw new IllegalArgumentException(field + " must be a u8 (0..255): " + value);
        }
        return value;
    }

    static int u16(int value, String field) {
        if (value < 0 || value > MAX_U16) {
            throw new IllegalArgumentException(field + " must be a u16 (0..65535): " + value);
        }
        return value;
    }

    static long u32(long value, String field) {
        if (value < 0 || value > MAX_U32) {
            throw new IllegalArgumentException(field + " must be a u32 (0..4294967295): " + value);
        }
        return value;
    }

    static long nonNegative(long value, String field) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must not be negative: " + value);
        }
        return value;
    }

    static byte[] bytes(byte[] value, String field) {
        return notNull(value, field);
    }

    static byte[] raw32(byte[] value, String field) {
        notNull(value, field);
        if (value.length != RAW32_BYTES) {
            throw new IllegalArgumentException(field + " must be exactly 32 bytes: " + value.length);
        }
        return value;
    }

    /** A {@code str}: at most 65,535 bytes of UTF-8, and no unpaired surrogate (not encodable). */
    static String str(String value, String field) {
        notNull(value, field);
        int length = utf8Length(value);
        if (length < 0) {
            throw new IllegalArgumentException(field + " has an unpaired surrogate, not encodable as UTF-8: "
                    + quote(value));
        }
        if (length > MAX_U16) {
            throw new IllegalArgumentException(field + " is " + length + " bytes of UTF-8, at most 65535 fit");
        }
        return value;
    }

    /** A {@code map}: a {@code str} of 1 to 255 bytes without control characters. */
    static String mapName(String value) {
        str(value, "map");
        String problem = mapNameProblem(value, utf8Length(value));
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return value;
    }

    /** Why {@code name} (of {@code utf8Bytes} bytes) is not a valid map name, or {@code null}. */
    static String mapNameProblem(String name, int utf8Bytes) {
        if (utf8Bytes < 1 || utf8Bytes > MAX_MAP_NAME_BYTES) {
            return "map name must be 1 to 255 bytes of UTF-8, is " + utf8Bytes + ": " + quote(name);
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= 0x1F || (c >= 0x7F && c <= 0x9F)) {
                return "map name has control character U+" + String.format("%04X", (int) c) + " at index "
                        + i + ": " + quote(name);
            }
        }
        return null;
    }

    static int scanMaxEntries(int value) {
        if (value < MIN_SCAN_ENTRIES || value > MAX_SCAN_ENTRIES) {
            throw new IllegalArgumentException("maxEntries must be 1 to 65536: " + value);
        }
        return value;
    }

    static <T> List<T> list(List<T> value, String field, long maxCount) {
        notNull(value, field);
        if (value.size() > maxCount) {
            throw new IllegalArgumentException(field + " has " + value.size() + " elements, at most "
                    + maxCount + " fit");
        }
        return List.copyOf(value); // also rejects null elements
    }

    /** The UTF-8 length of {@code s} in bytes, or -1 if it has an unpaired surrogate. */
    static int utf8Length(String s) {
        int length = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                length += 1;
            } else if (c < 0x800) {
                length += 2;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    length += 4;
                    i++;
                } else {
                    return -1;
                }
            } else if (Character.isLowSurrogate(c)) {
                return -1;
            } else {
                length += 3;
            }
        }
        return length;
    }

    /** {@code s} in quotes with control characters escaped, cut short after 64 characters. */
    static String quote(String s) {
        StringBuilder out = new StringBuilder(Math.min(s.length(), 64) + 8).append('"');
        for (int i = 0; i < s.length() && i < 64; i++) {
            char c = s.charAt(i);
            if (c <= 0x1F || (c >= 0x7F && c <= 0x9F) || c == '"' || c == '\\' || Character.isSurrogate(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (s.length() > 64) {
            out.append("...");
        }
        return out.append('"').toString();
    }

    static boolean equal(byte[] a, byte[] b) {
        return Arrays.equals(a, b);
    }

    static int hash(byte[] a) {
        return Arrays.hashCode(a);
    }

    /** {@code 0x6b6579} for short arrays, {@code 0x0001..(40 bytes)} for long ones, {@code 0x(0 bytes)}, {@code null}. */
    static String show(byte[] a) {
        if (a == null) {
            return "null";
        }
        if (a.length == 0) {
            return "0x(0 bytes)";
        }
        int shown = Math.min(a.length, SHOWN_BYTES);
        StringBuilder out = new StringBuilder(2 * shown + 24).append("0x");
        for (int i = 0; i < shown; i++) {
            out.append(Character.forDigit((a[i] >> 4) & 0xF, 16)).append(Character.forDigit(a[i] & 0xF, 16));
        }
        if (a.length > shown) {
            out.append("..(").append(a.length).append(" bytes)");
        }
        return out.toString();
    }
}
