package io.shoal.internal;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.shoal.CodecException;
import io.shoal.ConfigException;
import io.shoal.spi.ByteSink;
import io.shoal.spi.Codec;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Shoal-internal, shared by the node (io.shoal.core) and the Java client (io.shoal.client); not an
 * API: may change in any release.
 *
 * <p>The default codec for classes without a built-in one, on the node and on the client alike, so
 * that both write the same bytes: Kryo with registration required, so that the bytes carry small
 * class ids rather than class names, and every node and client agrees on them. The n-th listed
 * class gets id {@code 100 + n}: on a node the list is {@code codec.kryo.classes}
 * ({@link #forNode}), on a client {@code ClientConfig.kryoClasses} ({@link #forClient}), which must
 * list the same classes in the same order. Kryo is not thread-safe: each thread has its own
 * instance and buffers. {@code ClientKryoTest} checks that a node and a client produce the same
 * bytes.
 */
public final class KryoCodecs {
    static final int FIRST_ID = 100;

    private final List<Class<?>> classes;
    private final Set<Class<?>> registered;
    private final ThreadLocal<PerThread> perThread;
    private final String classList;     // where the user lists the classes, for messages
    private final String noCodecAdvice; // what to do about an unregistered class

    private static final class PerThread {
        final Kryo kryo;
        final Output output = new Output(256, -1);
        final Input input = new Input();

        PerThread(List<Class<?>> classes) {
            kryo = new Kryo();
            kryo.setRegistrationRequired(true);
            int id = FIRST_ID;
            for (Class<?> type : classes) {
                kryo.register(type, id++);
            }
        }
    }

    private KryoCodecs(List<Class<?>> classes, String classList, String noCodecAdvice) {
        this.classes = List.copyOf(classes);
        this.registered = Set.copyOf(classes);
        this.perThread = ThreadLocal.withInitial(() -> new PerThread(this.classes));
        this.classList = classList;
        this.noCodecAdvice = noCodecAdvice;
    }

    /**
     * A node's codecs, for the classes of {@code codec.kryo.classes} loaded with {@code loader};
     * a class that cannot be loaded is a ConfigException of that key.
     */
    public static KryoCodecs forNode(List<String> classNames, ClassLoader loader) {
        List<Class<?>> loaded = new ArrayList<>();
        for (String name : classNames) {
            try {
                loaded.add(Class.forName(name.trim(), false, loader));
            } catch (ClassNotFoundException | LinkageError e) {
                throw new ConfigException("codec.kryo.classes", "class \"" + name + "\" cannot be loaded: " + e);
            }
        }
        return new KryoCodecs(loaded, "codec.kryo.classes",
                "add it to codec.kryo.classes (with the classes of its fields) or pass a Codec to ShoalNode.map");
    }

    /** A client's codecs, for the classes of {@code ClientConfig.kryoClasses}. */
    public static KryoCodecs forClient(List<Class<?>> classes) {
        return new KryoCodecs(classes, "ClientConfig.kryoClasses", "add it to ClientConfig.kryoClasses (with the"
                + " classes of its fields, in the order of the nodes' codec.kryo.classes) or pass a Codec to"
                + " ShoalClient.map");
    }

    /** The codec of a listed class; a CodecException for any other. */
    public <T> Codec<T> codecFor(Class<T> type) {
        if (!registered.contains(type)) {
            throw new CodecException("no codec for " + type.getName() + ": " + noCodecAdvice);
        }
        return new Codec<>() {
            @Override
            public void encode(T value, ByteSink out) {
                PerThread t = perThread.get();
                t.output.reset();
                try {
                    t.kryo.writeObject(t.output, value);
                } catch (KryoException | IllegalArgumentException e) {
                    throw new CodecException("Kryo cannot encode " + value.getClass().getName() + ": " + e.getMessage()
                            + " (every class reachable from the value must be listed in " + classList + ")", e);
                }
                out.write(t.output.getBuffer(), 0, t.output.position());
            }

            @Override
            public T decode(byte[] bytes, int offset, int length) {
                PerThread t = perThread.get();
                t.input.setBuffer(bytes, offset, length);
                try {
                    return t.kryo.readObject(t.input, type);
                } catch (KryoException | IllegalArgumentException e) {
                    throw new CodecException("Kryo cannot decode " + type.getName() + " from " + length + " bytes: "
                            + e.getMessage(), e);
                } finally {
                    t.input.setBuffer(new byte[0]);
                }
            }
        };
    }
}
