package io.shoal.protocol;

/** The {@code condition} of REPLACE and REMOVE (docs/protocol.md section 4.2). */
public enum Condition {
    /** No condition: any present value. */
    NONE(0),
    /** The current value's version must equal {@code expected}. */
    VERSION(1),
    /** The current value's value hash must equal {@code expected}. */
    VALUE_HASH(2);

    private static final Condition[] BY_CODE = values();

    private final int code;

    Condition(int code) {
        this.code = code;
    }

    /** The wire value ({@code u8}). */
    public int code() {
        return code;
    }

    static Condition lookup(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
