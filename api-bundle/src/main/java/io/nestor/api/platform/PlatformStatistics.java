package io.nestor.api.platform;

import java.util.List;
import java.util.Map;

/**
 * The platform's counters: the translation caches, the faults each unit reported, and what strict
 * mode found.
 *
 * @param caches the IOTLB, walk-cache and configuration-cache counters
 * @param faultsByUnit faults each unit reported since the platform started, by unit name
 * @param staleTranslations stale IOTLB hits strict mode found (missing invalidations)
 * @param strict whether strict mode is on
 */
public record PlatformStatistics(List<CacheCounters> caches, Map<String, Long> faultsByUnit, long staleTranslations,
        boolean strict) {
    public PlatformStatistics {
        caches = List.copyOf(caches);
        faultsByUnit = Map.copyOf(faultsByUnit);
    }
}
