package io.nestor.driver.smmuv3.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.driver.smmuv3.Features;
import io.nestor.driver.smmuv3.hw.Smmuv3Command;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Device attach to stage-2 domains: the STE words written (hand-computed from the STE bit
 * positions), the commands that make them visible, and the configuration the hardware half
 * decodes from them.
 */
class Smmuv3DeviceAttachTest {

    private static final int SID = 0x123;
    private final HostFixture f = HostFixture.typical();
    private final DeviceInfo device = HostFixture.device(SID, false, false);

    /** STE word 2 of a 4 KiB, 48-bit stage-2 domain: S2T0SZ 16, S2SL0 2, IR0/OR0 WB, SH0 ISH, S2PS 48, AA64, PTW, S2R. */
    private static long word2(int vmid) {
        return 0x044D_3590_0000_0000L | vmid;
    }

    @Test
    void stage2SteWordsAreTheKernels() throws Exception {
        DomainDescriptor d = f.driver.allocPagingDomain(f.unit, 0);
        f.driver.attachDevice(f.unit, device, d);
        long[] ste = f.ste(SID);
        assertEquals(0xDL, ste[0], "V | Config = 0b110 (stage 2)");
        assertEquals(0L, ste[1], "EATS = 0 for a device without ATS");
        assertEquals(word2(d.tag()), ste[2]);
        assertEquals(d.rootAddress(), ste[3], "S2TTB");
        for (int i = 4; i < 8; i++) {
            assertEquals(0L, ste[i]);
        }
    }

    @Test
    void dirtyTrackingDomainSetsS2haAndS2hd() throws Exception {
        DomainDescriptor d = f.driver.allocPagingDomain(f.unit, 2);
        f.driver.attachDevice(f.unit, device, d);
        assertEquals(word2(d.tag()) | 1L << 55 | 1L << 56, f.ste(SID)[2]);
        TranslationConfig config = f.driver.decodeConfig(f.unit, device, DeviceInfo.NO_PASID);
        assertTrue(config.stage2().hardwareAccessedDirty());
    }

    @Test
    void attachRoundTripsThroughTheHardwareDecoder() throws Exception {
        DomainDescriptor d = f.driver.allocPagingDomain(f.unit, 1);
        f.driver.attachDevice(f.unit, device, d);
        TranslationConfig config = f.driver.decodeConfig(f.unit, device, DeviceInfo.NO_PASID);
        assertEquals(TranslationMode.STAGE2, config.mode());
        assertEquals(d.tag(), config.domainTag());
        assertEquals(-1, config.addressSpaceTag());
        assertEquals(d.rootAddress(), config.stage2().rootAddress());
        var expected = f.driver.pagingFormat(f.unit, d);
        var decoded = config.stage2().format();
        assertEquals(expected.name(), decoded.name());
        assertEquals(expected.levels(), decoded.levels());
        assertEquals(expected.inputAddressBits(), decoded.inputAddressBits());
        assertEquals(expected.outputAddressBits(), decoded.outputAddressBits());
        assertEquals(expected.rootTableCount(), decoded.rootTableCount());
    }

    @Test
    void concatenatedRootsRoundTrip() throws Exception {
        Features features = Features.typical();
        features.outputAddressBits = 40;
        HostFixture g = new HostFixture(features);
        DomainDescriptor d = g.driver.allocPagingDomain(g.unit, 0);
        g.driver.attachDevice(g.unit, device, d);
        assertEquals(24L, (g.ste(SID)[2] >>> 32) & 0x3F, "S2T0SZ 24");
        assertEquals(1L, (g.ste(SID)[2] >>> 38) & 3, "S2SL0 1: level 1");
        assertEquals(2L, (g.ste(SID)[2] >>> 48) & 7, "S2PS 40 bits");
        TranslationConfig config = g.driver.decodeConfig(g.unit, device, DeviceInfo.NO_PASID);
        assertEquals(2, config.stage2().format().rootTableCount());
        assertEquals(3, config.stage2().format().levels());
    }

