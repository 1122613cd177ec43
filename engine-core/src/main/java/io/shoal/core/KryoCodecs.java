package io.shoal.core;

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
 * The default codec for classes without a built-in one: Kryo with registration required, so that
 * the bytes carry small class ids rather than class names, and every node and client agrees on
 * them. Classes come from {@code codec.kryo.classes}; the n-th listed class gets id
 * {@code 100 + n}. Kryo is not thread-safe: each thread has its own instance and buffers.
 */
final class KryoCodecs {
    static final int FIRST_ID = 100;

    private final List<Class<?>> classes;
    private final Set<Class<?>> registered;
    private final ThreadLocal<PerThread> perThread;

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

    KryoCodecs(List<String> classNames, ClassLoader loader) {
        List<Class<?>> loaded = new ArrayList<>();
        for (String name : classNames) {
            try {
                loaded.add(Class.forName(name.trim(), false, loader));
            } catch (ClassNotFoundException | LinkageError e) {
                throw new ConfigException("codec.kryo.classes", "class \"" + name + "\" cannot be loaded: " + e);
            }
        }
        this.classes = List.copyOf(loaded);
        this.registered = Set.copyOf(loaded);
        this.perThread = ThreadLocal.withInitial(() -> new PerThread(classes));
    }

    boolean isRegistered(Class<?> type) {
        return registered.contains(type);
    }

    <T> Codec<T> codecFor(Class<T> type) {
        if (!registered.contains(type)) {
            throw new CodecException("no codec for " + type.getName() + ": add it to codec.kryo.classes (with the classes"
                    + " of its fields) or pass a Codec to ShoalNode.map");
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
                            + " (every class reachable from the value must be listed in codec.kryo.classes)", e);
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
