package io.shoal.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.spi.ByteSink;

import java.util.HexFormat;

import org.junit.jupiter.api.Test;

class ByteSinkTest {

    @Test
    void startsEmptyWithTheRequestedCapacity() {
        assertEquals(0, new ByteSink().length());
        assertEquals(256, new ByteSink().array().length);
        assertEquals(10, new ByteSink(10).array().length);
        assertEquals(0, new ByteSink(0).toByteArray().length);
    }

    @Test
    void growsAsBytesAreWritten() {
        ByteSink sink = new ByteSink(0);
        for (int i = 0; i < 10_000; i++) {
            sink.write((byte) i);
            assertTrue(sink.array().length >= sink.length(), "capacity below length");
        }
        assertEquals(10_000, sink.length());
        byte[] bytes = sink.toByteArray();
        for (int i = 0; i < bytes.length; i++) {
            assertEquals((byte) i, bytes[i], "byte " + i);
        }
        assertTrue(sink.array().length < 40_000, "growth should be geometric, not wasteful: " + sink.array().length);
    }

    @Test
    void writesArraysSlicesAndBigEndianNumbers() {
        ByteSink sink = new ByteSink(1);
        sink.write(new byte[] {1, 2}).write(new byte[] {9, 3, 4, 9}, 1, 2).writeInt(0x05060708).writeLong(0x090A0B0C0D0E0F10L);
        assertArrayEquals(HexFormat.of().parseHex("0102030405060708090a0b0c0d0e0f10"), sink.toByteArray());
        sink.reset().writeInt(-2).writeLong(Long.MIN_VALUE);
        assertArrayEquals(HexFormat.of().parseHex("fffffffe8000000000000000"), sink.toByteArray());
    }

    @Test
    void resetForgetsTheContentButKeepsTheCapacity() {
        ByteSink sink = new ByteSink(4);
        sink.write(new byte[1000]);
        byte[] grown = sink.array();
        sink.reset();
        assertEquals(0, sink.length());
        assertSame(grown, sink.array(), "reset must keep the backing array");
        sink.write((byte) 7);
        assertArrayEquals(new byte[] {7}, sink.toByteArray());
        sink.write(new byte[999]);
        assertSame(grown, sink.array(), "refilling up to the old size must not grow again");
    }

    @Test
    void toByteArrayIsACopy() {
        ByteSink sink = new ByteSink().write(new byte[] {1, 2, 3});
        byte[] copy = sink.toByteArray();
        assertNotSame(sink.array(), copy);
        copy[0] = 42;
        assertEquals(1, sink.array()[0]);
    }

    @Test
    void ensureMakesRoomAndAdvanceCommitsDirectWrites() {
        ByteSink sink = new ByteSink(2).write((byte) 1);
        byte[] room = sink.ensure(100);
        assertTrue(room.length - sink.length() >= 100, "ensure(100) left " + (room.length - sink.length()) + " bytes");
        assertSame(room, sink.array());
        for (int i = 0; i < 100; i++) {
            room[sink.length() + i] = (byte) (i + 2);
        }
        sink.advance(100);
        assertEquals(101, sink.length());
        byte[] bytes = sink.toByteArray();
        for (int i = 0; i < bytes.length; i++) {
            assertEquals((byte) (i + 1), bytes[i], "byte " + i);
        }
        assertSame(sink.array(), sink.ensure(0), "ensure(0) must not grow");
        sink.advance(0);
        assertEquals(101, sink.length());
    }

    @Test
    void rejectsBadArgumentsWithClearMessages() {
        IllegalArgumentException capacity = assertThrows(IllegalArgumentException.class, () -> new ByteSink(-5));
        assertTrue(capacity.getMessage().contains("-5"), capacity.getMessage());

        ByteSink sink = new ByteSink(8).write((byte) 1);
        IllegalArgumentException ensure = assertThrows(IllegalArgumentException.class, () -> sink.ensure(-3));
        assertTrue(ensure.getMessage().contains("-3"), ensure.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> sink.advance(-2));
        assertTrue(negative.getMessage().contains("-2"), negative.getMessage());
        IllegalArgumentException past = assertThrows(IllegalArgumentException.class, () -> sink.advance(8));
        assertTrue(past.getMessage().contains("8"), past.getMessage());
        assertThrows(IllegalArgumentException.class, () -> sink.advance(Integer.MAX_VALUE), "overflowing advance");
        assertEquals(1, sink.length(), "a rejected advance must not change the length");

        IllegalStateException tooBig = assertThrows(IllegalStateException.class, () -> sink.ensure(Integer.MAX_VALUE));
        assertTrue(tooBig.getMessage().contains(String.valueOf(1L + Integer.MAX_VALUE)), tooBig.getMessage());

        assertThrows(IndexOutOfBoundsException.class, () -> sink.write(new byte[4], 3, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> sink.write(new byte[4], -1, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> sink.write(new byte[4], 0, -1));
        assertThrows(NullPointerException.class, () -> sink.write(null));
        assertEquals(1, sink.length(), "rejected writes must not change the length");
    }
}
