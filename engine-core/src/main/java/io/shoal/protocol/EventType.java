package io.shoal.protocol;

/** The {@code type} of an EVENT push (docs/protocol.md section 4.3). */
public enum EventType {
    CREATED(1),
    UPDATED(2),
    REMOVED(3),
    EXPIRED(4),
    EVICTED(5);

    private static final EventType[] BY_CODE = values();

    private final int code;

    EventType(int code) {
        this.code = code;
    }

    /** The wire value ({@code u8}), 1 to 5. */
    public int code() {
        return code;
    }

    static EventType lookup(int code) {
        return code >= 1 && code <= BY_CODE.length ? BY_CODE[code - 1] : null;
    }
}
