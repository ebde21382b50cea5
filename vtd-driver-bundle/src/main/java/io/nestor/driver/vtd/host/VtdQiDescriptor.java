package io.nestor.driver.vtd.host;

import io.nestor.driver.vtd.hw.VtdInvalidationDescriptor;

/**
 * One invalidation-queue descriptor as the host driver writes it (VT-d spec 6.5.2; Nestor
 * {@code hw-formats.md} 1.7), 256 bits in scalable mode; the factories encode the fields exactly as
 * Linux's {@code QI_*} macros in drivers/iommu/intel/iommu.h and the {@code qi_desc_*} helpers of
 * dmar.c do.
 *
 * <p>The device-TLB descriptors carry the PF source-id (meaningful with ECAP.DIT) equal to the
 * device's own, as for a physical function, and an invalidate queue depth of 0 (32 outstanding,
 * Linux's value once the device's depth reaches {@code QI_DEV_IOTLB_MAX_INVS}).
 */
public record VtdQiDescriptor(long q0, long q1, long q2, long q3) {

    // The descriptor types, as the hardware half decodes them.
    public static final int TYPE_CONTEXT_CACHE = VtdInvalidationDescriptor.CONTEXT_CACHE;
    public static final int TYPE_IOTLB = VtdInvalidationDescriptor.IOTLB;
    public static final int TYPE_DEVICE_TLB = VtdInvalidationDescriptor.DEVICE_TLB;
    public static final int TYPE_WAIT = VtdInvalidationDescriptor.WAIT;
    public static final int TYPE_PASID_IOTLB = VtdInvalidationDescriptor.PASID_IOTLB;
    public static final int TYPE_PASID_CACHE = VtdInvalidationDescriptor.PASID_CACHE;
    public static final int TYPE_PASID_DEVICE_TLB = VtdInvalidationDescriptor.PASID_DEVICE_TLB;
    public static final int TYPE_PAGE_GROUP_RESPONSE = VtdInvalidationDescriptor.PAGE_GROUP_RESPONSE;

    /** Granularities in bits 5:4 of the context-cache and IOTLB descriptors. */
    public static final int GRAN_GLOBAL = 1;
    public static final int GRAN_DOMAIN = 2;
    public static final int GRAN_DEVICE_OR_PAGE = 3;
    /** PASID-based IOTLB: all non-global mappings of a PASID (QI_GRAN_NONG_PASID) / page-selective. */
    public static final int PIOTLB_GRAN_PASID = 2;
    public static final int PIOTLB_GRAN_PAGE = 3;
    /** PASID cache: QI_PC_ALL_PASIDS (domain-selective), QI_PC_PASID_SEL, QI_PC_GLOBAL. */
    public static final int PC_GRAN_DOMAIN = 0;
    public static final int PC_GRAN_PASID = 1;
    public static final int PC_GRAN_GLOBAL = 3;

    /** Wait descriptor status-write flag (QI_IWD_STATUS_WRITE) and the value written (QI_DONE). */
    public static final long WAIT_STATUS_WRITE = 1L << 5;
    /** Wait descriptor fence (QI_IWD_FENCE) and page-request drain (QI_IWD_PRQ_DRAIN). */
    public static final long WAIT_FENCE = 1L << 6;
    public static final long WAIT_PAGE_REQUEST_DRAIN = 1L << 7;
    public static final int QI_IN_USE = 1;
    public static final int QI_DONE = 2;

    /** The ATS "whole address space" size order, {@code 64 - VTD_PAGE_SHIFT}. */
    public static final int DEVTLB_ALL = 64 - 12;

    private static final long PAGE_MASK = ~0xFFFL;

    public int type() {
        return (int) (q0 & 0xF);
    }

    public static VtdQiDescriptor of(long q0, long q1) {
        return new VtdQiDescriptor(q0, q1, 0, 0);
    }

    /** Context-cache invalidation, global (G=01). */
    public static VtdQiDescriptor contextGlobal() {
        return of(((long) GRAN_GLOBAL << 4) | TYPE_CONTEXT_CACHE, 0);
    }

    /** Context-cache invalidation, device-selective (G=11) with function mask 0. */
    public static VtdQiDescriptor contextDevice(int did, int sid) {
        return of(((long) (sid & 0xFFFF) << 32) | ((long) (did & 0xFFFF) << 16) | ((long) GRAN_DEVICE_OR_PAGE << 4)
                | TYPE_CONTEXT_CACHE, 0);
    }

    /** IOTLB invalidation (type 2), global. */
    public static VtdQiDescriptor iotlbGlobal() {
        return of(((long) GRAN_GLOBAL << 4) | TYPE_IOTLB, 0);
    }

    /** IOTLB invalidation (type 2), domain-selective. */
    public static VtdQiDescriptor iotlbDomain(int did) {
        return of(((long) (did & 0xFFFF) << 16) | ((long) GRAN_DOMAIN << 4) | TYPE_IOTLB, 0);
    }

