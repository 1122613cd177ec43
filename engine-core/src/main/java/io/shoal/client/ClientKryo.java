package io.shoal.client;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.shoal.CodecException;
import io.shoal.spi.ByteSink;
import io.shoal.spi.Codec;

import java.util.List;
import java.util.Set;

/**
 * The client's Kryo codec: byte for byte the node's default codec for classes without a built-in
 * one (engine-core's {@code KryoCodecs}): registration required, the n-th class of
 * {@link ClientConfig#kryoClasses()} gets id {@code 100 + n}, one Kryo instance and buffers per
 * thread. {@code ClientKryoTest} checks that a node and a client produce the same bytes.
 */
final class ClientKryo {
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

    ClientKryo(List<Class<?>> classes) {
        this.classes = List.copyOf(classes);
        this.registered = Set.copyOf(classes);
        this.perThread = ThreadLocal.withInitial(() -> new PerThread(this.classes));
    }

    <T> Codec<T> codecFor(Class<T> type) {
        if (!registered.contains(type)) {
            throw new CodecException("no codec for " + type.getName() + ": add it to ClientConfig.kryoClasses (with the"
                    + " classes of its fields, in the order of the nodes' codec.kryo.classes) or pass a Codec to"
                    + " ShoalClient.map");
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
                            + " (every class reachable from the value must be listed in ClientConfig.kryoClasses)", e);
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
