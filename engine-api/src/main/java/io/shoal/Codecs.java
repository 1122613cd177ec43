package io.shoal;

import io.shoal.spi.ByteSink;
import io.shoal.spi.Codec;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Built-in codecs. Their byte formats are part of the protocol (other-language clients compute key
 * hashes over these bytes): {@code String} as UTF-8 (strict: a string with a lone surrogate, or
 * bytes that are not valid UTF-8, fail with {@link CodecException}); {@code Long} as 8 bytes big-endian;
 * {@code Integer} as 4 bytes big-endian; {@code byte[]} as is.
 */
public final class Codecs {
    private Codecs() {
    }

    public static Codec<String> string() {
        return StringCodec.INSTANCE;
    }

    public static Codec<Long> longs() {
        return LongCodec.INSTANCE;
    }

    public static Codec<Integer> ints() {
        return IntCodec.INSTANCE;
    }

    /** {@code byte[]} as is; decoding returns a copy. */
    public static Codec<byte[]> bytes() {
        return BytesCodec.INSTANCE;
    }

    /** The built-in codec for {@code type}, or {@code null} if there is none. */
    @SuppressWarnings("unchecked")
    public static <T> Codec<T> builtIn(Class<T> type) {
        if (type == String.class) {
            return (Codec<T>) StringCodec.INSTANCE;
        } else if (type == Long.class || type == long.class) {
            return (Codec<T>) LongCodec.INSTANCE;
        } else if (type == Integer.class || type == int.class) {
            return (Codec<T>) IntCodec.INSTANCE;
        } else if (type == byte[].class) {
            return (Codec<T>) BytesCodec.INSTANCE;
        }
        return null;
    }

    private enum StringCodec implements Codec<String> {
        INSTANCE;

        @Override
        public void encode(String value, ByteSink out) {
            int len = value.length();
            byte[] dst = out.ensure(len);
            int pos = out.length();
            int i = 0;
            for (; i < len; i++) {
                char c = value.charAt(i);
                if (c >= 0x80) {
                    break;
                }
                dst[pos + i] = (byte) c;
            }
            if (i == len) {
                out.advance(len);
                return;
            }
            // Strict: a lone surrogate has no UTF-8 form, and replacing it would make two keys one.
            try {
                ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .encode(CharBuffer.wrap(value));
                out.write(encoded.array(), encoded.arrayOffset() + encoded.position(), encoded.remaining());
            } catch (CharacterCodingException e) {
                throw new CodecException("string has no UTF-8 form (a lone surrogate?) near index " + i + ": " + e);
            }
        }

        @Override
        public String decode(byte[] bytes, int offset, int length) {
            for (int i = offset; i < offset + length; i++) {
                if (bytes[i] < 0) {
                    try {
                        return StandardCharsets.UTF_8.newDecoder()
                                .onMalformedInput(CodingErrorAction.REPORT)
                                .onUnmappableCharacter(CodingErrorAction.REPORT)
                                .decode(ByteBuffer.wrap(bytes, offset, length)).toString();
                    } catch (CharacterCodingException e) {
                        throw new CodecException(length + " bytes are not valid UTF-8: " + e);
                    }
                }
            }
            return new String(bytes, offset, length, StandardCharsets.ISO_8859_1); // all ASCII
        }
    }

    private enum LongCodec implements Codec<Long> {
        INSTANCE;

        @Override
        public void encode(Long value, ByteSink out) {
            out.writeLong(value);
        }

        @Override
        public Long decode(byte[] bytes, int offset, int length) {
            if (length != 8) {
                throw new CodecException("a Long is 8 bytes, got " + length);
            }
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (bytes[offset + i] & 0xFF);
            }
            return v;
        }
    }

    private enum IntCodec implements Codec<Integer> {
        INSTANCE;

        @Override
        public void encode(Integer value, ByteSink out) {
            out.writeInt(value);
        }

        @Override
        public Integer decode(byte[] bytes, int offset, int length) {
            if (length != 4) {
                throw new CodecException("an Integer is 4 bytes, got " + length);
            }
            return ((bytes[offset] & 0xFF) << 24) | ((bytes[offset + 1] & 0xFF) << 16)
                    | ((bytes[offset + 2] & 0xFF) << 8) | (bytes[offset + 3] & 0xFF);
        }
    }

    private enum BytesCodec implements Codec<byte[]> {
        INSTANCE;

        @Override
        public void encode(byte[] value, ByteSink out) {
            out.write(value);
        }

        @Override
        public byte[] decode(byte[] bytes, int offset, int length) {
            return Arrays.copyOfRange(bytes, offset, offset + length);
        }
    }
}
