package io.nestor.driver.smmuv3.hw;

import io.nestor.api.driver.RegisterField;
import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.translation.InvalidationScope;
import java.util.concurrent.locks.Lock;

/**
 * The MMIO write path of an SMMUv3: every register write by software (the host-driver half, or a
 * test playing it) goes through {@link #write32} / {@link #write64}, which store the value the way
 * the register defines and carry out the hardware's side effects. Reads need no side effects and go
 * straight to {@link UnitContext#registers()}. Register semantics per the SMMUv3 architecture
 * chapter 6, hw-formats.md §2.1, Linux arm-smmu-v3.h and QEMU hw/arm/smmuv3.c {@code smmu_writel}.
 *
 * <ul>
 * <li>Read-only registers (IDR0–5, IIDR, AIDR, CR0ACK, STATUSR, IRQ_CTRLACK, GERROR) and offsets
 *     that name no register ignore writes.</li>
 * <li>CR0: the implemented bits (SMMUEN, EVTQEN, CMDQEN, and PRIQEN / ATSCHK when IDR0.PRI / ATS)
 *     are stored and acknowledged at once in CR0ACK. When SMMUEN changes, every cached
 *     configuration and translation of the unit is invalidated: with SMMUEN clear the SMMU follows
 *     GBPA and caches nothing, so nothing cached on either side of the change may survive it. A set
 *     CMDQEN makes the SMMU consume its command queue.</li>
 * <li>GBPA: taken only with UPDATE set (SMMUv3.2 and later allow nothing else; QEMU does the
 *     same), and completed at once, so UPDATE reads back clear. A change while SMMUEN is clear
 *     changes what every transaction does and invalidates the unit.</li>
 * <li>IRQ_CTRL: stored and acknowledged in IRQ_CTRLACK (PRIQ_IRQEN only with IDR0.PRI).</li>
 * <li>GERRORN: stored; acknowledging GERROR.CMDQ_ERR restarts the command queue.</li>
 * <li>CMDQ_PROD: stored, then the command queue is consumed ({@link Smmuv3CommandQueue}).
 *     CMDQ_CONS, EVTQ_PROD and PRIQ_PROD belong to the SMMU while their queue is enabled and take
 *     software writes only while it is disabled (how Linux initialises them). EVTQ_CONS and
 *     PRIQ_CONS belong to software.</li>
 * <li>The event and PRI queue indexes live in page 1 (0x100A8.. 0x100CC). Their page-0 offsets
 *     (0xA8.. 0xCC) alias them, the CONSTRAINED UNPREDICTABLE choice QEMU makes and what Linux's
 *     {@code ARM_SMMU_OPT_PAGE0_REGS_ONLY} relies on: a write to either updates both.</li>
 * <li>The 64-bit registers (STRTAB_BASE, the queue bases, the *_IRQ_CFG0 MSI addresses) may be
 *     written whole or as two 32-bit halves; a 64-bit write elsewhere is two 32-bit writes, low
 *     word first.</li>
 * </ul>
 * Every write holds the unit's register lock, so command-queue consumption never interleaves with
 * another writer or with event / PRI recording.
 */
public final class Smmuv3Mmio {

    /** Writes a 32-bit register. */
    public static void write32(UnitContext unit, int offset, int value) {
        Lock lock = unit.registerLock();
        lock.lock();
        try {
            store32(unit, offset, value);
        } finally {
            lock.unlock();
        }
    }

    /** Writes a 64-bit register, or two adjacent 32-bit ones. */
    public static void write64(UnitContext unit, int offset, long value) {
        if ((offset & 7) != 0) {
            throw new IllegalArgumentException("misaligned 64-bit SMMU register write at 0x" + Integer.toHexString(offset));
        }
        Lock lock = unit.registerLock();
        lock.lock();
        try {
            if (isRegister64(offset)) {
                unit.registers().write64(offset, value);
            } else {
                store32(unit, offset, (int) value);
                store32(unit, offset + 4, (int) (value >>> 32));
            }
        } finally {
            lock.unlock();
        }
    }

