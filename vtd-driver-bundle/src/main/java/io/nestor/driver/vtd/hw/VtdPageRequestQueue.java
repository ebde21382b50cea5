package io.nestor.driver.vtd.hw;

/**
 * The page request queue (VT-d spec 7.5; Nestor {@code hw-formats.md} 1.9): a ring of 32-byte page
 * request descriptors at PQA, written by the hardware at PQT and consumed by software from PQH,
 * with PRS reporting pending (PPR) and overflow (PRO).
 */
public final class VtdPageRequestQueue {

    /** PRS: pending page request. */
    public static final int PRS_PPR = 1;
    /** PRS: page request overflow. */
    public static final int PRS_PRO = 1 << 1;

    private VtdPageRequestQueue() {
    }
}
