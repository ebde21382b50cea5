package io.nestor.gateway.grpc.vfio;

import static io.nestor.gateway.grpc.CoreGateway.fails;
import static io.nestor.gateway.grpc.vfio.VfioGateway.RAM;
import static io.nestor.gateway.grpc.vfio.VfioGateway.RW;
import static io.nestor.gateway.grpc.vfio.VfioGateway.SMMU_DEVICE;
import static io.nestor.gateway.grpc.vfio.VfioGateway.SMMU_GROUP;
import static io.nestor.gateway.grpc.vfio.VfioGateway.TYPE1V2;
import static io.nestor.gateway.grpc.vfio.VfioGateway.TYPE1_NESTING;
import static io.nestor.gateway.grpc.vfio.VfioGateway.VTD_PRI;
import static io.nestor.gateway.grpc.vfio.VfioGateway.VTD_PRI_GROUP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.nestor.gateway.grpc.proto.DmaPageRequest;
import io.nestor.gateway.grpc.proto.DmaPageResponse;
import io.nestor.gateway.grpc.proto.DmaSource;
import io.nestor.gateway.grpc.proto.Event;
import io.nestor.gateway.grpc.proto.EventsGrpc;
import io.nestor.gateway.grpc.proto.SubscribeRequest;
import io.nestor.gateway.grpc.proto.ContainerOpenRequest;
import io.nestor.gateway.grpc.proto.GetInfoRequest;
import io.nestor.gateway.grpc.proto.GroupSetContainerRequest;
import io.nestor.gateway.grpc.proto.MapDmaRequest;
import io.nestor.gateway.grpc.proto.NestingOpRequest;
import io.nestor.gateway.grpc.proto.PasidRequestRequest;
import io.nestor.gateway.grpc.proto.Region;
import io.nestor.gateway.grpc.proto.SetIommuRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vSVA nesting ops over gRPC with the real drivers: on VT-d a guest first-stage table written in
 * guest RAM through Memory, bound to a host PASID with BIND_PGTBL (the {@code iommu_gpasid_bind_data}
 * bytes a VMM builds) and invalidated with CACHE_INVLD ({@code iommu_cache_invalidate_info}); on
 * SMMUv3 the guest's CD table installed with SET_PASID_TABLE ({@code iommu_pasid_table_config});
 * PAGE_RESP answering a PRI page request of the container's device; PASID requests within the session's
 * quota.
 */
class VfioNestingGrpcTest {
    /** VT-d first-stage entry bits (VT-d 9.7): present, read / write, user. */
    private static final long P = 1, W = 1 << 1, U = 1 << 2;

    @TempDir
    Path regionDir;

    private VfioGateway g;
    private VfioGateway.Client c;
    private Region ram;

    @BeforeEach
    void start() throws Exception {
        g = new VfioGateway(regionDir);
        c = g.client("qemu");
        ram = c.region(RAM);
    }

    @AfterEach
    void stop() throws Exception {
        g.close();
    }

    /** A TYPE1_NESTING container over {@code group} with guest RAM mapped 1:1 at GPA 0. */
    private int nestingContainer(int group) {
        int container = c.vfio.open(ContainerOpenRequest.getDefaultInstance()).getContainer();
        c.vfio.groupSetContainer(GroupSetContainerRequest.newBuilder().setContainer(container).setGroup(group).build());
        c.vfio.setIommu(SetIommuRequest.newBuilder().setContainer(container).setType(TYPE1_NESTING).build());
        c.vfio.mapDma(MapDmaRequest.newBuilder().setContainer(container).setFlags(RW).setVaddr(ram.getUserVa())
                .setIova(0).setSize(RAM).build());
        return container;
    }

    private void guestWrite(long gpa, long value) {
        c.write64(ram.getUserVa() + gpa, value);
    }

    private int pasid(int container, int flags, int min, int max) {
        return c.vfio.pasidRequest(PasidRequestRequest.newBuilder().setContainer(container).setFlags(flags)
                .setMin(min).setMax(max).build()).getPasid();
    }

    private void nestingOp(int container, int op, byte[] data, String device) {
        c.vfio.nestingOp(NestingOpRequest.newBuilder().setContainer(container).setFlags(op)
                .setData(ByteString.copyFrom(data)).setDevice(device).build());
    }

