package io.shoal.protocol;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AUTH proofs of docs/protocol.md section 4.1 (HMAC-SHA256 challenge-response over a shared
 * secret that never crosses the wire). Pure functions, safe on any thread. Compare a received proof
 * with the expected one in constant time ({@link java.security.MessageDigest#isEqual}).
 */
public final class AuthProofs {
    /** Bytes of a nonce and of a proof. */
    public static final int NONCE_BYTES = 32;

    private static final byte[] CLIENT_LABEL = "shoal-auth-v1 client".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SERVER_LABEL = "shoal-auth-v1 server".getBytes(StandardCharsets.US_ASCII);

    private AuthProofs() {
    }

    /**
     * {@code HMAC-SHA256(secret, "shoal-auth-v1 client" ‖ serverNonce ‖ clientNonce)}: what the
     * client sends in AUTH and the node checks.
     *
     * @param secret      the UTF-8 bytes of the shared secret ({@code server.auth.secret}), not empty
     * @param serverNonce the 32 bytes of the node's HELLO reply
     * @param clientNonce the 32 bytes the client chose
     * @return 32 bytes
     * @throws IllegalArgumentException if the secret is empty or a nonce is not 32 bytes
     */
    public static byte[] clientProof(byte[] secret, byte[] serverNonce, byte[] clientNonce) {
        return hmac(secret, CLIENT_LABEL, Fields.raw32(serverNonce, "serverNonce"),
                Fields.raw32(clientNonce, "clientNonce"));
    }

    /**
     * {@code HMAC-SHA256(secret, "shoal-auth-v1 server" ‖ clientNonce ‖ serverNonce)}: what the node
     * answers to a correct AUTH and the client checks.
     *
     * @param secret      the UTF-8 bytes of the shared secret, not empty
     * @param clientNonce the 32 bytes of the client's AUTH
     * @param serverNonce the 32 bytes of the node's HELLO reply
     * @return 32 bytes
     * @throws IllegalArgumentException if the secret is empty or a nonce is not 32 bytes
     */
    public static byte[] serverProof(byte[] secret, byte[] clientNonce, byte[] serverNonce) {
        return hmac(secret, SERVER_LABEL, Fields.raw32(clientNonce, "clientNonce"),
                Fields.raw32(serverNonce, "serverNonce"));
    }

    private static byte[] hmac(byte[] secret, byte[] label, byte[] first, byte[] second) {
        Fields.notNull(secret, "secret");
        if (secret.length == 0) {
            throw new IllegalArgumentException("the shared secret is empty (an empty secret means no authentication)");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(label);
            mac.update(first);
            mac.update(second);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e); // every JDK must have it
        }
    }
}
