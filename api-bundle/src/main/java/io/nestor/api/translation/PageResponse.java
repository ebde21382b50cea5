package io.nestor.api.translation;

import java.util.Objects;

/**
 * The answer to a {@link PageRequest}: a PRI page group response or, for a stall, a resume with
 * retry (success) or abort (any other code).
 *
 * @param pasid the PASID of the group, or {@code -1}
 * @param groupIndex the request's group index (PRGI) or stall tag (STAG)
 * @param stall whether it answers a stalled transaction
 * @param code the response code
 */
public record PageResponse(int pasid, int groupIndex, boolean stall, PageResponseCode code) {
    public PageResponse {
        Objects.requireNonNull(code, "code");
    }
}
