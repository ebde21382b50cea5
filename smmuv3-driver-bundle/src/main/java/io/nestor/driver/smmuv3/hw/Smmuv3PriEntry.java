package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterField;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.PageRequest;

/**
 * One 16-byte PRI queue entry: a PCIe page request as the SMMU records it (SMMUv3 architecture
 * chapter 8 "Page request queue"; hw-formats.md §2.7; Linux arm-smmu-v3.h {@code PRIQ_0_*},
 * {@code PRIQ_1_*}).
 *
 * <ul>
 * <li>word 0: StreamID 31:0, SubstreamID 51:32, Priv 58, Exec 59, Read 60, Write 61, Last 62,
 *     SSV 63;</li>
 * <li>word 1: PRGIndex 8:0, page address 63:12.</li>
 * </ul>
 * Without a PASID, SSV, SubstreamID, Exec and Priv are 0 (the architecture: "when SSV == 0, the X
 * and Priv bits are both 0").
 */
final class Smmuv3PriEntry {

    static final RegisterField SID = RegisterField.bits("StreamID", 31, 0);
    static final RegisterField SSID = RegisterField.bits("SubstreamID", 51, 32);
    static final RegisterField PRIV = RegisterField.bit("Priv", 58);
    static final RegisterField EXEC = RegisterField.bit("Exec", 59);
    static final RegisterField READ = RegisterField.bit("Read", 60);
    static final RegisterField WRITE = RegisterField.bit("Write", 61);
    static final RegisterField LAST = RegisterField.bit("Last", 62);
    static final RegisterField SSV = RegisterField.bit("SSV", 63);
    static final RegisterField PRG_INDEX_1 = RegisterField.bits("PRGIndex", 8, 0);
    static final RegisterField ADDRESS_1 = RegisterField.bits("Address", 63, 12);

    static long[] encode(PageRequest request) {
        int access = request.access();
        long d0 = SID.insert(0, Integer.toUnsignedLong(request.sourceId()));
        d0 = READ.insert(d0, (access & Access.READ) != 0);
        d0 = WRITE.insert(d0, (access & Access.WRITE) != 0);
        d0 = LAST.insert(d0, request.lastInGroup());
        if (request.pasid() >= 0) {
            d0 = SSV.insert(d0, true);
            d0 = SSID.insert(d0, request.pasid());
            d0 = PRIV.insert(d0, (access & Access.PRIV) != 0);
            d0 = EXEC.insert(d0, (access & Access.EXEC) != 0);
        }
        long d1 = PRG_INDEX_1.insert(0, request.groupIndex());
        d1 |= request.address() & ADDRESS_1.mask();
        return new long[] {d0, d1};
    }

    private Smmuv3PriEntry() {
    }
}
