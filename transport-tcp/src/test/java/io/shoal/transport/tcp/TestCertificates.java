package io.shoal.transport.tcp;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed certificates for tests, made by the JDK's {@code keytool} (no extra library, no JDK
 * internals) and exported as the PEM files the transport reads: the certificate, and the private
 * key as unencrypted PKCS#8.
 */
final class TestCertificates {
    private static final char[] STORE_PASSWORD = "test-only".toCharArray();
    private static final long KEYTOOL_TIMEOUT_MS = 60_000;

    private TestCertificates() {
    }

    /** A certificate and its key, as PEM files. */
    record Pem(Path certificate, Path privateKey) {
    }

    /**
     * A self-signed EC certificate for {@code CN=<name>} whose subject alternative names are
     * {@code san} in keytool's syntax, e.g. {@code "ip:127.0.0.1,dns:localhost"}.
     */
    static Pem selfSigned(Path dir, String name, String san) throws IOException, GeneralSecurityException, InterruptedException {
        Path store = dir.resolve(name + ".p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process process = new ProcessBuilder(List.of(keytool, "-genkeypair", "-alias", name,
                "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                "-dname", "CN=" + name, "-ext", "SAN=" + san, "-validity", "2",
                "-keystore", store.toString(), "-storetype", "PKCS12",
                "-storepass", new String(STORE_PASSWORD), "-keypass", new String(STORE_PASSWORD)))
                .redirectErrorStream(true)
                .start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(KEYTOOL_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IOException("keytool did not finish within " + KEYTOOL_TIMEOUT_MS + " ms: " + output);
        }
        if (process.exitValue() != 0) {
            throw new IOException("keytool exited with " + process.exitValue() + ": " + output);
        }

        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keyStore.load(in, STORE_PASSWORD);
        }
        Certificate certificate = keyStore.getCertificate(name);
        Key key = keyStore.getKey(name, STORE_PASSWORD);
        Pem pem = new Pem(dir.resolve(name + ".crt.pem"), dir.resolve(name + ".key.pem"));
        Files.writeString(pem.certificate(), pem("CERTIFICATE", certificate.getEncoded()));
        Files.writeString(pem.privateKey(), pem("PRIVATE KEY", key.getEncoded())); // PKCS#8
        return pem;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
