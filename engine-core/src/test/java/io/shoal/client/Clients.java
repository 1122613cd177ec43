package io.shoal.client;

import java.time.Duration;
import java.util.Arrays;

/** Test configurations: fast reconnection; timeouts that a busy build machine still meets. */
final class Clients {
    private Clients() {
    }

    static ClientConfig.Builder config(FakeNode... nodes) {
        return ClientConfig.builder()
                .nodes(Arrays.stream(nodes).map(FakeNode::address).toList())
                .connectTimeout(Duration.ofSeconds(10))
                .requestTimeout(Duration.ofSeconds(5))
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200));
    }

    static ShoalClient connect(FakeNode... nodes) {
        return ShoalClient.connect(config(nodes).build());
    }
}
