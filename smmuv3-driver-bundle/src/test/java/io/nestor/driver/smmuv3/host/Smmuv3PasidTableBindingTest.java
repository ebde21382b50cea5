package io.nestor.driver.smmuv3.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.api.translation.TranslationMode;
import io.nestor.driver.smmuv3.Features;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** VFIO SET / UNSET_PASID_TABLE of the nested-stage series: config checks and the STE written. */
class Smmuv3PasidTableBindingTest {

    private static final int SID = 0x31;
    private static final long CD_TABLE = 0x7000_0000L;
    private final HostFixture f = HostFixture.typical();
    private final DeviceInfo device = HostFixture.device(SID, false, false);
    private final DomainDescriptor parent = f.driver.allocPagingDomain(f.unit, 1);

    /** A valid TRANSLATE config: 2-level 64K-leaf table, 10 PASID bits, S1DSS bypass. */
    private static byte[] config(Consumer<ByteBuffer> edit) {
        ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 40).putInt(4, 1).putInt(8, 1).putLong(16, CD_TABLE).put(24, (byte) 10).put(25, (byte) 1);
        b.putInt(32, 1).put(36, (byte) 2).put(37, (byte) 1);
        edit.accept(b);
        return b.array();
    }

    private void assertRefused(Errno errno, byte[] config) throws Exception {
        long[] before = f.ste(SID);
        int pages = f.unit.livePages();
        IommuException e = assertThrows(IommuException.class, () -> f.driver.setPasidTable(f.unit, device, parent, config));
        assertEquals(errno, e.errno(), e.getMessage());
        assertArrayEquals(before, f.ste(SID));
        assertEquals(pages, f.unit.livePages());
    }

    @Test
    void translateWritesANestedSteOverTheParent() throws Exception {
        f.driver.setPasidTable(f.unit, device, parent, config(b -> { }));
        long[] ste = f.ste(SID);
        // V, Config 0b111, S1Fmt 2, S1ContextPtr, S1CDMax 10
        assertEquals(1 | 7L << 1 | 2L << 4 | CD_TABLE | 10L << 59, ste[0]);
        // S1DSS 1, S1CIR / S1COR WBRA, S1CSH ISH, MEV
        assertEquals(1 | 1L << 2 | 1L << 4 | 3L << 6 | 1L << 19, ste[1]);
        assertEquals(0x044D_3590_0000_0000L | parent.tag(), ste[2], "the parent's stage 2 and VMID");
        assertEquals(parent.rootAddress(), ste[3]);
        // no SubstreamID + S1DSS bypass: the hardware uses stage 2 only, without a CD fetch
        TranslationConfig config = f.driver.decodeConfig(f.unit, device, DeviceInfo.NO_PASID);
        assertEquals(TranslationMode.STAGE2, config.mode());
        assertEquals(parent.tag(), config.domainTag());
    }

    @Test
    void bypassAbortAndUnset() throws Exception {
        f.driver.setPasidTable(f.unit, device, parent, config(b -> b.put(25, (byte) 3)));
        assertArrayEquals(new long[] {1, 0, 0, 0, 0, 0, 0, 0}, f.ste(SID));
        f.driver.setPasidTable(f.unit, device, parent, config(b -> b.put(25, (byte) 2)));
        assertEquals(0xDL, f.ste(SID)[0], "stage 2 only");
        f.driver.setPasidTable(f.unit, device, parent, config(b -> { }));
        f.driver.unsetPasidTable(f.unit, device, parent);
        assertEquals(0xDL, f.ste(SID)[0], "unset goes back to the parent's stage 2");
        assertEquals(parent.rootAddress(), f.ste(SID)[3]);
    }

    @Test
    void headerChecks() throws Exception {
        f.driver.detach(f.unit, device, DeviceInfo.NO_PASID); // brings the SMMU up and gives the SID its L2 table
        assertRefused(Errno.EINVAL, config(b -> b.putInt(0, 32)));
        assertRefused(Errno.EINVAL, config(b -> b.putInt(0, 48)));
        assertRefused(Errno.EINVAL, config(b -> b.putInt(4, 2)));
        assertRefused(Errno.EINVAL, config(b -> b.putInt(8, 2)));
        assertRefused(Errno.EINVAL, config(b -> b.put(25, (byte) 0)));
        assertRefused(Errno.EINVAL, config(b -> b.put(25, (byte) 4)));
    }

    @Test
    void translateChecks() throws Exception {
        f.driver.detach(f.unit, device, DeviceInfo.NO_PASID); // brings the SMMU up and gives the SID its L2 table
        assertRefused(Errno.EINVAL, config(b -> b.putInt(32, 2)));
        assertRefused(Errno.EINVAL, config(b -> b.put(24, (byte) 21)));
        assertRefused(Errno.EINVAL, config(b -> b.put(36, (byte) 3)));
        assertRefused(Errno.EINVAL, config(b -> b.put(37, (byte) 3)));
        assertRefused(Errno.EINVAL, config(b -> b.putLong(16, CD_TABLE + 8)));
        assertRefused(Errno.EINVAL, config(b -> b.putLong(16, 1L << 52)));
        f.driver.setPasidTable(f.unit, device, parent, config(b -> { }));
        assertRefused(Errno.EINVAL, config(b -> b.putLong(16, CD_TABLE + 0x1000)));
    }

    @Test
    void pasidBitsAreBoundedBySsidSize() throws Exception {
        Features features = Features.typical();
        features.pasidBits = 8;
        HostFixture g = new HostFixture(features);
        DomainDescriptor p = g.driver.allocPagingDomain(g.unit, 1);
        IommuException e = assertThrows(IommuException.class,
                () -> g.driver.setPasidTable(g.unit, device, p, config(b -> { })));
        assertEquals(Errno.EINVAL, e.errno());
        g.driver.setPasidTable(g.unit, device, p, config(b -> b.put(24, (byte) 8)));
        assertEquals(8L, g.ste(SID)[0] >>> 59);
    }

    @Test
    void parentAndUnitChecks() throws Exception {
        f.driver.detach(f.unit, device, DeviceInfo.NO_PASID); // brings the SMMU up and gives the SID its L2 table
        DomainDescriptor plain = f.driver.allocPagingDomain(f.unit, 0);
        IommuException e = assertThrows(IommuException.class,
                () -> f.driver.setPasidTable(f.unit, device, plain, config(b -> { })));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> f.driver.unsetPasidTable(f.unit, device, plain)).errno());
        Features features = Features.typical();
        features.hardwareMsiRegion = true;
        HostFixture g = new HostFixture(features);
        DomainDescriptor p = g.driver.allocPagingDomain(g.unit, 1);
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class,
                () -> g.driver.setPasidTable(g.unit, device, p, config(b -> { }))).errno());
    }
}
