package io.nestor.core.translate;

/** Where a {@link TranslationResult} came from, for statistics and tests. */
public enum TranslationSource {
    /** Answered by the IOTLB: no configuration decode, no walk. */
    IOTLB,
    /** Answered by a page-table walk (possibly started from walk-cache entries). */
    WALK,
    /** A configuration fault: decoding failed or the configuration aborts requests. */
    CONFIG
}
