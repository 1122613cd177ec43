package io.shoal.samples.cli;

/** A command with {@code --verbose}: its errors are printed with their stack trace. */
interface VerboseCommand {
    boolean verbose();
}
