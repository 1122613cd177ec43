package io.shoal.client;

import io.shoal.ConfigException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The builder fails fast, naming the setting and the value. */
class ClientConfigTest {

    private static void refused(String key, String valueShown, Runnable build) {
        ConfigException e = assertThrows(ConfigException.class, build::run);
        assertEquals(key, e.key(), e.getMessage());
        assertTrue(e.getMessage().contains(valueShown), e.getMessage());
    }

    @Test
    void defaults() {
        ClientConfig config = ClientConfig.builder().nodes("localhost:7401").build();
        assertEquals(List.of("localhost:7401"), config.nodes());
        assertEquals(Duration.ofSeconds(5), config.connectTimeout());
        assertEquals(Duration.ofSeconds(10), config.requestTimeout());
        assertTrue(config.secret().isEmpty());
        assertEquals("", config.clusterName());
        assertEquals("tcp", config.transport());
        assertEquals(RetryPolicy.FAIL, config.retryPolicy());
        assertEquals(Duration.ofMillis(100), config.reconnectBackoffInitial());
        assertEquals(Duration.ofSeconds(5), config.reconnectBackoffMax());
        assertEquals(Duration.ofSeconds(5), config.keepAliveInterval());
        assertEquals(Duration.ofSeconds(15), config.deadPeerTimeout());
        assertEquals(List.of(), config.kryoClasses());
        assertEquals(65_536, config.eventQueueCapacity());
        assertEquals(false, config.smartRouting(), "smart routing is off by default");
        assertEquals(true, config.toBuilder().smartRouting(true).build().toBuilder().build().smartRouting());
        assertEquals(config.toString(), config.toBuilder().build().toString());
        assertTrue(!config.toString().contains("s3cret"));
        assertTrue(!ClientConfig.builder().nodes("h:1").secret("s3cret").build().toString().contains("s3cret"),
                "the secret is never shown");
    }

    @Test
    void badValuesAreNamed() {
        refused("nodes", "is not set", () -> ClientConfig.builder().build());
        refused("nodes", "empty", () -> ClientConfig.builder().nodes(List.of()));
        refused("nodes", "\" h:1\"", () -> ClientConfig.builder().nodes(" h:1"));
        refused("nodes", "listed twice", () -> ClientConfig.builder().nodes("h:1", "h:1"));
        refused("nodes", "\"h:0\"", () -> ClientConfig.builder().nodes("h:0").build());
        refused("nodes", "\"nohost\"", () -> ClientConfig.builder().nodes("nohost").build());
        refused("nodes", "\"h:http\"", () -> ClientConfig.builder().nodes("h:http").build());
        refused("requestTimeout", "PT0S", () -> ClientConfig.builder().requestTimeout(Duration.ZERO));
        refused("connectTimeout", "PT-1S", () -> ClientConfig.builder().connectTimeout(Duration.ofSeconds(-1)));
        refused("requestTimeout", "PT48H", () -> ClientConfig.builder().requestTimeout(Duration.ofDays(2)));
        refused("reconnectBackoffInitial", "PT10S", () -> ClientConfig.builder()
                .reconnectBackoff(Duration.ofSeconds(10), Duration.ofSeconds(1)));
        refused("keepAliveInterval", "PT15S", () -> ClientConfig.builder()
                .keepAlive(Duration.ofSeconds(15), Duration.ofSeconds(15)));
        refused("secret", "empty", () -> ClientConfig.builder().secret(""));
        refused("clusterName", "surrogate", () -> ClientConfig.builder().clusterName("\ud800"));
        refused("eventQueueCapacity", "0", () -> ClientConfig.builder().eventQueueCapacity(0));
        refused("smartRouting", "discoverNodes", () -> ClientConfig.builder().nodes("h:1").smartRouting(true)
                .discoverNodes(false).build());
        refused("kryoClasses", "no.such.Type", () -> ClientConfig.builder().kryoClassNames(List.of("no.such.Type")));
        refused("kryoClasses", "listed twice", () -> ClientConfig.builder().kryoClasses(String.class, String.class));
        refused("transport", "\"carrier-pigeon\"", () -> ClientConfig.builder().nodes("h:1").transport("carrier-pigeon")
                .build());
        ConfigException typo = assertThrows(ConfigException.class, () -> ClientConfig.builder().nodes("h:1")
                .set("transport-tcp.tls.enabeld", true).build());
        assertEquals("transport-tcp.tls.enabeld", typo.key());
        assertTrue(typo.getMessage().contains("transport-tcp.tls.enabled"), "lists the known keys: " + typo.getMessage());
        refused("transport-tcp.maxFrameBytes", "java.lang.Object", () -> ClientConfig.builder()
                .set("transport-tcp.maxFrameBytes", new Object()));
    }

    @Test
    void transportSettingsReachTheTransport() {
        ClientConfig config = ClientConfig.builder().nodes("h:1").set("transport-tcp.maxFrameBytes", "64k")
                .set("transport-tcp.ioThreads", 1).build();
        assertEquals(Map.of("transport-tcp.maxFrameBytes", "64k", "transport-tcp.ioThreads", 1), config.transportSettings());
        io.shoal.spi.Settings settings = Transports.settings(Transports.provider("tcp"), config.transportSettings());
        assertEquals(64 * 1024, settings.getBytes("transport-tcp.maxFrameBytes"));
        assertEquals(1, settings.getInt("transport-tcp.ioThreads"));
        assertEquals(false, settings.getBoolean("transport-tcp.tls.enabled"), "defaults from reference.conf");
        ConfigException e = assertThrows(ConfigException.class, () -> ShoalClient.connect(ClientConfig.builder()
                .nodes("h:1").set("transport-tcp.ioThreads", 0).build()));
        assertEquals("transport-tcp.ioThreads", e.key(), "the transport checks its own values at connect");
    }

    @Test
    void kryoClassNamesAsOnANode() {
        ClientConfig config = ClientConfig.builder().nodes("h:1")
                .kryoClassNames(List.of(ClientPoint.class.getName(), " java.util.ArrayList")).build();
        assertEquals(List.of(ClientPoint.class, ArrayList.class), config.kryoClasses());
    }
}
