package io.shoal.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shoal.ConfigException;
import io.shoal.spi.TransportProvider;
import io.shoal.testing.MapSettings;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TcpTransportProviderTest {

    @TempDir
    Path dir;

    @Test
    void isFoundByServiceLoaderUnderTheNameTcp() {
        Set<String> names = ServiceLoader.load(TransportProvider.class).stream()
                .map(provider -> provider.get().name())
                .collect(Collectors.toSet());
        assertTrue(names.contains("tcp"), "providers found: " + names);
    }

    @Test
    void referenceConfHoldsExactlyTheKeysTheProviderReads() throws IllegalAccessException {
        Set<String> declared = new TreeSet<>();
        for (Field field : TcpTransportProvider.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getName().endsWith("_KEY")) {
                declared.add((String) field.get(null));
            }
        }
        assertEquals(declared, new TreeSet<>(TestSettings.defaults().asMap().keySet()));
    }

    @Test
    void defaults() {
        TcpConfig config = TcpTransportProvider.config(TestSettings.defaults());
        assertEquals(16 << 20, config.maxFrameBytes());
        assertEquals(4096, config.maxConnections());
        assertEquals(2, config.ioThreads());
        assertFalse(config.tls().enabled());
        assertTrue(config.tls().certificateFile().isEmpty() && config.tls().privateKeyFile().isEmpty()
                && config.tls().trustFile().isEmpty());
        assertFalse(config.tls().requireClientAuth());
        assertTrue(config.tls().verifyHostname());
        assertEquals(10_000, config.tls().handshakeTimeoutMs());
        assertEquals(16 << 20, new TcpTransportProvider().create(TestSettings.defaults()).maxFrameBytes());
    }

    @Test
    void outOfRangeValuesNameTheKeyAndTheValue() {
        assertRejected("maxFrameBytes", 0, "0");
        assertRejected("maxFrameBytes", "2g", "2147483648");
        assertRejected("maxConnections", 0, "0");
        assertRejected("ioThreads", 65, "65");
        assertRejected("tls.handshakeTimeoutMs", 0, "0");
        assertRejected("maxFrameBytes", "lots", "lots");
    }

    @Test
    void withTlsEnabledTheFilesMustExistAndComeInPairs() throws IOException {
        Path certificate = Files.writeString(dir.resolve("node.crt.pem"), "pem");
        Path missing = dir.resolve("missing.pem");
        MapSettings tls = TestSettings.defaults().with(TcpTransportProvider.TLS_ENABLED_KEY, true);

        ConfigException absent = assertThrows(ConfigException.class, () -> TcpTransportProvider.config(
                tls.with(TcpTransportProvider.TLS_TRUST_FILE_KEY, missing.toString())));
        assertEquals(TcpTransportProvider.TLS_TRUST_FILE_KEY, absent.key());
        assertTrue(absent.getMessage().contains(missing.toString()), absent.getMessage());

        ConfigException unpaired = assertThrows(ConfigException.class, () -> TcpTransportProvider.config(
                tls.with(TcpTransportProvider.TLS_CERTIFICATE_FILE_KEY, certificate.toString())));
        assertEquals(TcpTransportProvider.TLS_PRIVATE_KEY_FILE_KEY, unpaired.key());

        TcpConfig ignored = TcpTransportProvider.config(TestSettings.defaults()
                .with(TcpTransportProvider.TLS_CERTIFICATE_FILE_KEY, missing.toString()));
        assertFalse(ignored.tls().enabled(), "TLS files are not checked while TLS is off");

        TcpConfig clientOnly = TcpTransportProvider.config(tls.with(TcpTransportProvider.TLS_TRUST_FILE_KEY, certificate.toString()));
        assertEquals(Path.of(certificate.toString()), clientOnly.tls().trustFile().orElseThrow());
    }

    private static void assertRejected(String key, Object value, String named) {
        String fullKey = TcpTransportProvider.PREFIX + key;
        ConfigException rejected = assertThrows(ConfigException.class,
                () -> TcpTransportProvider.config(TestSettings.defaults().with(fullKey, value)), fullKey + " = " + value);
        assertEquals(fullKey, rejected.key());
        assertTrue(rejected.getMessage().contains(named), rejected.getMessage());
    }
}
