package io.shoal.client;

import io.shoal.ChangeEvent;
import io.shoal.ChangeListener;
import io.shoal.ShoalMap;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real node in its own JVM killed with SIGKILL and started again on its port. */
@Timeout(180)
class KillRestartTest {

    @Test
    void theClientReconnectsToTheRestartedNodeAndResubscribes() throws Exception {
        NodeProcess first = NodeProcess.start(0);
        int port = first.port();
        ShoalClient client = ShoalClient.connect(ClientConfig.builder().nodes(first.address())
                .requestTimeout(Duration.ofSeconds(2)).reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
                .build());
        NodeProcess second = null;
        try {
            ShoalMap<String, String> map = client.map("m", String.class, String.class);
            List<String> seen = new CopyOnWriteArrayList<>();
            AtomicInteger missed = new AtomicInteger();
            map.addListener(new ChangeListener<>() {
                @Override
                public void onChange(ChangeEvent<String, String> event) {
                    seen.add(event.value());
                }

                @Override
                public void onEventsMissed() {
                    missed.incrementAndGet();
                    seen.add("(missed)");
                }
            });
            map.put("k", "before");
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.equals(List.of("before")));

            first.kill();
            await().atMost(Duration.ofSeconds(10)).until(() -> client.connectedNode().isEmpty());
            CompletableFuture<Long> meanwhile = map.putAsync("k", "while down");
            ExecutionException e = assertThrows(ExecutionException.class, () -> meanwhile.get(10, TimeUnit.SECONDS));
            assertInstanceOf(RequestTimeoutException.class, e.getCause(), "no node: it waits, then times out");

            second = NodeProcess.start(port);
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> client.connectedNode().isPresent());
            } catch (ConditionTimeoutException timeout) {
                throw new AssertionError("no reconnection to " + second.address() + ": " + client
                        + "; the node's stderr: " + second.stderr(), timeout);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> missed.get() == 1);
            assertNull(map.get("k"), "a node without persistence starts empty");
            map.put("k", "after");
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.equals(List.of("before", "(missed)", "after")));
            assertEquals(1, missed.get());
            assertTrue(client.ping().toMillis() < 2_000);
        } finally {
            client.close();
            first.close();
            if (second != null) {
                second.close();
            }
        }
    }
}
