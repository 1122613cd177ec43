package io.shoal.persist.file;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * Opens the segment files the writer appends to. A seam so tests can inject failing channels
 * (disk full, I/O errors) and observe fsyncs; production uses {@link #DEFAULT}.
 */
@FunctionalInterface
interface FileLogChannels {
    FileLogChannels DEFAULT = FileChannel::open;

    FileChannel open(Path path, OpenOption... options) throws IOException;
}
