package io.nestor.driver.vtd.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.driver.vtd.Features;
import io.nestor.driver.vtd.VtdDriver;
import io.nestor.testkit.TestUnitContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.function.Executable;

/** Test fixture: a reset VT-d unit with memory, the driver, and devices. */
final class HostFixture {

    static final VtdDriver DRIVER = new VtdDriver();

    /** 00:02.0, 20-bit PASID, ATS and PRI. */
    static final DeviceInfo NIC = new DeviceInfo("0000:00:02.0", "dmar0", 0x0010, 20, false, false, true, true);
    /** 03:1f.7 (upper context-table half), no PASID, no ATS. */
    static final DeviceInfo DISK = new DeviceInfo("0000:03:1f.7", "dmar0", 0x03FF, 0, false, false, false, false);
    /** 00:04.0, 8-bit PASID, no ATS. */
    static final DeviceInfo SMALL = new DeviceInfo("0000:00:04.0", "dmar0", 0x0020, 8, false, false, false, false);

    static TestUnitContext unit(Features f) {
        TestUnitContext u = TestUnitContext.withMemory("dmar0", IommuDriver.KIND_INTEL_VTD, f.build());
        DRIVER.reset(u);
        return u;
    }

    static TestUnitContext unit() {
        return unit(Features.typical());
    }

    /** A unit already brought up, its invalidation record cleared. */
    static TestUnitContext upUnit(Features f) {
        TestUnitContext u = unit(f);
        VtdUnitBringUp.ensure(u);
        u.invalidations().clear();
        return u;
    }

    static byte[] s1(long flags, long pgtbl, int addrWidth) {
        return new IommuHwptVtdS1(flags, pgtbl, addrWidth, 0).encode();
    }

    static byte[] inv(long addr, long npages, int flags, int reserved) {
        return new IommuHwptVtdS1Invalidate(addr, npages, flags, reserved).encode();
    }

    static byte[] concat(byte[]... parts) {
        ByteBuffer b = ByteBuffer.allocate(java.util.Arrays.stream(parts).mapToInt(p -> p.length).sum())
                .order(ByteOrder.LITTLE_ENDIAN);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    static IommuException fails(Errno errno, Executable call) {
        IommuException e = assertThrows(IommuException.class, call);
        assertEquals(errno, e.errno(), e.getMessage());
        return e;
    }

    private HostFixture() {
    }
}
