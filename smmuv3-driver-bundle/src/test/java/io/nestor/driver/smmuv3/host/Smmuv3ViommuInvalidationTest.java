package io.nestor.driver.smmuv3.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.ViommuDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.driver.smmuv3.hw.Smmuv3Command;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

/**
 * vIOMMU invalidation from raw guest commands: the accepted opcodes, VMID substitution, vSID to
 * SID translation, entry_num on the first bad entry, and the commands that reach the queue.
 */
class Smmuv3ViommuInvalidationTest {

    private static final int TYPE = 1;
    private static final int VSID = 0x9;
    private static final int SID = 0x321;

    private final HostFixture f = HostFixture.typical();
    private final DomainDescriptor parent = f.driver.allocPagingDomain(f.unit, 1);
    private final ViommuDescriptor viommu = f.driver.allocViommu(f.unit, parent, 1, new byte[0]);
    private final DeviceInfo device = HostFixture.device(SID, true, false);
    private final LongFunction<DeviceInfo> vdevices = Map.of((long) VSID, device)::get;

    private static byte[] entries(long... words) {
        ByteBuffer b = ByteBuffer.allocate(8 * words.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long w : words) {
            b.putLong(w);
        }
        return b.array();
    }

    private int mark() {
        Smmuv3DeviceReset.ensureUp(f.unit);
        f.unit.invalidations().clear();
        return f.commands().size();
    }

    @Test
    void tlbiCommandsGetTheViommusVmid() {
        int mark = mark();
        long guestVmid = 0x55L << 32;
        byte[] data = entries(
                0x30, 0xFFFF,                                   // TLBI_NSNH_ALL, junk in word 1
                0x10 | guestVmid, 0,                            // TLBI_NH_ALL
                0x11 | guestVmid | 0x7L << 48, 0,               // TLBI_NH_ASID 7
                0x12 | guestVmid | 0x7L << 48, 0x40_0000L | 1,  // TLBI_NH_VA 0x400000, leaf
                0x13 | guestVmid, 0x80_0000L);                  // TLBI_NH_VAA 0x800000
        assertEquals(5, f.driver.invalidateViommu(f.unit, viommu, vdevices, TYPE, 16, data));
        List<Smmuv3Command> cmds = f.commandsSince(mark);
        assertEquals(List.of(0x10, 0x10, 0x11, 0x12, 0x13, 0x46), f.opcodesSince(mark));
        assertEquals(new Smmuv3Command(0x10 | (long) viommu.tag() << 32, 0), cmds.get(0), "NSNH_ALL became NH_ALL");
        for (int i = 1; i < 5; i++) {
            assertEquals(viommu.tag(), (int) cmds.get(i).field0(Smmuv3Command.TLBI_VMID));
        }
        assertEquals(7, (int) cmds.get(2).field0(Smmuv3Command.TLBI_ASID));
        assertEquals(0x40_0001L, cmds.get(3).dword1(), "word 1 as the guest wrote it");
        int v = viommu.tag();
        assertEquals(List.of(new InvalidationScope.AddressSpace(0, v, InvalidationScope.ANY),
                new InvalidationScope.AddressSpace(0, v, InvalidationScope.ANY),
                new InvalidationScope.AddressSpace(0, v, 7),
                new InvalidationScope.AddressSpaceRange(0, v, 7, 0x40_0000L, 0x1000, true),
                new InvalidationScope.AddressSpaceRange(0, v, InvalidationScope.ANY, 0x80_0000L, 0x1000, false)),
                f.unit.invalidations());
    }

    @Test
    void streamCommandsGetThePhysicalStreamId() {
        int mark = mark();
        byte[] data = entries(
                0x05 | 0x3L << 12 | (long) VSID << 32, 1,        // CFGI_CD SSID 3, leaf
                0x06 | (long) VSID << 32, 0,                     // CFGI_CD_ALL
                0x40 | (long) VSID << 32, 52);                   // ATC_INV all
        assertEquals(3, f.driver.invalidateViommu(f.unit, viommu, vdevices, TYPE, 16, data));
        List<Smmuv3Command> cmds = f.commandsSince(mark);
        assertEquals(new Smmuv3Command(0x05 | 0x3L << 12 | (long) SID << 32, 1), cmds.get(0));
        assertEquals(new Smmuv3Command(0x06 | (long) SID << 32, 0), cmds.get(1));
        assertEquals(new Smmuv3Command(0x40 | (long) SID << 32, 52), cmds.get(2));
        assertTrue(f.unit.invalidations().contains(new InvalidationScope.DeviceConfig(0, SID, 3)));
        assertTrue(f.unit.invalidations().contains(new InvalidationScope.DeviceConfig(0, SID, InvalidationScope.ANY)));
    }

