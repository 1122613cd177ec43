package io.shoal.core;

import io.shoal.ChangeEvent;
import io.shoal.ChangeListener;
import io.shoal.CodecException;
import io.shoal.KeyHash;
import io.shoal.Shoal;
import io.shoal.ShoalConfig;
import io.shoal.ShoalEntry;
import io.shoal.ShoalMap;
import io.shoal.ShoalNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** User types through the Kryo codec ({@code codec.kryo.classes}, registration required). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KryoCodecTest {

    /** A user type: a String, an int and a list. */
    public static final class Person {
        public String name;
        public int age;
        public List<String> tags;

        public Person() {
        }

        Person(String name, int age, List<String> tags) {
            this.name = name;
            this.age = age;
            this.tags = tags;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Person p && Objects.equals(name, p.name) && age == p.age && Objects.equals(tags, p.tags);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, age, tags);
        }

        @Override
        public String toString() {
            return "Person(" + name + ", " + age + ", " + tags + ")";
        }
    }

    /** The same as a record. */
    public record Badge(String label, int level, List<String> grants) {
    }

    private static ShoalNode start(String... classes) {
        return Shoal.start(ShoalConfig.builder()
                .bucketCount(16)
                .set("memory.maxBytes", "256m")
                .set("codec.kryo.classes", List.of(classes))
                .build());
    }

    private static ShoalNode startWithPerson() {
        return start(Person.class.getName(), ArrayList.class.getName());
    }

    private static Person ada() {
        return new Person("Ada", 36, new ArrayList<>(List.of("math", "engines")));
    }

    @Test
    void registeredClassRoundTrips() {
        try (ShoalNode node = startWithPerson()) {
            ShoalMap<String, Person> people = node.map("people", String.class, Person.class);
            long version = people.put("ada", ada());
            Person read = people.get("ada");
            assertEquals(ada(), read);
            assertEquals(ArrayList.class, read.tags.getClass());
            assertEquals(version, people.getEntry("ada").version());
            Person empty = new Person(null, 0, null);
            people.put("nobody", empty);
            assertEquals(empty, people.get("nobody"));
            Person unicode = new Person("\u00c5sa \u20ac", -1, new ArrayList<>(List.of("", "\u00fc")));
            assertEquals(empty, people.asMap().put("nobody", unicode));
            assertEquals(unicode, people.get("nobody"));
            // as a key type too
            ShoalMap<Person, String> byPerson = node.map("by-person", Person.class, String.class);
            byPerson.put(ada(), "found");
            assertEquals("found", byPerson.get(ada()));
            assertNull(byPerson.get(empty));
        }
    }

    @Test
    void recordRoundTrips() {
        try (ShoalNode node = start(Badge.class.getName(), ArrayList.class.getName())) {
            ShoalMap<String, Badge> badges = node.map("badges", String.class, Badge.class);
            Badge badge = new Badge("admin", 3, new ArrayList<>(List.of("read", "write")));
            badges.put("b", badge);
            assertEquals(badge, badges.get("b"));
        }
    }

    @Test
    void valueBytesAreStableAcrossNodesWithTheSameRegistrationOrder() {
        byte[] first;
        byte[] second;
        long firstHash;
        try (ShoalNode node = startWithPerson()) {
            node.map("people", String.class, Person.class).put("ada", ada());
            first = node.map("people", String.class, byte[].class).get("ada");
            firstHash = node.map("people", String.class, Person.class).getEntry("ada").valueHash();
        }
        try (ShoalNode node = startWithPerson()) {
            node.map("people", String.class, Person.class).put("ada", ada());
            second = node.map("people", String.class, byte[].class).get("ada");
            assertEquals(firstHash, node.map("people", String.class, Person.class).getEntry("ada").valueHash());
            // the bytes written on one node decode on the other
            node.map("copied", String.class, byte[].class).put("ada", first);
            assertEquals(ada(), node.map("copied", String.class, Person.class).get("ada"));
        }
        assertArrayEquals(first, second);
        assertEquals(KeyHash.hash(first), firstHash);
        // Another order gives other class ids, hence other bytes: why every node must list the
        // classes in the same order.
        try (ShoalNode node = start(ArrayList.class.getName(), Person.class.getName())) {
            node.map("people", String.class, Person.class).put("ada", ada());
            byte[] reordered = node.map("people", String.class, byte[].class).get("ada");
            assertFalse(java.util.Arrays.equals(first, reordered), "the class ids did not change with the order");
        }
    }

    @Test
    void unregisteredFieldTypeFailsWithAHelpfulMessageAndLeavesTheMapUnchanged() {
        try (ShoalNode node = startWithPerson()) {
            ShoalMap<String, Person> people = node.map("people", String.class, Person.class);
            List<ChangeEvent<String, Person>> events = new CopyOnWriteArrayList<>();
            people.addListener(new ChangeListener<>() {
                @Override
                public void onChange(ChangeEvent<String, Person> event) {
                    events.add(event);
                }
            });
            long version = people.put("ada", ada());
            Person linked = new Person("Bob", 40, new LinkedList<>(List.of("x")));
            for (Runnable write : List.<Runnable>of(
                    () -> people.put("ada", linked),
                    () -> people.put("bob", linked),
                    () -> people.putIfAbsent("bob", linked),
                    () -> people.replace("ada", version, linked),
                    () -> people.asMap().put("ada", linked))) {
                CodecException e = assertThrows(CodecException.class, write::run);
                assertTrue(e.getMessage().contains("java.util.LinkedList"), e.getMessage());
                assertTrue(e.getMessage().contains(Person.class.getName()), e.getMessage());
                assertTrue(e.getMessage().contains("codec.kryo.classes"), e.getMessage());
            }
            assertTrue(people.putAsync("ada", linked).isCompletedExceptionally());
            ShoalEntry<String, Person> entry = people.getEntry("ada");
            assertEquals(ada(), entry.value());
            assertEquals(version, entry.version());
            assertNull(people.get("bob"));
            assertEquals(1, people.size());
            // The encoder recovers: the thread's Kryo instance still works after the failure.
            people.put("carol", new Person("Carol", 1, new ArrayList<>()));
            assertEquals("Carol", people.get("carol").name);
            await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 2);
            assertEquals(List.of("ada", "carol"), events.stream().map(ChangeEvent::key).toList());
        }
    }

    @Test
    void bytesThatAreNotAPersonFailToDecodeWithCodecException() {
        try (ShoalNode node = startWithPerson()) {
            node.map("people", String.class, byte[].class).put("junk", new byte[] {(byte) 0xFF, (byte) 0xFF, 1});
            ShoalMap<String, Person> people = node.map("people", String.class, Person.class);
            CodecException e = assertThrows(CodecException.class, () -> people.get("junk"));
            assertTrue(e.getMessage().contains(Person.class.getName()), e.getMessage());
        }
    }

    @Test
    void encodingFromManyThreadsAtOnceRoundTrips() throws Exception {
        try (ShoalNode node = startWithPerson()) {
            ShoalMap<String, Person> people = node.map("people", String.class, Person.class);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int id = t;
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < 1_000; i++) {
                            Person p = new Person("p" + id + "-" + i, i, new ArrayList<>(List.of("t" + id, "i" + i)));
                            people.put(p.name, p);
                            assertEquals(p, people.get(p.name));
                        }
                        return null;
                    }));
                }
                for (Future<?> future : futures) {
                    future.get(20, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(4_000, people.size());
        }
    }
}