    @Test
    void installIsSyncedWithCfgiSteAndInvalidatesTheDeviceConfig() {
        DomainDescriptor d = f.driver.allocPagingDomain(f.unit, 0);
        int mark = bringUpMark();
        f.unit.invalidations().clear();
        f.driver.attachDevice(f.unit, device, d);
        // the initial STE is a valid abort STE, so the switch breaks before it makes
        assertEquals(List.of(Smmuv3Command.CFGI_STE, Smmuv3Command.SYNC, Smmuv3Command.CFGI_STE, Smmuv3Command.SYNC,
                Smmuv3Command.CFGI_STE, Smmuv3Command.SYNC), f.opcodesSince(mark));
        Smmuv3Command cfgi = f.commandsSince(mark).get(0);
        assertEquals(SID, cfgi.sid());
        assertEquals(1L, cfgi.field1(Smmuv3Command.CFGI_LEAF_1));
        assertTrue(f.unit.invalidations().contains(new InvalidationScope.DeviceConfig(0, SID, InvalidationScope.ANY)));
    }

    @Test
    void reattachingTheSameDomainIssuesNothing() {
        DomainDescriptor d = f.driver.allocPagingDomain(f.unit, 0);
        f.driver.attachDevice(f.unit, device, d);
        int mark = f.commands().size();
        f.driver.attachDevice(f.unit, device, d);
        assertEquals(List.of(), f.opcodesSince(mark));
    }

    @Test
    void detachWritesAnAbortingSte() throws Exception {
        DomainDescriptor d = f.driver.allocPagingDomain(f.unit, 0);
        f.driver.attachDevice(f.unit, device, d);
        f.driver.detach(f.unit, device, DeviceInfo.NO_PASID);
        assertArrayEquals(new long[] {1, 0, 0, 0, 0, 0, 0, 0}, f.ste(SID));
        assertEquals(TranslationConfig.abort(), f.driver.decodeConfig(f.unit, device, DeviceInfo.NO_PASID));
        int mark = f.commands().size();
        f.driver.detach(f.unit, device, 5);
        assertEquals(List.of(), f.opcodesSince(mark), "detaching a PASID that is not attached is a no-op");
    }

    @Test
    void l2StreamTablesAreAllocatedOnDemand() {
        DomainDescriptor d = f.driver.allocPagingDomain(f.unit, 0);
        Smmuv3DeviceReset.ensureUp(f.unit);
        int pages = f.unit.livePages();
        f.driver.attachDevice(f.unit, device, d);
        assertEquals(pages + 4, f.unit.livePages(), "one L2 table of 256 STEs (16 KiB)");
        f.driver.attachDevice(f.unit, HostFixture.device(SID + 1, false, false), d);
        assertEquals(pages + 4, f.unit.livePages(), "StreamID 0x124 shares the L2 table of 0x100..0x1ff");
        f.driver.attachDevice(f.unit, HostFixture.device(0x4567, false, false), d);
        assertEquals(pages + 8, f.unit.livePages());
    }

    @Test
    void streamIdBeyondTheTableIsErange() {
        Features features = Features.typical();
        features.streamIdBits = 8;
        HostFixture g = new HostFixture(features);
        DomainDescriptor d = g.driver.allocPagingDomain(g.unit, 0);
        IommuException e = assertThrows(IommuException.class,
                () -> g.driver.attachDevice(g.unit, HostFixture.device(0x100, false, false), d));
        assertEquals(Errno.ERANGE, e.errno());
    }

    @Test
    void atsDeviceGetsEatsAndItsAtcFlushedOnce() throws Exception {
        DeviceInfo ats = HostFixture.device(SID, true, false);
        DomainDescriptor d = f.driver.allocPagingDomain(f.unit, 0);
        int mark = bringUpMark();
        f.driver.attachDevice(f.unit, ats, d);
        assertEquals(1L << 28, f.ste(SID)[1], "EATS = 1 (full ATS)");
        List<Smmuv3Command> cmds = f.commandsSince(mark);
        Smmuv3Command atc = cmds.get(cmds.size() - 2);
        assertEquals(Smmuv3Command.ATC_INV, atc.opcode());
        assertEquals(SID, atc.sid());
        assertEquals(0L, atc.field0(Smmuv3Command.SSV));
        assertEquals(52L, atc.field1(Smmuv3Command.ATC_SIZE_1));
        DomainDescriptor other = f.driver.allocPagingDomain(f.unit, 0);
        mark = f.commands().size();
        f.driver.attachDevice(f.unit, ats, other);
        assertTrue(!f.opcodesSince(mark).contains(Smmuv3Command.ATC_INV), "ATS stayed enabled: no second flush");
    }

    @Test
    void nullDomainIsEinval() {
        IommuException e = assertThrows(IommuException.class, () -> f.driver.attachDevice(f.unit, device, null));
        assertEquals(Errno.EINVAL, e.errno());
    }

    private int bringUpMark() {
        Smmuv3DeviceReset.ensureUp(f.unit);
        return f.commands().size();
    }
}