    @Test
    void firstBadEntryStopsWithEntryNumAndEarlierOnesIssued() {
        int mark = mark();
        byte[] data = entries(
                0x10, 0,
                0x11 | 0x1L << 48, 0,
                0x28 | 0x1L << 32, 0,   // TLBI_S12_VMALL: not accepted from a guest
                0x10, 0);
        IommuException e = assertThrows(IommuException.class,
                () -> f.driver.invalidateViommu(f.unit, viommu, vdevices, TYPE, 16, data));
        assertEquals(Errno.EIO, e.errno());
        assertEquals(Map.of("entry_num", 2L), e.outValues());
        assertEquals(List.of(0x10, 0x11, 0x46), f.opcodesSince(mark));
    }

    @Test
    void unknownVsidIsEio() {
        int mark = mark();
        byte[] data = entries(0x10, 0, 0x06 | 0x77L << 32, 0);
        IommuException e = assertThrows(IommuException.class,
                () -> f.driver.invalidateViommu(f.unit, viommu, vdevices, TYPE, 16, data));
        assertEquals(Errno.EIO, e.errno());
        assertEquals(1L, e.outValues().get("entry_num"));
        IommuException none = assertThrows(IommuException.class,
                () -> f.driver.invalidateViommu(f.unit, viommu, null, TYPE, 16, entries(0x06 | (long) VSID << 32, 0)));
        assertEquals(0L, none.outValues().get("entry_num"));
        assertEquals(List.of(0x10, 0x46), f.opcodesSince(mark));
    }

    @Test
    void arrayRulesComeBeforeAnyCommand() {
        int mark = mark();
        IommuException type = assertThrows(IommuException.class,
                () -> f.driver.invalidateViommu(f.unit, viommu, vdevices, 0, 16, entries(0x10, 0)));
        assertEquals(Errno.EINVAL, type.errno());
        assertEquals(0L, type.outValues().get("entry_num"));
        IommuException len = assertThrows(IommuException.class,
                () -> f.driver.invalidateViommu(f.unit, viommu, vdevices, TYPE, 12, entries(0x10, 0)));
        assertEquals(Errno.EINVAL, len.errno());
        byte[] wide = new byte[48];
        wide[0] = 0x10;
        wide[24] = 0x10;
        wide[40] = 1; // tail of the second 24-byte entry
        IommuException big = assertThrows(IommuException.class,
                () -> f.driver.invalidateViommu(f.unit, viommu, vdevices, TYPE, 24, wide));
        assertEquals(Errno.E2BIG, big.errno());
        assertEquals(0L, big.outValues().get("entry_num"));
        assertEquals(List.of(), f.opcodesSince(mark));
        wide[40] = 0;
        assertEquals(2, f.driver.invalidateViommu(f.unit, viommu, vdevices, TYPE, 24, wide));
        assertEquals(0, f.driver.invalidateViommu(f.unit, viommu, vdevices, TYPE, 16, new byte[0]), "probe");
    }

    @Test
    void shortEntriesAreZeroExtended() {
        int mark = mark();
        byte[] data = new byte[8];
        data[0] = 0x11; // TLBI_NH_ASID, ASID 0, only word 0 given
        assertEquals(1, f.driver.invalidateViommu(f.unit, viommu, vdevices, TYPE, 8, data));
        assertEquals(new Smmuv3Command(0x11 | (long) viommu.tag() << 32, 0), f.commandsSince(mark).get(0));
    }

    @Test
    void longArraysGoInBatchesOfSixtyThree() {
        int mark = mark();
        long[] words = new long[2 * 100];
        for (int i = 0; i < 100; i++) {
            words[2 * i] = 0x11 | (long) i << 48;
        }
        assertEquals(100, f.driver.invalidateViommu(f.unit, viommu, vdevices, TYPE, 16, entries(words)));
        List<Integer> ops = f.opcodesSince(mark);
        assertEquals(102, ops.size());
        assertEquals(0x46, ops.get(63));
        assertEquals(0x46, ops.get(101));
    }
}
