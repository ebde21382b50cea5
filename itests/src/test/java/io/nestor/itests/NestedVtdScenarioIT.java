package io.nestor.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import io.nestor.api.platform.Platform;
import io.nestor.api.platform.UnitState;
import io.nestor.itests.support.Eventually;
import io.nestor.itests.support.Events;
import io.nestor.itests.support.Failures;
import io.nestor.itests.support.GuestPageTables;
import io.nestor.itests.support.GuestRam;
import io.nestor.itests.support.Outside;
import io.nestor.itests.support.RpcFailure;
import io.nestor.itests.support.Services;
import io.nestor.itests.support.VmmSession;
import io.nestor.itests.support.VtdUapiStructs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;

/**
 * A remote VMM drives nested VT-d translation end to end over the gateway's loopback port, with
 * the real VT-d driver in Felix: guest RAM as a session region mapped in an IOAS (GPA = IOVA of the
 * IOAS), 0000:00:02.0 bound, a nest-parent paging HWPT over the IOAS, the guest's x86-64 4-level
 * first-stage table written into guest RAM through {@code Memory.Write}, a nested HWPT from
 * {@code iommu_hwpt_vtd_s1} bytes attached on the RID and on PASID 5, then the device's DMA:
 * translation through both stages, data moving between DMA and guest RAM, a guest PTE change that
 * takes effect only with {@code iommu_hwpt_vtd_s1_invalidate}, and a DMA to an unmapped IOVA
 * faulting with a VT-d fault record that also arrives on the session's event stream.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class NestedVtdScenarioIT {
    private static final String NIC = "0000:00:02.0";
    /** The requester ID of 00:02.0: bus 0, device 2, function 0. */
    private static final int NIC_SOURCE_ID = 0x10;
    private static final long RAM_SIZE = 0x20_0000L;
    private static final long GPA_BASE = 0x4000_0000L;
    private static final long TABLE_POOL = GPA_BASE;
    private static final long DATA1 = GPA_BASE + 0x10_0000L;
    private static final long DATA2 = GPA_BASE + 0x10_1000L;
    /** The guest's I/O virtual address (stage-1 input) and a neighbour it never maps. */
    private static final long GIOVA = 0x7f_1234_5000L;
    private static final long UNMAPPED = GIOVA + 0x1000;
    private static final int PASID = 5;
    private static final int NEST_PARENT = 1;
    private static final int ALLOC_PASID = 8;
    /** IOMMU_HW_INFO_TYPE_INTEL_VTD; ECAP.NEST (bit 26). */
    private static final long HW_INFO_TYPE_INTEL_VTD = 1;
    private static final int ECAP_NEST = 26;
    /** VT-d fault reason for a first-stage entry that is not present (SFL.2). */
    private static final int FR_FIRST_STAGE_NOT_PRESENT = 0x71;

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] configuration() {
        return NestorPlatformOptions.platform();
    }

    @Test
    public void nestedFirstStageOverIoasEndToEnd() throws Exception {
        Platform platform = Services.await(context, Platform.class, null);
        Eventually.assertEventually("dmar0 active", UnitState.ACTIVE,
                () -> platform.unit("dmar0").orElseThrow().state());
        try (VmmSession vmm = Outside.session(NestorPlatformOptions.grpcPort(), "nested-vtd-vmm", 0)) {
            try {
                vmm.subscribe();
                long[] region = vmm.createRegion(RAM_SIZE);
                GuestRam ram = new GuestRam(vmm, region[1], GPA_BASE, RAM_SIZE, region[2]);

                int fd = vmm.iommufdOpen();
                int ioas = vmm.ioasAlloc(fd);
                assertEquals(GPA_BASE, vmm.ioasMap(fd, VmmSession.MAP_FIXED_RW, ioas, region[1], RAM_SIZE, GPA_BASE));
                int dev = vmm.bindIommufd(NIC, fd);

                Map<String, Object> hwInfo = vmm.getHwInfo(fd, dev, 24);
                assertEquals(HW_INFO_TYPE_INTEL_VTD, hwInfo.get("out_data_type"));
                long ecap = ByteBuffer.wrap((byte[]) hwInfo.get("data")).order(ByteOrder.LITTLE_ENDIAN).getLong(16);
                assertEquals("ECAP.NEST of iommu_hw_info_vtd", 1, (ecap >>> ECAP_NEST) & 1);

                int parent = vmm.hwptAlloc(fd, NEST_PARENT, dev, ioas, 0, new byte[0]);

                // The guest builds its first-stage table in its RAM.
                GuestPageTables guest = new GuestPageTables(ram, GuestPageTables.X86_64, TABLE_POOL, 0x10_0000L);
                guest.map(GIOVA, DATA1, true);
                int nested = vmm.hwptAlloc(fd, ALLOC_PASID, dev, parent, VtdUapiStructs.HWPT_DATA_VTD_S1,
                        VtdUapiStructs.hwptVtdS1(0, guest.root(), 48));
                assertEquals(nested, vmm.attach(NIC, nested));
                assertEquals(nested, vmm.pasidAttach(NIC, PASID, nested));

                // Stage 1 (guest table) over stage 2 (the IOAS), on the RID and on the PASID.
                for (int pasid : new int[] {VmmSession.NO_PASID, PASID}) {
                    Map<String, Object> t = only(vmm.translate(fd, dev, pasid, new long[] {GIOVA + 0x123},
                            VmmSession.PERM_READ | VmmSession.PERM_WRITE));
                    assertEquals("pasid " + pasid + ": " + t, ram.hostPhysical(DATA1) + 0x123, t.get("output_address"));
                    assertEquals(0x1000L, t.get("page_size"));
                }

                // The device writes through both stages; the guest sees the data in its RAM.
                byte[] payload = "nested VT-d DMA".getBytes(StandardCharsets.US_ASCII);
                vmm.dmaWrite(fd, dev, VmmSession.NO_PASID, GIOVA + 0x40, payload);
                assertArrayEquals(payload, ram.read(DATA1 + 0x40, payload.length));
                assertArrayEquals(payload, vmm.dmaRead(fd, dev, PASID, GIOVA + 0x40, payload.length));

                // The guest moves the page: stale until it invalidates, then the new translation.
                guest.map(GIOVA, DATA2, true);
                assertEquals("cached until invalidated", ram.hostPhysical(DATA1) + 0x123, output(vmm, fd, dev, VmmSession.NO_PASID));
                assertEquals(1, vmm.hwptInvalidate(fd, nested, VtdUapiStructs.INVALIDATE_DATA_VTD_S1,
                        VtdUapiStructs.INVALIDATE_ENTRY_LEN, 1, VtdUapiStructs.invalidate(GIOVA, 1, 0)));
                assertEquals(ram.hostPhysical(DATA2) + 0x123, output(vmm, fd, dev, VmmSession.NO_PASID));
                assertEquals(ram.hostPhysical(DATA2) + 0x123, output(vmm, fd, dev, PASID));

                // A bad second entry (address not 4 KiB aligned): EINVAL, entry_num says one was handled.
                byte[] twoEntries = ByteBuffer.allocate(2 * VtdUapiStructs.INVALIDATE_ENTRY_LEN)
                        .put(VtdUapiStructs.invalidate(GIOVA, 1, 0)).put(VtdUapiStructs.invalidate(GIOVA + 0x800, 1, 0))
                        .array();
                RpcFailure bad = Failures.failureOf("an unaligned invalidation", () -> vmm.hwptInvalidate(fd, nested,
                        VtdUapiStructs.INVALIDATE_DATA_VTD_S1, VtdUapiStructs.INVALIDATE_ENTRY_LEN, 2, twoEntries));
                assertEquals(bad.toString(), "INVALID_ARGUMENT/EINVAL", bad.code() + "/" + bad.reason());
                assertEquals("entry_num written back", "1", bad.metadata().get("entry_num"));

                // A DMA to an IOVA the guest never mapped: a fault with the unit's record, also on the stream.
                Map<String, Object> fault = only(vmm.translate(fd, dev, VmmSession.NO_PASID, new long[] {UNMAPPED + 8},
                        VmmSession.PERM_READ));
                assertEquals(fault.toString(), "stage1", fault.get("stage"));
                assertEquals("translation", fault.get("reason"));
                byte[] record = (byte[]) fault.get("record");
                assertEquals("a VT-d fault record is 128 bits", 16, record.length);
                ByteBuffer r = ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN);
                long lo = r.getLong(0);
                long hi = r.getLong(8);
                assertEquals("FI: the page of the request's input address", UNMAPPED, lo & ~0xfffL);
                assertEquals("SID", NIC_SOURCE_ID, hi & 0xffff);
                assertEquals("FR", FR_FIRST_STAGE_NOT_PRESENT, (hi >>> 32) & 0xff);
                assertEquals("T: a read", 1, (hi >>> 62) & 1);
                assertEquals("F: fault pending", 1, hi >>> 63);

                Map<String, Object> event = Events.next(vmm, "device_fault");
                assertEquals("dmar0", event.get("unit"));
                assertEquals(NIC, event.get("device"));
                assertEquals(UNMAPPED + 8, event.get("iova"));
                assertEquals("stage1", event.get("stage"));
                assertEquals(false, event.get("pasid_valid"));
                assertArrayEquals("the event carries the unit's record", record, (byte[]) event.get("record"));
            } finally {
                vmm.closeSessionQuietly();
            }
        }
        try (VmmSession observer = Outside.session(NestorPlatformOptions.grpcPort(), "observer", 0)) {
            assertFalse("closing the session unbound " + NIC, observer.listDevices().get(NIC)[0]);
            observer.closeSession();
        }
    }

    private static long output(VmmSession vmm, int fd, int dev, int pasid) {
        return (Long) only(vmm.translate(fd, dev, pasid, new long[] {GIOVA + 0x123}, VmmSession.PERM_READ))
                .getOrDefault("output_address", -1L);
    }

    private static Map<String, Object> only(List<Map<String, Object>> results) {
        assertEquals("results " + results, 1, results.size());
        return results.get(0);
    }
}
