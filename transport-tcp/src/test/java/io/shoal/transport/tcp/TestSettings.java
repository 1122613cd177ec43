package io.shoal.transport.tcp;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import io.shoal.testing.MapSettings;

import java.util.LinkedHashMap;
import java.util.Map;

/** This module's {@code reference.conf}, read the way the engine reads it, as {@link MapSettings}. */
final class TestSettings {
    private TestSettings() {
    }

    /** Every {@code transport-tcp.*} key with its default. */
    static MapSettings defaults() {
        Config reference = ConfigFactory.parseResources(TcpTransportProvider.class.getClassLoader(), "reference.conf")
                .resolve()
                .getConfig("transport-tcp")
                .atPath("transport-tcp");
        Map<String, Object> values = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> entry : reference.entrySet()) {
            values.put(entry.getKey(), entry.getValue().unwrapped());
        }
        return new MapSettings(values);
    }

    /** A transport with the defaults changed by {@code keysAndValues} ({@code "maxConnections", 2, ...}, prefix implied). */
    static TcpTransport transport(Object... keysAndValues) {
        MapSettings settings = defaults();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            String key = TcpTransportProvider.PREFIX + keysAndValues[i];
            if (!settings.hasPath(key)) {
                throw new IllegalArgumentException("not a key of reference.conf: " + key);
            }
            settings = settings.with(key, keysAndValues[i + 1]);
        }
        return (TcpTransport) new TcpTransportProvider().create(settings);
    }

    /**
     * A loopback port bound by a socket that does not listen: connecting to it is refused, and no
     * other socket (the connecting one included) can take it while {@code holder} is open.
     */
    static String refusingAddress(java.util.List<java.net.Socket> holder) {
        try {
            java.net.Socket socket = new java.net.Socket();
            socket.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            holder.add(socket);
            return "127.0.0.1:" + socket.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
