package io.shoal.client;

import io.shoal.ConfigException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How a {@link ShoalClient} reaches the cluster: the nodes to try, timeouts, authentication, the
 * transport and its settings, what to do with requests lost with a connection, reconnection and
 * keep-alive. Immutable; build one with {@link #builder()}.
 *
 * <pre>{@code
 * ClientConfig config = ClientConfig.builder()
 *         .nodes("10.0.0.5:7401", "10.0.0.6:7401")     // tried in this order
 *         .requestTimeout(Duration.ofSeconds(2))
 *         .secret(System.getenv("SHOAL_SECRET"))        // the nodes' server.auth.secret
 *         .set("transport-tcp.tls.enabled", true)       // transport settings, as on a node
 *         .set("transport-tcp.tls.trustFile", "/etc/shoal/cluster-ca.pem")
 *         .kryoClasses(Order.class, java.util.ArrayList.class)   // the nodes' codec.kryo.classes
 *         .build();
 * }</pre>
 *
 * <p>Every setter checks its value at once and {@link Builder#build()} checks how the values fit
 * together, the transport name and the transport setting keys; a bad value fails with a
 * {@link ConfigException} naming the setting, the value and what is allowed. Settings the transport
 * reads itself (TLS files, sizes) are checked by the transport when the client connects.
 */
public final class ClientConfig {
    /** Longest duration any setting accepts: one day. */
    static final Duration MAX_DURATION = Duration.ofDays(1);

    private final List<String> nodes;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final String secret;
    private final String clusterName;
    private final String clientName;
    private final String transport;
    private final Map<String, Object> transportSettings;
    private final RetryPolicy retryPolicy;
    private final Duration reconnectBackoffInitial;
    private final Duration reconnectBackoffMax;
    private final Duration keepAliveInterval;
    private final Duration deadPeerTimeout;
    private final List<Class<?>> kryoClasses;
    private final int eventQueueCapacity;
    private final boolean discoverNodes;
    private final boolean smartRouting;
    private final boolean retryNotOwner;

    private ClientConfig(Builder b) {
        this.nodes = List.copyOf(b.nodes);
        this.connectTimeout = b.connectTimeout;
        this.requestTimeout = b.requestTimeout;
        this.secret = b.secret;
        this.clusterName = b.clusterName;
        this.clientName = b.clientName;
        this.transport = b.transport;
        this.transportSettings = Collections.unmodifiableMap(new LinkedHashMap<>(b.transportSettings));
        this.retryPolicy = b.retryPolicy;
        this.reconnectBackoffInitial = b.reconnectBackoffInitial;
        this.reconnectBackoffMax = b.reconnectBackoffMax;
        this.keepAliveInterval = b.keepAliveInterval;
        this.deadPeerTimeout = b.deadPeerTimeout;
        this.retryNotOwner = b.retryNotOwner;
        this.kryoClasses = List.copyOf(b.kryoClasses);
        this.eventQueueCapacity = b.eventQueueCapacity;
        this.discoverNodes = b.discoverNodes;
        this.smartRouting = b.smartRouting;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values, to derive a changed copy. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.nodes.addAll(nodes);
        b.connectTimeout = connectTimeout;
        b.requestTimeout = requestTimeout;
        b.secret = secret;
        b.clusterName = clusterName;
        b.clientName = clientName;
        b.transport = transport;
        b.transportSettings.putAll(transportSettings);
        b.retryPolicy = retryPolicy;
        b.reconnectBackoffInitial = reconnectBackoffInitial;
        b.reconnectBackoffMax = reconnectBackoffMax;
        b.keepAliveInterval = keepAliveInterval;
        b.deadPeerTimeout = deadPeerTimeout;
        b.kryoClasses.addAll(kryoClasses);
        b.eventQueueCapacity = eventQueueCapacity;
        b.discoverNodes = discoverNodes;
        b.smartRouting = smartRouting;
        b.retryNotOwner = retryNotOwner;
        return b;
    }

    /**
     * Whether the client also tries the nodes the cluster reports (SERVER_INFO) after
     * {@link #nodes()}; default {@code true}.
     */
    public boolean discoverNodes() {
        return discoverNodes;
    }

    /**
     * Whether a call a node answers {@code NOT_OWNER} (a bucket changing hands; the node did
     * nothing) is sent to it again shortly, within the request timeout; default {@code true}.
     * With {@code false} the call fails at once with {@link NotOwnerException}: for links between
     * cluster members, whose caller routes the call again by its own partition table.
     */
    public boolean retryNotOwner() {
        return retryNotOwner;
    }

    /**
     * Whether the client sends each keyed request straight to the node that serves the key's bucket
     * (its primary in the cluster's partition table), over one connection per node; default
     * {@code false}: every request goes to the one connected node, which forwards it. See
     * {@link Builder#smartRouting(boolean)}.
     */
    public boolean smartRouting() {
        return smartRouting;
    }

    /** The nodes to try, in order (at least one). */
    public List<String> nodes() {
        return nodes;
    }

    /** Bound on one attempt to reach a node: the transport's connect and the HELLO/AUTH handshake together. Default 5 s. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Bound on every request, from the call until its reply, waiting for a connection included. Default 10 s. */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** The shared secret of the nodes ({@code server.auth.secret}); empty for none (the default). */
    public Optional<String> secret() {
        return Optional.ofNullable(secret);
    }

    /** The cluster the client expects; empty (the default) accepts any node. */
    public String clusterName() {
        return clusterName;
    }

    /** The client's name in the nodes' logs. Default {@code shoal-java-client}. */
    public String clientName() {
        return clientName;
    }

    /** The transport's short name. Default {@code tcp}. */
    public String transport() {
        return transport;
    }

    /** Transport settings set with {@link Builder#set}, in the order set; the rest keep their defaults. */
    public Map<String, Object> transportSettings() {
        return transportSettings;
    }

    /** What happens to requests lost with a connection. Default {@link RetryPolicy#FAIL}. */
    public RetryPolicy retryPolicy() {
        return retryPolicy;
    }

    /** Wait before the second round of reconnection attempts; doubled each round. Default 100 ms. */
    public Duration reconnectBackoffInitial() {
        return reconnectBackoffInitial;
    }

    /** Longest wait between rounds of reconnection attempts. Default 5 s. */
    public Duration reconnectBackoffMax() {
        return reconnectBackoffMax;
    }

    /** The client sends PING on a connection that received nothing for this long. Default 5 s. */
    public Duration keepAliveInterval() {
        return keepAliveInterval;
    }

    /** The client drops a connection that received nothing for this long, and fails over. Default 15 s. */
    public Duration deadPeerTimeout() {
        return deadPeerTimeout;
    }

    /** Classes the Kryo codec may encode, in registration order: the nodes' {@code codec.kryo.classes}. */
    public List<Class<?>> kryoClasses() {
        return kryoClasses;
    }

    /** Change events waiting for the client's event thread; past it events are dropped and counted. Default 65536. */
    public int eventQueueCapacity() {
        return eventQueueCapacity;
    }

    @Override
    public String toString() {
        return "ClientConfig{nodes=" + nodes + ", connectTimeout=" + connectTimeout + ", requestTimeout="
                + requestTimeout + ", secret=" + (secret == null ? "none" : "(set)") + ", clusterName=\"" + clusterName
                + "\", clientName=\"" + clientName + "\", transport=" + transport + ", transportSettings="
                + transportSettings + ", retryPolicy=" + retryPolicy + ", reconnectBackoff=" + reconnectBackoffInitial
                + ".." + reconnectBackoffMax + ", keepAliveInterval=" + keepAliveInterval + ", deadPeerTimeout="
                + deadPeerTimeout + ", kryoClasses=" + kryoClasses.stream().map(Class::getName).toList()
                + ", eventQueueCapacity=" + eventQueueCapacity + ", discoverNodes=" + discoverNodes
                + ", smartRouting=" + smartRouting + '}';
    }

    /**
     * Builds a {@link ClientConfig}. Each setter checks its value at once and throws
     * {@link ConfigException} naming the setting and the value; {@link #build()} checks the rest.
     * Not thread-safe.
     */
    public static final class Builder {
        private final List<String> nodes = new ArrayList<>();
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(10);
        private String secret;
        private String clusterName = "";
        private String clientName = "shoal-java-client";
        private String transport = "tcp";
        private final Map<String, Object> transportSettings = new LinkedHashMap<>();
        private RetryPolicy retryPolicy = RetryPolicy.FAIL;
        private Duration reconnectBackoffInitial = Duration.ofMillis(100);
        private Duration reconnectBackoffMax = Duration.ofSeconds(5);
        private Duration keepAliveInterval = Duration.ofSeconds(5);
        private Duration deadPeerTimeout = Duration.ofSeconds(15);
        private final List<Class<?>> kryoClasses = new ArrayList<>();
        private int eventQueueCapacity = 65_536;
        private boolean discoverNodes = true;
        private boolean retryNotOwner = true;
        private boolean smartRouting;

        private Builder() {
        }

        /**
         * Smart routing; default {@code false}. When {@code true} the client learns the cluster's
         * partition table (TABLE_FETCH, docs/protocol.md section 11) when it connects and whenever
         * a node's SERVER_INFO announces a newer table, and sends each keyed request (GET,
         * GET_ENTRY, CONTAINS, PUT, PUT_IF_ABSENT, REPLACE, REMOVE) straight to the primary of the
         * key's bucket ({@code KeyHash.bucketOf(KeyHash.hash(keyBytes), bucketCount)}), saving the
         * hop through a node that would forward it.
         *
         * <ul>
         *   <li><b>Connections.</b> One per node: the connection to a node is opened the first time
         *       a request is routed to it, in the background, and opened again after it is lost,
         *       backing off as the connected node's reconnection does
         *       ({@link #reconnectBackoff}). The connected node of {@link #nodes} (the "default
         *       connection") is one of them.</li>
         *   <li><b>Fallback.</b> A request whose primary has no READY connection (down, still
         *       connecting), whose bucket is lost or unknown to the client's table, and every
         *       request that names no key (SIZE, CLEAR, SCAN, HASH_CHECK, STATS, PING, SUBSCRIBE,
         *       ...) goes to the default connection, as without smart routing; that node forwards
         *       keyed requests.</li>
         *   <li><b>A stale table</b> costs speed, never correctness: a node that receives a request
         *       for a bucket it no longer serves forwards it to the bucket's primary (or answers
         *       {@code NOT_OWNER} during a hand-over, and the client asks again within the request
         *       timeout).</li>
         *   <li><b>Order.</b> Requests for different keys travel on different connections, so
         *       pipelined ({@code *Async}) requests are no longer answered in one connection's
         *       order; while the table changes, even two pipelined writes of one key may take
         *       different paths. Wait for a write's future before a write that must follow it.</li>
         * </ul>
         *
         * Timeouts, {@link #retryPolicy}, failover of the default connection and {@code close()}
         * are as without smart routing. Smart routing needs {@link #discoverNodes} (the node
         * addresses come from SERVER_INFO): {@link #build()} refuses it with
         * {@code discoverNodes(false)}.
         */
        public Builder smartRouting(boolean smart) {
            this.smartRouting = smart;
            return this;
        }

        /**
         * Whether to try the nodes the cluster reports (SERVER_INFO) after {@link #nodes}; default
         * {@code true}. {@code false} keeps the client on the listed nodes only: for tools that
         * must talk to one particular node (its stats, its data directory's owner), and for nodes
         * talking to each other.
         */
        /** See {@link ClientConfig#retryNotOwner()}; default {@code true}. */
        public Builder retryNotOwner(boolean retry) {
            this.retryNotOwner = retry;
            return this;
        }

        public Builder discoverNodes(boolean discover) {
            this.discoverNodes = discover;
            return this;
        }

        /**
         * The nodes to try, in order, replacing any set before: addresses of the transport
         * ({@code host:port} or {@code [IPv6-address]:port} for TCP). Nodes the cluster reports
         * (SERVER_INFO) are tried after these.
         */
        public Builder nodes(String... addresses) {
            return nodes(List.of(Objects.requireNonNull(addresses, "addresses")));
        }

        /** As {@link #nodes(String...)}. */
        public Builder nodes(List<String> addresses) {
            Objects.requireNonNull(addresses, "addresses");
            if (addresses.isEmpty()) {
                throw new ConfigException("nodes", "the list is empty; give at least one node address");
            }
            List<String> checked = new ArrayList<>();
            for (String address : addresses) {
                if (address == null || address.isBlank() || !address.strip().equals(address)
                        || address.chars().anyMatch(Character::isWhitespace)) {
                    throw new ConfigException("nodes", (address == null ? "null" : "\"" + address + "\"")
                            + " is not a node address; expected host:port");
                }
                if (checked.contains(address)) {
                    throw new ConfigException("nodes", "\"" + address + "\" is listed twice in " + addresses);
                }
                checked.add(address);
            }
            nodes.clear();
            nodes.addAll(checked);
            return this;
        }

        /** See {@link ClientConfig#connectTimeout()}: positive, at most a day. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive("connectTimeout", timeout);
            return this;
        }

        /** See {@link ClientConfig#requestTimeout()}: positive, at most a day. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive("requestTimeout", timeout);
            return this;
        }

        /** The nodes' shared secret ({@code server.auth.secret}), not empty. It never crosses the wire. */
        public Builder secret(String secret) {
            Objects.requireNonNull(secret, "secret");
            if (secret.isEmpty()) {
                throw new ConfigException("secret", "is empty; leave it unset for nodes without authentication");
            }
            this.secret = secret;
            return this;
        }

        /** See {@link ClientConfig#clusterName()}: at most 65535 UTF-8 bytes. */
        public Builder clusterName(String clusterName) {
            this.clusterName = wireString("clusterName", clusterName);
            return this;
        }

        /** See {@link ClientConfig#clientName()}: at most 65535 UTF-8 bytes. */
        public Builder clientName(String clientName) {
            this.clientName = wireString("clientName", clientName);
            return this;
        }

        /** The transport's short name ({@code tcp} by default), found with {@code ServiceLoader<TransportProvider>}. */
        public Builder transport(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new ConfigException("transport", "the name is blank; known names are listed by the error of build()");
            }
            this.transport = name;
            return this;
        }

        /**
         * Sets a transport setting by its full key, as in a node's configuration (for example
         * {@code transport-tcp.tls.enabled}); unset keys keep the defaults of the transport's
         * {@code reference.conf}. The value may be a {@code Number}, a {@code Boolean}, a
         * {@code String} (sizes and durations such as {@code "64m"} keep their meaning) or a
         * {@code List}. {@link #build()} rejects a key the transport does not define.
         */
        public Builder set(String key, Object value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            if (key.isBlank()) {
                throw new ConfigException("(key)", "transport setting key must not be blank");
            }
            if (!(value instanceof Number || value instanceof Boolean || value instanceof String || value instanceof List)) {
                throw new ConfigException(key, value + " (a " + value.getClass().getName()
                        + ") is not allowed; use a Number, Boolean, String or List");
            }
            transportSettings.put(key, value instanceof List<?> list ? List.copyOf(list) : value);
            return this;
        }

        /** See {@link RetryPolicy}. */
        public Builder retryPolicy(RetryPolicy policy) {
            this.retryPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Backoff between rounds of reconnection attempts: the first round starts at once, the
         * second after {@code initial}, each later one after twice the wait before, up to
         * {@code max}. Both positive, {@code initial <= max}, at most a day.
         */
        public Builder reconnectBackoff(Duration initial, Duration max) {
            Duration first = positive("reconnectBackoffInitial", initial);
            Duration last = positive("reconnectBackoffMax", max);
            if (first.compareTo(last) > 0) {
                throw new ConfigException("reconnectBackoffInitial", first + " is larger than reconnectBackoffMax "
                        + last + "; allowed: at most the maximum");
            }
            this.reconnectBackoffInitial = first;
            this.reconnectBackoffMax = last;
            return this;
        }

        /**
         * Keep-alive (protocol section 3): PING after {@code interval} without a frame, drop the
         * connection after {@code deadPeerTimeout} without one. Both positive, at most a day, and
         * {@code interval < deadPeerTimeout}.
         */
        public Builder keepAlive(Duration interval, Duration deadPeerTimeout) {
            Duration ping = positive("keepAliveInterval", interval);
            Duration dead = positive("deadPeerTimeout", deadPeerTimeout);
            if (ping.compareTo(dead) >= 0) {
                throw new ConfigException("keepAliveInterval", ping + " is not shorter than deadPeerTimeout " + dead
                        + "; allowed: shorter, so that a PING can be answered in time");
            }
            this.keepAliveInterval = ping;
            this.deadPeerTimeout = dead;
            return this;
        }

        /** Classes for the Kryo codec, in registration order, replacing any set before: the nodes' {@code codec.kryo.classes}. */
        public Builder kryoClasses(Class<?>... classes) {
            Objects.requireNonNull(classes, "classes");
            List<Class<?>> checked = new ArrayList<>();
            for (Class<?> type : classes) {
                if (type == null) {
                    throw new ConfigException("kryoClasses", "holds null: " + java.util.Arrays.toString(classes));
                }
                if (checked.contains(type)) {
                    throw new ConfigException("kryoClasses", type.getName() + " is listed twice");
                }
                checked.add(type);
            }
            kryoClasses.clear();
            kryoClasses.addAll(checked);
            return this;
        }

        /**
         * As {@link #kryoClasses(Class...)}, by class name exactly as in a node's
         * {@code codec.kryo.classes}; each is loaded now, with this class's class loader.
         */
        public Builder kryoClassNames(List<String> classNames) {
            Objects.requireNonNull(classNames, "classNames");
            List<Class<?>> loaded = new ArrayList<>();
            for (String name : classNames) {
                if (name == null) {
                    throw new ConfigException("kryoClasses", "holds null: " + classNames);
                }
                try {
                    loaded.add(Class.forName(name.trim(), false, ClientConfig.class.getClassLoader()));
                } catch (ClassNotFoundException | LinkageError e) {
                    throw new ConfigException("kryoClasses", "class \"" + name + "\" cannot be loaded: " + e);
                }
            }
            return kryoClasses(loaded.toArray(new Class<?>[0]));
        }

        /** See {@link ClientConfig#eventQueueCapacity()}: 1 to 16777216. */
        public Builder eventQueueCapacity(int capacity) {
            if (capacity < 1 || capacity > 1 << 24) {
                throw new ConfigException("eventQueueCapacity", capacity + " is out of range; allowed: 1 to 16777216");
            }
            this.eventQueueCapacity = capacity;
            return this;
        }

        /**
         * Checks that the nodes are set, the transport exists (on the class path, through
         * {@code ServiceLoader}) and defines every key given to {@link #set}, that TCP
         * addresses are {@code host:port}, and that {@link #smartRouting} goes with
         * {@link #discoverNodes}.
         *
         * @throws ConfigException naming the setting at fault
         */
        public ClientConfig build() {
            if (nodes.isEmpty()) {
                throw new ConfigException("nodes", "is not set; give at least one node address");
            }
            if (smartRouting && !discoverNodes) {
                throw new ConfigException("smartRouting", "true needs discoverNodes(true): the client routes to the"
                        + " nodes the cluster reports; allowed: smartRouting(false) with discoverNodes(false)");
            }
            if ("tcp".equals(transport)) {
                for (String node : nodes) {
                    checkHostPort(node);
                }
            }
            Transports.settings(Transports.provider(transport), transportSettings);
            return new ClientConfig(this);
        }

        private static void checkHostPort(String address) {
            int colon = address.lastIndexOf(':');
            String host = colon > 0 ? address.substring(0, colon) : "";
            boolean hostOk = !host.isEmpty() && (host.indexOf(':') < 0 || host.startsWith("[") && host.endsWith("]"));
            int port = -1;
            if (colon > 0 && colon < address.length() - 1) {
                try {
                    port = Integer.parseInt(address.substring(colon + 1));
                } catch (NumberFormatException e) {
                    port = -1;
                }
            }
            if (!hostOk || port < 1 || port > 65_535) {
                throw new ConfigException("nodes", "\"" + address + "\" is not a TCP address; expected host:port or"
                        + " [IPv6-address]:port with a port from 1 to 65535");
            }
        }

        private static Duration positive(String name, Duration value) {
            Objects.requireNonNull(value, name);
            if (value.isNegative() || value.isZero() || value.compareTo(MAX_DURATION) > 0) {
                throw new ConfigException(name, value + " is out of range; allowed: a positive duration of at most "
                        + MAX_DURATION);
            }
            return value;
        }

        private static String wireString(String name, String value) {
            Objects.requireNonNull(value, name);
            try {
                new io.shoal.protocol.Request.Goodbye(value); // a protocol str: at most 65535 bytes, no lone surrogate
            } catch (IllegalArgumentException e) {
                throw new ConfigException(name, e.getMessage());
            }
            return value;
        }
    }
}
