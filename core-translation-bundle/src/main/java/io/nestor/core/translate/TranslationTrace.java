package io.nestor.core.translate;

import io.nestor.api.translation.Access;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.Translation;
import io.nestor.api.translation.TranslationConfig;
import java.util.List;

/**
 * A debug translation: the configuration decoded fresh from memory, every descriptor read on the
 * walk of both stages, and the outcome — beside what the IOTLB holds for the same request, so that a
 * stale cached translation shows.
 *
 * @param config the configuration, or {@code null} when decoding it faulted
 * @param steps the descriptors read, in order
 * @param translation the walk's translation, or {@code null} when it faulted
 * @param fault the fault, or {@code null}
 * @param cached what the IOTLB answers for the request now, or {@code null} on a miss
 */
public record TranslationTrace(int access, long iova, TranslationConfig config, List<WalkStep> steps,
        Translation translation, Fault fault, Translation cached) {

    public TranslationTrace {
        steps = List.copyOf(steps);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(String.format("%s 0x%x", Access.toString(access), iova));
        b.append("\n  config: ").append(config == null ? "-" : config.mode() + " domain tag " + config.domainTag()
                + " address-space tag " + config.addressSpaceTag());
        for (WalkStep s : steps) {
            b.append("\n  ").append(s);
        }
        b.append("\n  result: ").append(fault != null ? fault : translation);
        b.append("\n  iotlb:  ").append(cached == null ? "miss" : cached);
        // Permissions may legitimately differ (a clean page is cached without write until it is dirty).
        if (cached != null && (translation == null || cached.outputAddress() != translation.outputAddress()
                || cached.pageShift() != translation.pageShift())) {
            b.append("  <- differs from memory: a missing invalidation");
        }
        return b.toString();
    }
}
