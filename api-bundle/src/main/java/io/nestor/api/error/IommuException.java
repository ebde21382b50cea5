package io.nestor.api.error;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A failure with kernel semantics: an {@link Errno} plus a message naming the offending value.
 *
 * <p>Some ioctls write values back even when they fail (for example {@code entry_num} of
 * {@code IOMMU_HWPT_INVALIDATE}, the number of entries handled before the bad one); those travel
 * in {@link #outValues()} so that a remote client receives them too.
 *
 * <p>Unchecked on purpose: errors cross driver, core and gateway boundaries and are translated once,
 * at the edge, into a gRPC status.
 */
public class IommuException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Errno errno;
    private final Map<String, Long> outValues;

    public IommuException(Errno errno, String message) {
        this(errno, message, Map.of(), null);
    }

    public IommuException(Errno errno, String message, Throwable cause) {
        this(errno, message, Map.of(), cause);
    }

    public IommuException(Errno errno, String message, Map<String, Long> outValues, Throwable cause) {
        super(Objects.requireNonNull(errno, "errno") + ": " + message, cause);
        this.errno = errno;
        this.outValues = Collections.unmodifiableMap(new LinkedHashMap<>(outValues));
    }

    public Errno errno() {
        return errno;
    }

    /** Out fields the kernel writes back on failure, by their uAPI field name. Never null. */
    public Map<String, Long> outValues() {
        return outValues;
    }

    /** A copy of this error that also carries {@code name = value} as an out value. */
    public IommuException withOutValue(String name, long value) {
        Map<String, Long> copy = new LinkedHashMap<>(outValues);
        copy.put(name, value);
        IommuException e = new IommuException(errno, rawMessage(), copy, getCause());
        e.setStackTrace(getStackTrace());
        return e;
    }

    /** The message without the errno prefix. */
    public String rawMessage() {
        String m = getMessage();
        String prefix = errno + ": ";
        return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }

    public static IommuException of(Errno errno, String format, Object... args) {
        return new IommuException(errno, String.format(format, args));
    }
}