    private static boolean isRegister64(int offset) {
        switch (offset) {
            case Smmuv3RegisterOffsets.GERROR_IRQ_CFG0:
            case Smmuv3RegisterOffsets.STRTAB_BASE:
            case Smmuv3RegisterOffsets.CMDQ_BASE:
            case Smmuv3RegisterOffsets.EVTQ_BASE:
            case Smmuv3RegisterOffsets.EVTQ_IRQ_CFG0:
            case Smmuv3RegisterOffsets.PRIQ_BASE:
            case Smmuv3RegisterOffsets.PRIQ_IRQ_CFG0:
                return true;
            default:
                return false;
        }
    }

    private static void store32(UnitContext unit, int offset, int value) {
        if ((offset & 3) != 0) {
            throw new IllegalArgumentException("misaligned 32-bit SMMU register write at 0x" + Integer.toHexString(offset));
        }
        RegisterFile regs = unit.registers();
        int idr0 = regs.read32(Smmuv3RegisterOffsets.IDR0);
        switch (offset) {
            case Smmuv3RegisterOffsets.CR0:
                writeCr0(unit, value, idr0);
                break;
            case Smmuv3RegisterOffsets.CR1:
                regs.write32(offset, value & Smmuv3ControlRegisters.CR1_MASK);
                break;
            case Smmuv3RegisterOffsets.CR2:
                regs.write32(offset, value & Smmuv3ControlRegisters.CR2_MASK);
                break;
            case Smmuv3RegisterOffsets.GBPA:
                writeGbpa(unit, value);
                break;
            case Smmuv3RegisterOffsets.IRQ_CTRL: {
                int mask = Smmuv3ControlRegisters.IRQ_CTRL_MASK;
                if (Smmuv3Idr0.get(Smmuv3Idr0.PRI, idr0) == 0) {
                    mask &= ~Smmuv3ControlRegisters.IRQ_CTRL_PRIQ_IRQEN;
                }
                regs.write32(Smmuv3RegisterOffsets.IRQ_CTRL, value & mask);
                regs.write32(Smmuv3RegisterOffsets.IRQ_CTRLACK, value & mask);
                break;
            }
            case Smmuv3RegisterOffsets.GERRORN:
                regs.write32(offset, value & Smmuv3GlobalErrors.ALL);
                Smmuv3CommandQueue.process(unit);
                break;
            case Smmuv3RegisterOffsets.CMDQ_PROD:
                regs.write32(offset, value);
                Smmuv3CommandQueue.process(unit);
                break;
            case Smmuv3RegisterOffsets.CMDQ_CONS:
                storeUnlessEnabled(regs, offset, value, Smmuv3ControlRegisters.CR0_CMDQEN);
                break;
            case Smmuv3RegisterOffsets.EVTQ_PROD:
            case Smmuv3RegisterOffsets.EVTQ_PROD - Smmuv3RegisterOffsets.PAGE_1:
                if (!enabled(regs, Smmuv3ControlRegisters.CR0_EVTQEN)) {
                    Smmuv3QueueIndexes.write(regs, Smmuv3RegisterOffsets.EVTQ_PROD, value);
                }
                break;
            case Smmuv3RegisterOffsets.EVTQ_CONS:
            case Smmuv3RegisterOffsets.EVTQ_CONS - Smmuv3RegisterOffsets.PAGE_1:
                Smmuv3QueueIndexes.write(regs, Smmuv3RegisterOffsets.EVTQ_CONS, value);
                break;
            case Smmuv3RegisterOffsets.PRIQ_PROD:
            case Smmuv3RegisterOffsets.PRIQ_PROD - Smmuv3RegisterOffsets.PAGE_1:
                if (!enabled(regs, Smmuv3ControlRegisters.CR0_PRIQEN)) {
                    Smmuv3QueueIndexes.write(regs, Smmuv3RegisterOffsets.PRIQ_PROD, value);
                }
                break;
            case Smmuv3RegisterOffsets.PRIQ_CONS:
            case Smmuv3RegisterOffsets.PRIQ_CONS - Smmuv3RegisterOffsets.PAGE_1:
                Smmuv3QueueIndexes.write(regs, Smmuv3RegisterOffsets.PRIQ_CONS, value);
                break;
            case Smmuv3RegisterOffsets.STRTAB_BASE_CFG:
            case Smmuv3RegisterOffsets.GERROR_IRQ_CFG1:
            case Smmuv3RegisterOffsets.GERROR_IRQ_CFG2:
            case Smmuv3RegisterOffsets.EVTQ_IRQ_CFG1:
            case Smmuv3RegisterOffsets.EVTQ_IRQ_CFG2:
            case Smmuv3RegisterOffsets.PRIQ_IRQ_CFG1:
            case Smmuv3RegisterOffsets.PRIQ_IRQ_CFG2:
                regs.write32(offset, value);
                break;
            default:
                if (isRegister64(offset) || isRegister64(offset - 4)) {
                    regs.write32(offset, value); // one half of a 64-bit register
                }
                // anything else is read-only or names no register: the write is ignored
                break;
        }
    }

