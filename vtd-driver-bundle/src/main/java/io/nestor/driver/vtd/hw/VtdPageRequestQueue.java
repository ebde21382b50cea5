package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.locks.Lock;

/**
 * The page request queue (VT-d spec 7.5; Nestor {@code hw-formats.md} 1.9): a ring of 32-byte page
 * request descriptors at PQA (base 63:12, 4 KiB × 2^PQS), written by the hardware at PQT and
 * consumed by software from PQH (both byte offsets, bits 18:5), with PRS reporting pending (PPR)
 * and overflow (PRO) and PECTL controlling the page request event.
 *
 * <p>The descriptor, as Linux {@code struct page_req_dsc} reads it:
 * <pre>
 *   7:0     type, 1 = page request        64      read requested
 *   8       PASID present                  65      write requested
 *   9       private data present           66      LPIG, last page in group
 *   31:16   RID (requester id)             75:67   page request group index
 *   51:32   PASID                          127:76  page address
 *   52      execute requested              255:128 private data
 *   53      privileged-mode requested
 * </pre>
 * Execute and privileged mode travel in the PASID TLP prefix, so they are reported only with a
 * PASID. Private data is 64 bits in {@link PageRequest}; the upper quadword is written as 0.
 *
 * <p>Full queue (the next tail would meet PQH) or PRO already set: the request is not recorded, PRO
 * is set, and a last-in-group request is answered with success by the hardware itself, so the
 * device retries rather than waiting forever (VT-d spec 7.5.1). Linux clears PRO only once it has
 * drained the queue ({@code prq_event_thread}), which is why requests keep being refused while PRO
 * stays set.
 */
public final class VtdPageRequestQueue {

    /** PRS: pending page request. */
    public static final int PRS_PPR = 1;
    /** PRS: page request overflow. */
    public static final int PRS_PRO = 1 << 1;
    /** Size of one page request descriptor. */
    public static final int DESCRIPTOR_SIZE = 32;

    /** PQA: PQS, bits 2:0 (the queue spans 2^PQS pages). */
    static final long PQA_PQS = 0x7;
    /** PQA: queue base, bits 63:12. */
    static final long PQA_BASE = ~0xFFFL;
    /** PQH / PQT: entry offset, bits 18:5. */
    static final long QUEUE_OFFSET = 0x7FFE0L;
    private static final int TYPE_PAGE_REQUEST = 1;

    /**
     * Records a PCIe page request of {@code device}.
     *
     * @return the 32-byte descriptor as written (little-endian), or an empty array when the queue
     *     overflowed
     * @throws IommuException EINVAL for a stall (an SMMUv3 notion), EOPNOTSUPP when ECAP.PRS is clear
     */
    public static byte[] record(UnitContext unit, DeviceInfo device, PageRequest request) {
        if (request.stall()) {
            throw IommuException.of(Errno.EINVAL, "%s: stall tag %d of device %s: VT-d has no stalled transactions",
                    unit.name(), request.groupIndex(), device.name());
        }
        if (request.sourceId() > 0xFFFF) {
            throw IommuException.of(Errno.EINVAL, "%s: source-id 0x%x of device %s is not a 16-bit requester id",
                    unit.name(), request.sourceId(), device.name());
        }
        RegisterFile regs = unit.registers();
        if (!VtdExtendedCapabilityRegister.PRS.isSet(regs.read64(VtdRegisterOffsets.ECAP))) {
            throw IommuException.of(Errno.EOPNOTSUPP, "%s: unit reports no page request support (ECAP.PRS)",
                    unit.name());
        }
        Lock lock = unit.registerLock();
        lock.lock();
        try {
            return write(unit, request);
        } finally {
            lock.unlock();
        }
    }

    private static byte[] write(UnitContext unit, PageRequest request) {
        RegisterFile regs = unit.registers();
        long pqa = regs.read64(VtdRegisterOffsets.PQA);
        long base = pqa & PQA_BASE;
        long ringBytes = 4096L << (pqa & PQA_PQS);
        long head = regs.read64(VtdRegisterOffsets.PQH) & QUEUE_OFFSET;
        long tail = (regs.read64(VtdRegisterOffsets.PQT) & QUEUE_OFFSET) % ringBytes;
        long next = (tail + DESCRIPTOR_SIZE) % ringBytes;
        int prs = regs.read32(VtdRegisterOffsets.PRS);
        if (next == head || (prs & PRS_PRO) != 0) {
            regs.write32(VtdRegisterOffsets.PRS, prs | PRS_PRO);
            if (request.lastInGroup()) {
                unit.completePageRequest(request.sourceId(),
                        new PageResponse(request.pasid(), request.groupIndex(), false, PageResponseCode.SUCCESS));
            }
            return new byte[0];
        }
        boolean pasidPresent = request.pasid() != DeviceInfo.NO_PASID;
        int access = request.access();
        long q0 = TYPE_PAGE_REQUEST
                | (long) request.sourceId() << 16;
        if (pasidPresent) {
            q0 |= 1L << 8 | (long) request.pasid() << 32
                    | ((access & Access.EXEC) != 0 ? 1L << 52 : 0)
                    | ((access & Access.PRIV) != 0 ? 1L << 53 : 0);
        }
        if (request.privateData() != 0) {
            q0 |= 1L << 9;
        }
        long q1 = ((access & Access.READ) != 0 ? 1L : 0)
                | ((access & Access.WRITE) != 0 ? 1L << 1 : 0)
                | (request.lastInGroup() ? 1L << 2 : 0)
                | (long) request.groupIndex() << 3
                | request.address() & ~0xFFFL;
        byte[] descriptor = ByteBuffer.allocate(DESCRIPTOR_SIZE).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(q0).putLong(q1).putLong(request.privateData()).putLong(0L).array();
        unit.memory().write(base + tail, descriptor, 0, DESCRIPTOR_SIZE);
        regs.write64(VtdRegisterOffsets.PQT, next);
        if ((prs & PRS_PPR) == 0) {
            regs.write32(VtdRegisterOffsets.PRS, prs | PRS_PPR);
            VtdEventInterrupt.signal(regs, VtdRegisterOffsets.PECTL);
        }
        return descriptor;
    }

    private VtdPageRequestQueue() {
    }
}
