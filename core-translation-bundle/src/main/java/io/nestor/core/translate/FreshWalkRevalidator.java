package io.nestor.core.translate;

import io.nestor.api.translation.Access;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.core.cache.IotlbEntry;
import io.nestor.core.cache.IotlbKind;
import io.nestor.core.cache.IotlbRevalidator;
import io.nestor.core.walk.TranslationWalker;
import io.nestor.core.walk.WalkResult;

/**
 * Strict mode's second opinion: re-translates an IOTLB hit by a walk from the roots, with no cache
 * consulted or filled, and packs it exactly as {@link TranslationEngine} packs a fill, so that an
 * unchanged mapping compares equal to its cached entry.
 *
 * <p>The walk is a non-write request with no permission demand beyond the privilege level (user,
 * then privileged if that is refused), so it neither fails on a write-only or supervisor page nor
 * marks anything dirty; with hardware accessed flags it sets only accessed flags cleared since the
 * fill, as a hardware re-walk would. The walk context is the configuration the engine passed to
 * the lookup; without one the hit cannot be re-walked and is reported with a fresh
 * {@link IotlbEntry#MISS}.
 *
 * <p>Strict mode is a diagnostic, so this allocates a {@link WalkResult} per call.
 */
final class FreshWalkRevalidator implements IotlbRevalidator {
    private final TranslationWalker walker;

    FreshWalkRevalidator(TranslationWalker walker) {
        this.walker = walker;
    }

    @Override
    public long retranslate(int unit, int domainTag, int addressSpaceTag, IotlbKind kind, long iova,
            Object walkContext) {
        if (!(walkContext instanceof TranslationConfig)) {
            return IotlbEntry.MISS;
        }
        TranslationConfig config = (TranslationConfig) walkContext;
        WalkResult r = new WalkResult();
        if (!walker.translate(config, iova, 0, r)) {
            if (r.faultReason() != FaultReason.PERMISSION || !walker.translate(config, iova, Access.PRIV, r)) {
                return IotlbEntry.MISS;
            }
        }
        return TranslationEngine.iotlbEntry(r);
    }

}