    private static void writeCr0(UnitContext unit, int value, int idr0) {
        RegisterFile regs = unit.registers();
        long mask = Smmuv3ControlRegisters.CR0_SMMUEN.mask() | Smmuv3ControlRegisters.CR0_EVTQEN.mask()
                | Smmuv3ControlRegisters.CR0_CMDQEN.mask();
        if (Smmuv3Idr0.get(Smmuv3Idr0.PRI, idr0) != 0) {
            mask |= Smmuv3ControlRegisters.CR0_PRIQEN.mask();
        }
        if (Smmuv3Idr0.get(Smmuv3Idr0.ATS, idr0) != 0) {
            mask |= Smmuv3ControlRegisters.CR0_ATSCHK.mask();
        }
        int old = regs.read32(Smmuv3RegisterOffsets.CR0);
        int cr0 = value & (int) mask;
        regs.write32(Smmuv3RegisterOffsets.CR0, cr0);
        regs.write32(Smmuv3RegisterOffsets.CR0ACK, cr0);
        if (Smmuv3ControlRegisters.smmuEnabled(old) != Smmuv3ControlRegisters.smmuEnabled(cr0)) {
            unit.invalidate(new InvalidationScope.Unit(unit.index()));
        }
        Smmuv3CommandQueue.process(unit);
    }

    private static void writeGbpa(UnitContext unit, int value) {
        RegisterFile regs = unit.registers();
        if (!Smmuv3ControlRegisters.GBPA_UPDATE.isSet(Integer.toUnsignedLong(value))) {
            return;
        }
        int old = regs.read32(Smmuv3RegisterOffsets.GBPA);
        int gbpa = value & Smmuv3ControlRegisters.GBPA_MASK;
        regs.write32(Smmuv3RegisterOffsets.GBPA, gbpa);
        if (gbpa != old && !Smmuv3ControlRegisters.smmuEnabled(regs.read32(Smmuv3RegisterOffsets.CR0))) {
            unit.invalidate(new InvalidationScope.Unit(unit.index()));
        }
    }

    private static boolean enabled(RegisterFile regs, RegisterField queueEnable) {
        return queueEnable.isSet(Integer.toUnsignedLong(regs.read32(Smmuv3RegisterOffsets.CR0ACK)));
    }

    private static void storeUnlessEnabled(RegisterFile regs, int offset, int value,
            RegisterField queueEnable) {
        if (!enabled(regs, queueEnable)) {
            regs.write32(offset, value);
        }
    }

    private Smmuv3Mmio() {
    }
}
