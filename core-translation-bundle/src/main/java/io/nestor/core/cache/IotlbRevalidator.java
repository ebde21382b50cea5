package io.nestor.core.cache;

/**
 * Re-translates an IOTLB hit from the tables in memory, for strict mode (see
 * {@link Iotlb#setStrict(boolean)}). Implemented with the walker; called on every hit while strict
 * mode is on, so it may be slow but must not modify the caches.
 */
@FunctionalInterface
public interface IotlbRevalidator {

    /**
     * Walks afresh what the hit answered.
     *
     * @param walkContext what the caller passed to {@link Iotlb#lookup(long, long, Object)}
     *     (typically its decoded configuration), or {@code null}
     * @return the fresh entry packed as {@link IotlbEntry}, or {@link IotlbEntry#MISS} if the walk
     *     now faults
     */
    long retranslate(int unit, int domainTag, int addressSpaceTag, IotlbKind kind, long iova, Object walkContext);
}
