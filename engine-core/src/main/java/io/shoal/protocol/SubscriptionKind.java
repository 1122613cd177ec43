package io.shoal.protocol;

/** The {@code kind} of a SUBSCRIBE (docs/protocol.md section 4.3). */
public enum SubscriptionKind {
    /** Every change of the map; {@code match} must be empty. */
    ALL(0),
    /** Changes of the key {@code match}. */
    KEY(1),
    /** Changes of keys starting with the bytes {@code match}. */
    PREFIX(2);

    private static final SubscriptionKind[] BY_CODE = values();

    private final int code;

    SubscriptionKind(int code) {
        this.code = code;
    }

    /** The wire value ({@code u8}). */
    public int code() {
        return code;
    }

    static SubscriptionKind lookup(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
