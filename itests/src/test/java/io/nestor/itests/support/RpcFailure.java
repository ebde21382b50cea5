package io.nestor.itests.support;

import java.util.Map;

/**
 * A gRPC call of a {@link VmmSession} that ended with an error status: the status code name (for
 * example {@code NOT_FOUND}), the errno name from the {@code google.rpc.ErrorInfo} detail (for
 * example {@code ENOENT}; empty without the detail) and the detail's metadata.
 *
 * <p>Both sides of the class-loader boundary have their own copy of this class; {@link Outside}
 * turns the outside copy into the probe's, so only its three values cross.
 */
public final class RpcFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String code;
    private final String reason;
    private final Map<String, String> metadata;
    private final String description;

    public RpcFailure(String code, String reason, Map<String, String> metadata, String description) {
        super(code + (reason.isEmpty() ? "" : " " + reason) + ": " + description);
        this.code = code;
        this.reason = reason;
        this.metadata = Map.copyOf(metadata);
        this.description = description;
    }

    /** The gRPC status code name. */
    public String code() {
        return code;
    }

    /** The errno name of the ErrorInfo detail, or "". */
    public String reason() {
        return reason;
    }

    /** The status description. */
    public String description() {
        return description;
    }

    public Map<String, String> metadata() {
        return metadata;
    }
}
