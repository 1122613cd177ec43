package io.shoal;

/**
 * A key or value could not be encoded or decoded, for example an instance of a class that is not
 * registered with the Kryo codec, or stored bytes that the map's codec cannot read.
 */
public class CodecException extends ShoalException {
    private static final long serialVersionUID = 1L;

    public CodecException(String message) {
        super(message);
    }

    public CodecException(String message, Throwable cause) {
        super(message, cause);
    }
}