    /** IOTLB invalidation (type 2), page-selective: 2^am pages at {@code addr}, IH as given. */
    public static VtdQiDescriptor iotlbPages(int did, long addr, int am, boolean ih) {
        return of(((long) (did & 0xFFFF) << 16) | ((long) GRAN_DEVICE_OR_PAGE << 4) | TYPE_IOTLB,
                (addr & PAGE_MASK) | (ih ? 1L << 6 : 0) | (am & 0x3F));
    }

    /** PASID-based IOTLB invalidation (type 6) of every non-global mapping of a PASID. */
    public static VtdQiDescriptor piotlbPasid(int did, int pasid) {
        return of(pasidField(pasid) | ((long) (did & 0xFFFF) << 16) | ((long) PIOTLB_GRAN_PASID << 4)
                | TYPE_PASID_IOTLB, 0);
    }

    /** PASID-based IOTLB invalidation (type 6), page-selective within the PASID. */
    public static VtdQiDescriptor piotlbPages(int did, int pasid, long addr, int am, boolean ih) {
        return of(pasidField(pasid) | ((long) (did & 0xFFFF) << 16) | ((long) PIOTLB_GRAN_PAGE << 4)
                | TYPE_PASID_IOTLB, (addr & PAGE_MASK) | (ih ? 1L << 6 : 0) | (am & 0x3F));
    }

    /** PASID-cache invalidation (type 7) with granularity {@code PC_GRAN_*}. */
    public static VtdQiDescriptor pasidCache(int did, int granularity, int pasid) {
        return of(pasidField(pasid) | ((long) (did & 0xFFFF) << 16) | ((long) granularity << 4) | TYPE_PASID_CACHE,
                0);
    }

    /**
     * Device-TLB invalidation (type 3) of 2^mask pages at {@code addr}, Linux
     * {@code qi_desc_dev_iotlb}: with a mask, the address gets the ATS size encoding (ones below the
     * size bit) and S=1.
     */
    public static VtdQiDescriptor deviceTlb(int sid, long addr, int mask) {
        long q0 = ((long) (sid & 0xFFFF) << 32) | pfsid(sid) | TYPE_DEVICE_TLB;
        long q1;
        if (mask != 0) {
            long a = addr | ((1L << (12 + mask - 1)) - 1);
            q1 = (a & PAGE_MASK) | 1L;
        } else {
            q1 = addr & PAGE_MASK;
        }
        return of(q0, q1);
    }

    /**
     * PASID-based device-TLB invalidation (type 8) of 2^sizeOrder pages at {@code addr}, Linux
     * {@code qi_desc_dev_iotlb_pasid}: S (bit 11) set and the ATS size encoding when sizeOrder > 0.
     */
    public static VtdQiDescriptor pasidDeviceTlb(int sid, int pasid, long addr, int sizeOrder) {
        long q0 = pasidField(pasid) | ((long) (sid & 0xFFFF) << 16) | pfsid(sid) | TYPE_PASID_DEVICE_TLB;
        long q1 = addr & PAGE_MASK;
        if (sizeOrder != 0) {
            long sizeBit = 1L << (12 + sizeOrder - 1);
            long ones = sizeOrder + 12 - 1 >= 63 ? -1L << 12 : ((1L << (sizeOrder + 12)) - 1) & PAGE_MASK;
            q1 = (q1 | ones) & ~sizeBit;
            q1 |= 1L << 11;
        }
        return of(q0, q1);
    }

    /** Invalidation wait (type 5) writing {@code statusData} to {@code statusAddress} when done. */
    public static VtdQiDescriptor waitWithStatus(long statusAddress, int statusData) {
        return of(((long) statusData << 32) | WAIT_STATUS_WRITE | TYPE_WAIT, statusAddress & ~3L);
    }

    /** Invalidation wait (type 5) with the fence flag and no status write, Linux's drain barrier. */
    public static VtdQiDescriptor waitFence(int statusData) {
        return of(((long) statusData << 32) | WAIT_FENCE | TYPE_WAIT, 0);
    }

    /** Page group response (type 9), Linux {@code intel_iommu_page_response}. */
    public static VtdQiDescriptor pageGroupResponse(int rid, int pasid, boolean pasidPresent, int responseCode,
            int groupIndex) {
        long q0 = (pasidPresent ? pasidField(pasid) : 0) | ((long) (rid & 0xFFFF) << 16)
                | ((long) (responseCode & 0xF) << 12) | (pasidPresent ? 1L << 4 : 0) | TYPE_PAGE_GROUP_RESPONSE;
        return of(q0, (long) (groupIndex & 0x1FF) << 3);
    }

    private static long pasidField(int pasid) {
        return (long) (pasid & 0xFFFFF) << 32;
    }

    /** QI_DEV_IOTLB_PFSID: PFSID bits 3:0 at 15:12, bits 15:4 at 63:52. */
    private static long pfsid(int pfsid) {
        return ((long) (pfsid & 0xF) << 12) | ((long) ((pfsid >>> 4) & 0xFFF) << 52);
    }
}
