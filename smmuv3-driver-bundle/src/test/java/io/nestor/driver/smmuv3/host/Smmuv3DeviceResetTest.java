package io.nestor.driver.smmuv3.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.translation.InvalidationScope;
import io.nestor.driver.smmuv3.Features;
import io.nestor.driver.smmuv3.hw.Smmuv3Command;
import io.nestor.driver.smmuv3.hw.Smmuv3RegisterOffsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bring-up as arm_smmu_device_reset does it, read back from the registers and queue memory. */
class Smmuv3DeviceResetTest {

    @Test
    void bringUpEnablesTranslationWithTwoLevelStreamTableAndQueues() {
        HostFixture f = HostFixture.typical();
        assertFalse(Smmuv3DeviceReset.isUp(f.unit));
        Smmuv3DeviceReset.ensureUp(f.unit);

        int cr0 = f.unit.registers().read32(Smmuv3RegisterOffsets.CR0);
        // SMMUEN | PRIQEN | EVTQEN | CMDQEN | ATSCHK: the typical unit has PRI and ATS
        assertEquals(0x1F, cr0);
        assertEquals(cr0, f.unit.registers().read32(Smmuv3RegisterOffsets.CR0ACK));
        long strtab = f.unit.registers().read64(Smmuv3RegisterOffsets.STRTAB_BASE);
        assertEquals(1L << 62, strtab & (1L << 62), "RA");
        // 16-bit StreamIDs: FMT 2-level (bit 16), SPLIT 8 (bits 10:6), LOG2SIZE 16
        assertEquals(1 << 16 | 8 << 6 | 16, f.unit.registers().read32(Smmuv3RegisterOffsets.STRTAB_BASE_CFG));
        assertEquals(0x0D75, f.unit.registers().read32(Smmuv3RegisterOffsets.CR1));
        assertEquals(0x6, f.unit.registers().read32(Smmuv3RegisterOffsets.CR2));
        long cmdq = f.unit.registers().read64(Smmuv3RegisterOffsets.CMDQ_BASE);
        assertEquals(8, cmdq & 0x1F, "CMDQ LOG2SIZE");
        assertEquals(7, f.unit.registers().read64(Smmuv3RegisterOffsets.EVTQ_BASE) & 0x1F, "EVTQ LOG2SIZE");
        assertEquals(8, f.unit.registers().read64(Smmuv3RegisterOffsets.PRIQ_BASE) & 0x1F, "PRIQ LOG2SIZE");
        // L1 table (256 descriptors, 1 page) and three one-page queues
        assertEquals(4, f.unit.livePages());
        assertTrue(f.unit.isLivePage(strtab & 0x000F_FFFF_FFFF_FFC0L));

        // CFGI_ALL and TLBI_NSNH_ALL, each followed by a SYNC, and consumed by the SMMU
        List<Smmuv3Command> cmds = f.commands();
        assertEquals(List.of(Smmuv3Command.CFGI_STE_RANGE, Smmuv3Command.SYNC, Smmuv3Command.TLBI_NSNH_ALL,
                Smmuv3Command.SYNC), f.opcodesSince(0));
        assertEquals(31, cmds.get(0).dword1() & 0x1F, "CFGI_ALL is CFGI_STE_RANGE with Range 31");
        assertEquals(f.unit.registers().read32(Smmuv3RegisterOffsets.CMDQ_PROD),
                f.unit.registers().read32(Smmuv3RegisterOffsets.CMDQ_CONS));
        assertTrue(f.unit.invalidations().contains(new InvalidationScope.Unit(0)));
        assertTrue(Smmuv3DeviceReset.isUp(f.unit));
    }

    @Test
    void bringUpIsIdempotent() {
        HostFixture f = HostFixture.typical();
        Smmuv3DeviceReset.ensureUp(f.unit);
        int pages = f.unit.livePages();
        long strtab = f.unit.registers().read64(Smmuv3RegisterOffsets.STRTAB_BASE);
        int commands = f.commands().size();
        Smmuv3DeviceReset.ensureUp(f.unit);
        assertEquals(pages, f.unit.livePages());
        assertEquals(strtab, f.unit.registers().read64(Smmuv3RegisterOffsets.STRTAB_BASE));
        assertEquals(commands, f.commands().size());
    }

    @Test
    void smallStreamIdSpaceGetsALinearTableOfAbortingStes() throws Exception {
        Features features = Features.typical();
        features.streamIdBits = 6;
        features.pageRequests = false;
        features.deviceTlb = false;
        HostFixture f = new HostFixture(features);
        Smmuv3DeviceReset.ensureUp(f.unit);
        assertEquals(6, f.unit.registers().read32(Smmuv3RegisterOffsets.STRTAB_BASE_CFG), "linear, LOG2SIZE 6");
        // SMMUEN | EVTQEN | CMDQEN only: no PRI queue, no ATSCHK
        assertEquals(0x0D, f.unit.registers().read32(Smmuv3RegisterOffsets.CR0));
        assertEquals(0, f.unit.registers().read64(Smmuv3RegisterOffsets.PRIQ_BASE));
        // 64 STEs of 64 bytes (one page), command and event queues
        assertEquals(3, f.unit.livePages());
        assertEquals(1L, f.ste(0)[0], "V=1, Config=abort");
        assertEquals(1L, f.ste(63)[0]);
    }

    @Test
    void anSmmuEnabledByAnotherIsMadeToAbortAndResetFirst() {
        HostFixture f = HostFixture.typical();
        io.nestor.driver.smmuv3.hw.Smmuv3Mmio.write32(f.unit, Smmuv3RegisterOffsets.CR0, 1);
        Smmuv3DeviceReset.ensureUp(f.unit);
        assertEquals(1 << 20, f.unit.registers().read32(Smmuv3RegisterOffsets.GBPA) & (1 << 20), "GBPA.ABORT");
        assertTrue(Smmuv3DeviceReset.isUp(f.unit));
    }
}