    /** {@code struct iommu_gpasid_bind_data} (72 bytes): VT-d format, GPASID_VAL, 48-bit guest tables. */
    private static byte[] bindData(long gpgd, int hpasid, int gpasid) {
        return ByteBuffer.allocate(72).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 72).putInt(4, 1).putInt(8, 1)
                .putInt(12, 48).putLong(16, 1).putLong(24, gpgd).putLong(32, hpasid).putLong(40, gpasid).array();
    }

    /** {@code struct iommu_cache_invalidate_info}: version 1, cache IOTLB, PASID granularity, the PASID. */
    private static byte[] pasidInvalidation(int pasid) {
        return ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 32).putInt(4, 1)
                .put(8, (byte) 1).put(9, (byte) 1).putInt(16, 1).putLong(24, pasid).array();
    }

    @Test
    void vtdBindPgtblGivesNestedTranslationUntilTheGuestInvalidates() {
        int container = nestingContainer(VTD_PRI_GROUP);
        long pa = ram.getHostPhysicalBase();
        assertEquals(pa + 0x12_3456, c.output(VTD_PRI, -1, 0x12_3456, 1), "GPA -> host PA through stage 2");

        // the NESTING capability is in GET_INFO's chain: format VT-d, BIND_PGTBL and CACHE_INVLD
        ByteBuffer info = c.vfio.getInfo(GetInfoRequest.newBuilder().setContainer(container).setArgsz(4096).build())
                .getInfo().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        int cap = info.getInt(16);
        while (cap != 0 && info.getShort(cap) != 4) {
            cap = info.getInt(cap + 4);
        }
        assertNotEquals(0, cap, "a NESTING capability");
        assertEquals(1, info.getInt(cap + 8 + 8), "IOMMU_PASID_FORMAT_INTEL_VTD");
        int features = info.getInt(cap + 8 + 12);
        assertEquals(0b111, features & 0b111, "SYSWIDE_PASID | BIND_PGTBL | CACHE_INVLD");

        long gva = 0x4000_0000L;
        guestWrite(0x1000 + 8 * ((gva >>> 39) & 511), 0x2000 | P | W | U);
        guestWrite(0x2000 + 8 * ((gva >>> 30) & 511), 0x3000 | P | W | U);
        guestWrite(0x3000 + 8 * ((gva >>> 21) & 511), 0x4000 | P | W | U);
        guestWrite(0x4000 + 8 * ((gva >>> 12) & 511), 0x80_0000 | P | W | U);

        int pasid = pasid(container, 1, 1, 1000);
        assertTrue(pasid >= 1 && pasid <= 1000, "PASID " + pasid);
        assertEquals(-1, c.output(VTD_PRI, pasid, gva, 1), "nothing bound to the PASID yet");
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> nestingOp(container, 0, bindData(0x1000, pasid, 42),
                "0000:00:03.0")); // not in the container
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> nestingOp(container, 0x1_0000, bindData(0x1000, pasid,
                42), ""));
        nestingOp(container, 0, bindData(0x1000, pasid, 42), "");
        assertEquals(pa + 0x80_0123, c.output(VTD_PRI, pasid, gva + 0x123, 1), "gVA -> GPA -> host PA");
        assertEquals(-1, c.output(VTD_PRI, pasid, gva + 0x1000, 1), "the guest mapped one page");

        // the guest moves its page; the IOTLB keeps the old translation until CACHE_INVLD
        guestWrite(0x4000 + 8 * ((gva >>> 12) & 511), 0x90_0000 | P | W | U);
        assertEquals(pa + 0x80_0010, c.output(VTD_PRI, pasid, gva + 0x10, 1), "stale until invalidated");
        nestingOp(container, 2, pasidInvalidation(pasid), VTD_PRI);
        assertEquals(pa + 0x90_0010, c.output(VTD_PRI, pasid, gva + 0x10, 1));
        fails(Status.Code.INVALID_ARGUMENT, "EFAULT", () -> nestingOp(container, 2, new byte[8], "")); // short

        nestingOp(container, 1, bindData(0x1000, pasid, 42), ""); // UNBIND_PGTBL
        assertEquals(-1, c.output(VTD_PRI, pasid, gva, 1), "unbound");
        // SET_PASID_TABLE is the SMMUv3 model
        fails(Status.Code.UNIMPLEMENTED, "EOPNOTSUPP", () -> nestingOp(container, 3, new byte[40], ""));
    }

    /**
     * PAGE_RESP: a PRI page request of the container's device waits until the VMM answers its group
     * through the container ({@code iommu_page_response}), and the unit's response reaches the device.
     */
    @Test
    void pageRespAnswersTheDevicesPageRequest() throws Exception {
        int container = nestingContainer(VTD_PRI_GROUP);
        BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        EventsGrpc.newStub(g.core.as(c.session)).subscribe(SubscribeRequest.getDefaultInstance(),
                new StreamObserver<Event>() {
                    @Override
                    public void onNext(Event value) {
                        events.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        ExecutorService device = Executors.newSingleThreadExecutor();
        try {
            Future<DmaPageResponse> answer = device.submit(() -> c.dma.pageRequest(DmaPageRequest.newBuilder()
                    .setSource(DmaSource.newBuilder().setDevice(VTD_PRI).setPasidValid(true).setPasid(7))
                    .setAddr(0x4000_0000L).setPerm(3).setGrpid(5).setLastPage(true).build()));
            Event e = events.poll(10, TimeUnit.SECONDS);
            assertNotNull(e, "the page request reaches the session owning the device");
            assertEquals(Event.KindCase.PAGE_FAULT, e.getKindCase());
            // iommu_page_response: argsz 24, version 1, PASID_VALID, pasid 7, grpid 5, code SUCCESS
            byte[] response = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 24).putInt(4, 1)
                    .putInt(8, 1).putInt(12, 7).putInt(16, 5).putInt(20, 0).array();
            fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> nestingOp(container, 5, response, "")); // no device
            byte[] badVersion = response.clone();
            badVersion[4] = 2;
            fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> nestingOp(container, 5, badVersion, VTD_PRI));
            nestingOp(container, 5, response, VTD_PRI);
            assertEquals(0, answer.get(10, TimeUnit.SECONDS).getCode(), "the PCIe success code");
        } finally {
            device.shutdownNow();
        }
    }

    @Test
    void pasidRequestsStayWithinTheSessionsQuota() {
        int container = nestingContainer(VTD_PRI_GROUP);
        int[] got = new int[4];
        for (int i = 0; i < 4; i++) {
            got[i] = pasid(container, 1, 1, 1000);
        }
        fails(Status.Code.RESOURCE_EXHAUSTED, "ENOSPC", () -> pasid(container, 1, 1, 1000));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> pasid(container, 3, 1, 1000)); // both
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> pasid(container, 2, 10, 1)); // min > max
        assertEquals(0, pasid(container, 2, got[0], got[0]));
        int again = pasid(container, 1, 1, 1000);
        assertTrue(again >= 1, "a freed PASID makes room");
        fails(Status.Code.RESOURCE_EXHAUSTED, "ENOSPC", () -> pasid(container, 1, 1, 1000));
        assertEquals(0, pasid(container, 2, 0, Integer.MAX_VALUE), "FREE of the whole range");
        for (int i = 0; i < 4; i++) {
            pasid(container, 1, 1, 1000);
        }

        // a TYPE1v2 container has no system-wide PASIDs
        int plain = c.vfio.open(ContainerOpenRequest.getDefaultInstance()).getContainer();
        c.vfio.groupSetContainer(GroupSetContainerRequest.newBuilder().setContainer(plain).setGroup(2).build());
        c.vfio.setIommu(SetIommuRequest.newBuilder().setContainer(plain).setType(TYPE1V2).build());
        fails(Status.Code.UNIMPLEMENTED, "EOPNOTSUPP", () -> pasid(plain, 1, 1, 1000));
    }

    @Test
    void smmuSetPasidTableGivesNestedTranslationBySubstream() {
        int container = nestingContainer(SMMU_GROUP);
        long pa = ram.getHostPhysicalBase();
        assertEquals(pa + 0x12_3000, c.output(SMMU_DEVICE, -1, 0x12_3000, 1));

        // guest stage 1 (VMSAv8-64, 4 KiB granule, 48-bit VA): gVA 0x4000_0000 -> GPA 0xA0_0000
        long gva = 0x4000_0000L;
        long table = 0b11;
        long page = 0b11 | 1L << 10 | 1L << 6; // page, AF, AP[1] = EL0 read / write
        guestWrite(0x1000 + 8 * ((gva >>> 39) & 511), 0x2000 | table);
        guestWrite(0x2000 + 8 * ((gva >>> 30) & 511), 0x3000 | table);
        guestWrite(0x3000 + 8 * ((gva >>> 21) & 511), 0x4000 | table);
        guestWrite(0x4000 + 8 * ((gva >>> 12) & 511), 0xA0_0000 | page);
        // a linear CD table at GPA 0x8000; SubstreamID 1's CD: T0SZ 16, TG0 4K, V, IPS 48-bit, AA64, ASID 5
        guestWrite(0x8000 + 64, 16 | 1L << 31 | 5L << 32 | 1L << 41 | 5L << 48);
        guestWrite(0x8000 + 64 + 8, 0x1000);
        // iommu_pasid_table_config: argsz 40, version 1, format SMMUv3, base 0x8000, 4 PASID bits,
        // config TRANSLATE, linear table (s1fmt 0), S1DSS bypass
        byte[] config = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 40).putInt(4, 1)
                .putInt(8, 1).putLong(16, 0x8000).put(24, (byte) 4).put(25, (byte) 1).putInt(32, 1)
                .put(36, (byte) 0).put(37, (byte) 1).array();
        fails(Status.Code.UNIMPLEMENTED, "EOPNOTSUPP", () -> nestingOp(container, 0, bindData(0x1000, 1, 1), ""));
        nestingOp(container, 3, config, "");
        assertEquals(pa + 0xA0_0042, c.output(SMMU_DEVICE, 1, gva + 0x42, 1), "gVA -> GPA -> host PA");
        assertEquals(pa + 0x12_3000, c.output(SMMU_DEVICE, -1, 0x12_3000, 1), "S1DSS bypass: stage 2 only");
        nestingOp(container, 4, new byte[0], SMMU_DEVICE);
        assertEquals(-1, c.output(SMMU_DEVICE, 1, gva, 1), "back to the parent's stage 2 alone");
    }
}
