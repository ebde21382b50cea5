package io.nestor.core.topology;

/** A topology file that cannot be used, with the source name and line of the first problem. */
public class TopologyFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public TopologyFormatException(String source, int line, String message) {
        super(line > 0 ? source + ":" + line + ": " + message : source + ": " + message);
    }
}
