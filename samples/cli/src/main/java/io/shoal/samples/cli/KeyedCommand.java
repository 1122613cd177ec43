package io.shoal.samples.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * A remote command that takes keys or values: bytes on the wire, given and printed as UTF-8 text,
 * or as hex with {@code --hex}.
 */
abstract class KeyedCommand extends RemoteCommand {
    private static final HexFormat HEX = HexFormat.of();

    @Option(names = "--hex",
            description = "Keys and values are given and printed in hex (e.g. 6b6579 for \"key\"). "
                    + "Default: UTF-8 text.")
    boolean hex;

    /** The bytes of a key or value argument. */
    byte[] bytes(String argument, String what) {
        if (!hex) {
            return argument.getBytes(StandardCharsets.UTF_8);
        }
        try {
            return HEX.parseHex(argument);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "Invalid " + what + " '" + argument
                    + "': with --hex, give an even number of hex digits (0-9, a-f)");
        }
    }

    /** Bytes as printed on a line of their own: the text, or hex. Malformed UTF-8 shows as U+FFFD. */
    String plain(byte[] bytes) {
        return hex ? HEX.formatHex(bytes) : new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * Bytes as a field of a line: hex, or the text in double quotes with {@code "}, {@code \} and
     * control characters escaped, so that a line stays one line whatever the bytes.
     */
    String field(byte[] bytes) {
        if (hex) {
            return HEX.formatHex(bytes);
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                case '\t' -> quoted.append("\\t");
                default -> {
                    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029') {
                        quoted.append(String.format("\\u%04x", (int) c));
                    } else {
                        quoted.append(c);
                    }
                }
            }
        }
        return quoted.append('"').toString();
    }
}
