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
import io.nestor.itests.support.Smmuv3GuestStructs;
import io.nestor.itests.support.VmmSession;
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
 * A remote VMM drives nested SMMUv3 translation end to end over the gateway's loopback port, with
 * the real SMMUv3 driver in Felix: guest RAM mapped in an IOAS (GPA = IOVA of the IOAS),
 * 0001:00:01.0 bound, a nest-parent paging HWPT, a vIOMMU over it with a vDEVICE (vSID 0x40), the
 * guest's linear CD table (one CD) and VMSAv8-64 4 KiB stage-1 table written into guest RAM through
 * {@code Memory.Write}, a nested HWPT from the guest STE ({@code iommu_hwpt_arm_smmuv3}) attached,
 * then the device's DMA through both stages, a guest change that a raw CMD_TLBI_NH_VA through the
 * vIOMMU makes visible, and a translation fault with its SMMUv3 event record on the event stream —
 * once as the host's DeviceFaultEvent, and, with a vEVENTQ on the vIOMMU, as the guest's vEVENT
 * whose StreamID is the vSID.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class NestedSmmuv3ScenarioIT {
    private static final String ARM = "0001:00:01.0";
    /** StreamID = RID of 00:01.0 in its segment: bus 0, device 1, function 0. */
    private static final long ARM_STREAM_ID = 0x08;
    private static final long VSID = 0x40;
    private static final int ASID = 7;
    private static final long RAM_SIZE = 0x20_0000L;
    private static final long GPA_BASE = 0x4000_0000L;
    private static final long CD_TABLE = GPA_BASE;
    private static final long TABLE_POOL = GPA_BASE + 0x1000;
    private static final long DATA1 = GPA_BASE + 0x10_0000L;
    private static final long DATA2 = GPA_BASE + 0x10_2000L;
    private static final long GIOVA = 0x7f_1234_5000L;
    private static final long UNMAPPED = GIOVA + 0x1000;
    private static final int NEST_PARENT = 1;
    /** IOMMU_HW_INFO_TYPE_ARM_SMMUV3. */
    private static final long HW_INFO_TYPE_ARM_SMMUV3 = 2;
    /** SMMUv3 event F_TRANSLATION. */
    private static final int F_TRANSLATION = 0x10;

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] configuration() {
        return NestorPlatformOptions.platform();
    }

    @Test
    public void nestedStage1ThroughAViommuEndToEnd() throws Exception {
        Platform platform = Services.await(context, Platform.class, null);
        Eventually.assertEventually("smmu0 active", UnitState.ACTIVE,
                () -> platform.unit("smmu0").orElseThrow().state());
        try (VmmSession vmm = Outside.session(NestorPlatformOptions.grpcPort(), "nested-smmu-vmm", 0)) {
            try {
                vmm.subscribe();
                long[] region = vmm.createRegion(RAM_SIZE);
                GuestRam ram = new GuestRam(vmm, region[1], GPA_BASE, RAM_SIZE, region[2]);

                int fd = vmm.iommufdOpen();
                int ioas = vmm.ioasAlloc(fd);
                assertEquals(GPA_BASE, vmm.ioasMap(fd, VmmSession.MAP_FIXED_RW, ioas, region[1], RAM_SIZE, GPA_BASE));
                int dev = vmm.bindIommufd(ARM, fd);
                assertEquals(HW_INFO_TYPE_ARM_SMMUV3, vmm.getHwInfo(fd, dev, 40).get("out_data_type"));

                int parent = vmm.hwptAlloc(fd, NEST_PARENT, dev, ioas, 0, new byte[0]);
                int viommu = vmm.viommuAlloc(fd, Smmuv3GuestStructs.VIOMMU_TYPE_ARM_SMMUV3, dev, parent);
                vmm.vdeviceAlloc(fd, viommu, dev, VSID);

                // The guest's CD table (one CD) and stage-1 table, in its RAM.
                GuestPageTables guest = new GuestPageTables(ram, GuestPageTables.VMSA_4K, TABLE_POOL, 0xf_0000L);
                guest.map(GIOVA, DATA1, true);
                ram.write(CD_TABLE, Smmuv3GuestStructs.contextDescriptor(ASID, guest.root()));
                int nested = vmm.hwptAlloc(fd, 0, dev, viommu, Smmuv3GuestStructs.HWPT_DATA_ARM_SMMUV3,
                        Smmuv3GuestStructs.steS1Translate(CD_TABLE, 0));
                assertEquals(nested, vmm.attach(ARM, nested));

                Map<String, Object> t = only(vmm.translate(fd, dev, VmmSession.NO_PASID, new long[] {GIOVA + 0x321},
                        VmmSession.PERM_READ | VmmSession.PERM_WRITE));
                assertEquals(t.toString(), ram.hostPhysical(DATA1) + 0x321, t.get("output_address"));
                assertEquals(0x1000L, t.get("page_size"));

                byte[] payload = "nested SMMUv3 DMA".getBytes(StandardCharsets.US_ASCII);
                vmm.dmaWrite(fd, dev, VmmSession.NO_PASID, GIOVA + 0x80, payload);
                assertArrayEquals(payload, ram.read(DATA1 + 0x80, payload.length));
                ram.write(DATA1 + 0x100, payload);
                assertArrayEquals(payload, vmm.dmaRead(fd, dev, VmmSession.NO_PASID, GIOVA + 0x100, payload.length));

                // The guest moves the page; its TLBI through the vIOMMU (VMID the vIOMMU's) makes it visible.
                guest.map(GIOVA, DATA2, true);
                assertEquals("cached until invalidated", ram.hostPhysical(DATA1) + 0x321, output(vmm, fd, dev));
                assertEquals(1, vmm.hwptInvalidate(fd, viommu, Smmuv3GuestStructs.INVALIDATE_DATA_ARM_SMMUV3,
                        Smmuv3GuestStructs.COMMAND_LEN, 1, Smmuv3GuestStructs.tlbiNhVa(ASID, GIOVA, true)));
                assertEquals(ram.hostPhysical(DATA2) + 0x321, output(vmm, fd, dev));

                // A CMD_CFGI_CD for a vSID with no vDEVICE: EIO after the good command went out.
                byte[] cfgiUnknownVsid = ByteBuffer.allocate(Smmuv3GuestStructs.COMMAND_LEN)
                        .order(ByteOrder.LITTLE_ENDIAN).putLong(Smmuv3GuestStructs.CMD_CFGI_CD | ((VSID + 1) << 32))
                        .putLong(0).array();
                byte[] two = ByteBuffer.allocate(2 * Smmuv3GuestStructs.COMMAND_LEN)
                        .put(Smmuv3GuestStructs.tlbiNhVa(ASID, GIOVA, true)).put(cfgiUnknownVsid).array();
                RpcFailure bad = Failures.failureOf("CFGI_CD of an unknown vSID", () -> vmm.hwptInvalidate(fd, viommu,
                        Smmuv3GuestStructs.INVALIDATE_DATA_ARM_SMMUV3, Smmuv3GuestStructs.COMMAND_LEN, 2, two));
                assertEquals(bad.toString(), "EIO", bad.reason());
                assertEquals("entry_num written back", "1", bad.metadata().get("entry_num"));

                // An IOVA the guest never mapped: F_TRANSLATION, stage 1, with the unit's event record.
                Map<String, Object> fault = only(vmm.translate(fd, dev, VmmSession.NO_PASID, new long[] {UNMAPPED + 0x10},
                        VmmSession.PERM_READ));
                assertEquals(fault.toString(), "stage1", fault.get("stage"));
                assertEquals("translation", fault.get("reason"));
                byte[] record = (byte[]) fault.get("record");
                assertEquals("an SMMUv3 event record is 32 bytes", 32, record.length);
                ByteBuffer r = ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN);
                assertEquals("event type", F_TRANSLATION, r.getLong(0) & 0xff);
                assertEquals("StreamID", ARM_STREAM_ID, r.getLong(0) >>> 32);
                assertEquals("InputAddr", UNMAPPED + 0x10, r.getLong(16));
                assertEquals("S2: a stage-1 fault", 0, (r.getLong(8) >>> 39) & 1);

                Map<String, Object> event = Events.next(vmm, "device_fault");
                assertEquals("smmu0", event.get("unit"));
                assertEquals(ARM, event.get("device"));
                assertEquals(UNMAPPED + 0x10, event.get("iova"));
                assertArrayEquals("the event carries the unit's record", record, (byte[]) event.get("record"));

                // With a vEVENTQ on the vIOMMU the guest gets its own event: the record with the vSID.
                int veventq = vmm.veventqAlloc(fd, viommu, Smmuv3GuestStructs.VEVENTQ_TYPE_ARM_SMMUV3, 16);
                assertEquals(-1L, vmm.translateOutputs(fd, dev, VmmSession.NO_PASID, new long[] {UNMAPPED + 0x20},
                        VmmSession.PERM_READ)[0]);
                Map<String, Object> vevent = Events.next(vmm, "vevent");
                assertEquals((long) fd, vevent.get("iommufd"));
                assertEquals((long) veventq, vevent.get("veventq_id"));
                ByteBuffer v = ByteBuffer.wrap((byte[]) vevent.get("vevent")).order(ByteOrder.LITTLE_ENDIAN);
                assertEquals("iommufd_vevent_header + iommu_vevent_arm_smmuv3", 8 + 32, v.capacity());
                assertEquals("header flags: no lost events", 0, v.getInt(0));
                assertEquals("the queue's first sequence", 0, v.getInt(4));
                assertEquals("event type", F_TRANSLATION, v.getLong(8) & 0xff);
                assertEquals("the StreamID replaced by the vSID", VSID, v.getLong(8) >>> 32);
                assertEquals("InputAddr", UNMAPPED + 0x20, v.getLong(8 + 16));
            } finally {
                vmm.closeSessionQuietly();
            }
        }
        try (VmmSession observer = Outside.session(NestorPlatformOptions.grpcPort(), "observer", 0)) {
            assertFalse("closing the session unbound " + ARM, observer.listDevices().get(ARM)[0]);
            observer.closeSession();
        }
    }

    private static long output(VmmSession vmm, int fd, int dev) {
        return (Long) only(vmm.translate(fd, dev, VmmSession.NO_PASID, new long[] {GIOVA + 0x321},
                VmmSession.PERM_READ)).getOrDefault("output_address", -1L);
    }

    private static Map<String, Object> only(List<Map<String, Object>> results) {
        assertEquals("results " + results, 1, results.size());
        return results.get(0);
    }
}
