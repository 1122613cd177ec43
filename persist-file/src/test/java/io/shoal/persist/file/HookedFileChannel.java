package io.shoal.persist.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/** A FileChannel that delegates, with hooks for tests to fail writes or hold fsyncs. */
class HookedFileChannel extends FileChannel {
    interface Hooks {
        /** Called before a write; may throw, or return fewer bytes to write before throwing. */
        default int beforeWrite(ByteBuffer src) throws IOException {
            return src.remaining();
        }

        default void beforeForce() throws IOException {
        }
    }

    private final FileChannel delegate;
    private final Hooks hooks;

    HookedFileChannel(FileChannel delegate, Hooks hooks) {
        this.delegate = delegate;
        this.hooks = hooks;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int allowed = hooks.beforeWrite(src);
        if (allowed < src.remaining()) {
            ByteBuffer part = src.duplicate();
            part.limit(part.position() + allowed);
            int written = delegate.write(part);
            src.position(src.position() + written);
            throw new IOException("No space left on device (injected after " + written + " bytes)");
        }
        return delegate.write(src);
    }

    @Override
    public void force(boolean metaData) throws IOException {
        hooks.beforeForce();
        delegate.force(metaData);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return delegate.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return delegate.read(dsts, offset, length);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        throw new UnsupportedOperationException("not used by the writer");
    }

    @Override
    public long position() throws IOException {
        return delegate.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        delegate.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return delegate.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        delegate.truncate(size);
        return this;
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return delegate.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        return delegate.transferFrom(src, position, count);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return delegate.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        throw new UnsupportedOperationException("not used by the writer");
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        return delegate.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return delegate.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return delegate.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        delegate.close();
    }
}
