package io.nestor.gateway.grpc.vfio;

import static io.nestor.gateway.grpc.CoreGateway.fails;
import static io.nestor.gateway.grpc.vfio.VfioGateway.DMA_CC;
import static io.nestor.gateway.grpc.vfio.VfioGateway.RAM;
import static io.nestor.gateway.grpc.vfio.VfioGateway.RW;
import static io.nestor.gateway.grpc.vfio.VfioGateway.TYPE1;
import static io.nestor.gateway.grpc.vfio.VfioGateway.TYPE1V2;
import static io.nestor.gateway.grpc.vfio.VfioGateway.TYPE1_NESTING;
import static io.nestor.gateway.grpc.vfio.VfioGateway.UNMAP_ALL_EXTENSION;
import static io.nestor.gateway.grpc.vfio.VfioGateway.UPDATE_VADDR;
import static io.nestor.gateway.grpc.vfio.VfioGateway.VTD_PRI;
import static io.nestor.gateway.grpc.vfio.VfioGateway.VTD_PRI_GROUP;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.nestor.api.session.SessionQuotas;
import io.nestor.gateway.grpc.proto.CheckExtensionRequest;
import io.nestor.gateway.grpc.proto.ContainerCloseRequest;
import io.nestor.gateway.grpc.proto.ContainerOpenRequest;
import io.nestor.gateway.grpc.proto.DirtyPagesRequest;
import io.nestor.gateway.grpc.proto.DmaResult;
import io.nestor.gateway.grpc.proto.DmaSource;
import io.nestor.gateway.grpc.proto.DmaWriteRequest;
import io.nestor.gateway.grpc.proto.GetApiVersionRequest;
import io.nestor.gateway.grpc.proto.GetInfoRequest;
import io.nestor.gateway.grpc.proto.GetInfoResponse;
import io.nestor.gateway.grpc.proto.GroupSetContainerRequest;
import io.nestor.gateway.grpc.proto.MapDmaRequest;
import io.nestor.gateway.grpc.proto.Region;
import io.nestor.gateway.grpc.proto.SetIommuRequest;
import io.nestor.gateway.grpc.proto.UnmapDmaRequest;
import io.nestor.gateway.grpc.proto.UnmapDmaResponse;
import io.nestor.gateway.grpc.proto.VfioBitmap;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * nestor.v1.VfioContainer against the real core and the real VT-d driver: a TYPE1v2 container over
 * dmar0's group 0, its mappings seen by Dma.Translate, the v2 unmap rules, GET_INFO for a few buffer
 * sizes parsed back as a VMM parses them, dirty pages after a device write, and the object quota.
 */
class VfioContainerGrpcTest {
    @TempDir
    Path regionDir;

    private VfioGateway g;

    @AfterEach
    void stop() throws Exception {
        if (g != null) {
            g.close();
        }
    }

    private static int open(VfioGateway.Client c) {
        return c.vfio.open(ContainerOpenRequest.getDefaultInstance()).getContainer();
    }

    private static int check(VfioGateway.Client c, int container, int extension) {
        return c.vfio.checkExtension(CheckExtensionRequest.newBuilder().setContainer(container)
                .setExtension(extension).build()).getResult();
    }

    private static void setContainer(VfioGateway.Client c, int container, int group) {
        c.vfio.groupSetContainer(GroupSetContainerRequest.newBuilder().setContainer(container).setGroup(group).build());
    }

    private static void setIommu(VfioGateway.Client c, int container, int type) {
        c.vfio.setIommu(SetIommuRequest.newBuilder().setContainer(container).setType(type).build());
    }

    private static void map(VfioGateway.Client c, int container, long vaddr, long iova, long size) {
        c.vfio.mapDma(MapDmaRequest.newBuilder().setContainer(container).setFlags(RW).setVaddr(vaddr).setIova(iova)
                .setSize(size).build());
    }

    private static UnmapDmaResponse unmap(VfioGateway.Client c, int container, int flags, long iova, long size) {
        return c.vfio.unmapDma(UnmapDmaRequest.newBuilder().setContainer(container).setFlags(flags).setIova(iova)
                .setSize(size).build());
    }

    @Test
    void apiVersionAndExtensionsAsType1AnswersThem() {
        g = start();
        VfioGateway.Client c = g.client("qemu");
        int container = open(c);
        assertEquals(0, c.vfio.getApiVersion(GetApiVersionRequest.newBuilder().setContainer(container).build())
                .getApiVersion());
        assertEquals(1, check(c, container, TYPE1));
        assertEquals(1, check(c, container, TYPE1V2));
        assertEquals(1, check(c, container, UNMAP_ALL_EXTENSION));
        assertEquals(1, check(c, container, TYPE1_NESTING), "every unit of the default topology nests");
        assertEquals(0, check(c, container, DMA_CC), "no backend yet");
        assertEquals(0, check(c, container, UPDATE_VADDR));
        assertEquals(0, check(c, container, 2), "SPAPR");
        // every ioctl after SET_IOMMU needs one
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> c.vfio.getInfo(GetInfoRequest.newBuilder()
                .setContainer(container).setArgsz(4096).build()));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> setIommu(c, container, TYPE1V2)); // no group
        setContainer(c, container, VTD_PRI_GROUP);
        fails(Status.Code.NOT_FOUND, "ENODEV", () -> setIommu(c, container, 2)); // SPAPR: no driver
        setIommu(c, container, TYPE1V2);
        assertEquals(1, check(c, container, DMA_CC));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> setIommu(c, container, TYPE1V2)); // a second time
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> setContainer(c, container, 99));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> setContainer(c, container, VTD_PRI_GROUP)); // again
    }

    @Test
    void mappingsReachTheDeviceAndV2RefusesToSplitThem() {
        g = start();
        VfioGateway.Client c = g.client("qemu");
        Region ram = c.region(RAM);
        int container = open(c);
        setContainer(c, container, VTD_PRI_GROUP);
        setIommu(c, container, TYPE1V2);
        long pa = ram.getHostPhysicalBase();
        assertEquals(-1, c.output(VTD_PRI, -1, 0x1000, 1), "nothing mapped yet: the device faults");

        map(c, container, ram.getUserVa(), 0x10_0000, 0x4000);
        map(c, container, ram.getUserVa() + 0x8000, 0x20_0000, 0x2000);
        DmaResult r = c.translate(VTD_PRI, -1, 0x10_2345, 3);
        assertEquals(DmaResult.OutcomeCase.TRANSLATION, r.getOutcomeCase(), r.toString());
        assertEquals(pa + 0x2345, r.getTranslation().getOutputAddress());
        assertEquals(pa + 0x8010, c.output(VTD_PRI, -1, 0x20_0010, 2));
        assertEquals(-1, c.output(VTD_PRI, -1, 0x10_4000, 1), "beyond the first mapping");
        fails(Status.Code.ALREADY_EXISTS, "EEXIST", () -> map(c, container, ram.getUserVa(), 0x10_2000, 0x1000));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> map(c, container, ram.getUserVa(), 0x30_0800, 0x1000));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> c.vfio.mapDma(MapDmaRequest.newBuilder()
                .setContainer(container).setFlags(RW | 4).setVaddr(ram.getUserVa()).setIova(0x30_0000)
                .setSize(0x1000).build())); // VADDR is not offered

        // v2: an unmap cutting a mapping is EINVAL and changes nothing
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> unmap(c, container, 0, 0x10_1000, 0x1000));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> unmap(c, container, 0, 0x10_0000, 0x2000));
        assertEquals(pa + 0x1000, c.output(VTD_PRI, -1, 0x10_1000, 1), "still mapped");
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> unmap(c, container, 2, 0x10_0000, 0x4000)); // ALL + range
        assertEquals(0x4000, unmap(c, container, 0, 0x10_0000, 0x4000).getSize());
        assertEquals(-1, c.output(VTD_PRI, -1, 0x10_1000, 1));
        assertEquals(0, unmap(c, container, 0, 0x10_0000, 0x4000).getSize(), "nothing left there");
        assertEquals(0x2000, unmap(c, container, 2, 0, 0).getSize(), "UNMAP_ALL");
        assertEquals(-1, c.output(VTD_PRI, -1, 0x20_0010, 1));
    }

    /** The capabilities of a GET_INFO buffer by id: {@code [offset, version]}, following {@code next}. */
    private static List<int[]> caps(ByteBuffer info, int capOffset) {
        List<int[]> out = new ArrayList<>();
        for (int at = capOffset; at != 0; at = info.getInt(at + 4)) {
            assertEquals(0, at % 8, "capabilities are 8-byte aligned");
            assertTrue(at + 8 <= info.capacity(), "capability header inside the buffer");
            out.add(new int[] {info.getShort(at), info.getShort(at + 2), at});
        }
        return out;
    }

    @Test
    void getInfoFillsTheCallersBufferAsTheKernelDoes() {
        g = start();
        VfioGateway.Client c = g.client("qemu");
        Region ram = c.region(RAM);
        int container = open(c);
        setContainer(c, container, VTD_PRI_GROUP);
        setIommu(c, container, TYPE1V2);
        map(c, container, ram.getUserVa(), 0, 0x10_0000);

        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> c.vfio.getInfo(GetInfoRequest.newBuilder()
                .setContainer(container).setArgsz(15).build()));

        // 16 bytes: the header up to iova_pgsizes; the chain does not fit, argsz is raised
        GetInfoResponse small = c.vfio.getInfo(GetInfoRequest.newBuilder().setContainer(container).setArgsz(16).build());
        assertEquals(16, small.getInfo().size());
        assertEquals(3, small.getFlags(), "PGSIZES | CAPS");
        assertEquals(0, small.getCapOffset());
        long needed = Integer.toUnsignedLong(small.getArgsz());
        assertTrue(needed > 24, "argsz raised to the whole info with its chain: " + needed);
        ByteBuffer head = small.getInfo().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(needed, Integer.toUnsignedLong(head.getInt(0)));
        assertEquals(small.getIovaPgsizes(), head.getLong(8));
        assertEquals(0x1000L, Long.lowestOneBit(small.getIovaPgsizes()), "the smallest page is 4 KiB");

        // 24 bytes: the whole header, still no chain
        GetInfoResponse header = c.vfio.getInfo(GetInfoRequest.newBuilder().setContainer(container).setArgsz(24)
                .build());
        assertEquals(24, header.getInfo().size());
        assertEquals(needed, Integer.toUnsignedLong(header.getArgsz()));
        assertEquals(0, header.getCapOffset());

        // exactly the size needed, and a larger buffer: the chain at 24, the buffer no longer than needed
        for (long argsz : new long[] {needed, 4096}) {
            GetInfoResponse full = c.vfio.getInfo(GetInfoRequest.newBuilder().setContainer(container)
                    .setArgsz((int) argsz).build());
            assertEquals(needed, full.getInfo().size());
            assertEquals(argsz, Integer.toUnsignedLong(full.getArgsz()), "argsz unchanged when it fits");
            assertEquals(24, full.getCapOffset());
            ByteBuffer info = full.getInfo().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(24, info.getInt(16));
            List<int[]> chain = caps(info, 24);
            // vfio_iommu_type1_get_info's order: MIGRATION, DMA_AVAIL, IOVA_RANGE; no NESTING in TYPE1v2
            assertEquals(List.of(2, 3, 1), chain.stream().map(x -> x[0]).toList());
            int migration = chain.get(0)[2]; // vfio_iommu_type1_info_cap_migration: flags, pgsize_bitmap, max size
            assertEquals(0x1000L, Long.lowestOneBit(info.getLong(migration + 16)), "dirty pages of 4 KiB");
            assertTrue(info.getLong(migration + 24) > 0, "max_dirty_bitmap_size");
            int[] ranges = chain.stream().filter(x -> x[0] == 1).findFirst().orElseThrow();
            int at = ranges[2];
            assertEquals(2, info.getInt(at + 8), "nr_iovas: dmar0's interrupt range is left out");
            assertEquals(0, info.getLong(at + 16));
            assertEquals(0xfedf_ffffL, info.getLong(at + 24));
            assertEquals(0xfef0_0000L, info.getLong(at + 32));
            int[] avail = chain.stream().filter(x -> x[0] == 3).findFirst().orElseThrow();
            assertEquals(65535 - 1, info.getInt(avail[2] + 8), "DMA_AVAIL after one mapping");
        }
    }

    @Test
    void dirtyPagesReportWhatTheDeviceWrote() {
        g = start();
        VfioGateway.Client c = g.client("qemu");
        Region ram = c.region(RAM);
        int container = open(c);
        setContainer(c, container, VTD_PRI_GROUP);
        setIommu(c, container, TYPE1V2);
        // 1 MiB: below the 2 MiB superpage, so the second stage has 4 KiB leaves, one dirty bit each
        map(c, container, ram.getUserVa(), 0, 0x10_0000);
        VfioBitmap bitmap = VfioBitmap.newBuilder().setPgsize(0x1000).setSize(0x100 / 64 * 8).build();
        DirtyPagesRequest get = DirtyPagesRequest.newBuilder().setContainer(container).setFlags(4).setIova(0)
                .setSize(0x10_0000).setBitmap(bitmap).build();
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> c.vfio.dirtyPages(get)); // not started
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> c.vfio.dirtyPages(DirtyPagesRequest.newBuilder()
                .setContainer(container).setFlags(1 | 2).build()));
        c.vfio.dirtyPages(DirtyPagesRequest.newBuilder().setContainer(container).setFlags(1).build());
        byte[] clean = c.vfio.dirtyPages(get).getData().toByteArray();
        assertArrayEquals(new byte[0x20], clean, "nothing written since START");

        c.dma.write(DmaWriteRequest.newBuilder().setSource(DmaSource.newBuilder().setDevice(VTD_PRI))
                .setIova(0x5008).setData(ByteString.copyFromUtf8("dirty")).build());
        c.dma.write(DmaWriteRequest.newBuilder().setSource(DmaSource.newBuilder().setDevice(VTD_PRI))
                .setIova(0x8_1000).setData(ByteString.copyFromUtf8("dirty")).build());
        byte[] dirty = c.vfio.dirtyPages(get).getData().toByteArray();
        ByteBuffer words = ByteBuffer.wrap(dirty).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(1L << 5, words.getLong(0), "page 5");
        assertEquals(1L << 1, words.getLong(8 * 2), "page 0x81");
        int set = 0;
        for (byte b : dirty) {
            set += Integer.bitCount(b & 0xff);
        }
        assertEquals(2, set, "exactly the two pages written");

        // unmap with the bitmap: the range's dirty state, and the mapping goes
        UnmapDmaResponse r = c.vfio.unmapDma(UnmapDmaRequest.newBuilder().setContainer(container).setFlags(1)
                .setIova(0).setSize(0x10_0000).setBitmap(bitmap).build());
        assertEquals(0x10_0000, r.getSize());
        assertArrayEquals(new byte[0x20], r.getData().toByteArray(), "GET_BITMAP cleared what it reported");
        fails(Status.Code.INVALID_ARGUMENT, "EFAULT", () -> c.dma.write(DmaWriteRequest.newBuilder()
                .setSource(DmaSource.newBuilder().setDevice(VTD_PRI)).setIova(0x5008)
                .setData(ByteString.copyFromUtf8("late")).build())); // the device faults: unmapped
        c.vfio.dirtyPages(DirtyPagesRequest.newBuilder().setContainer(container).setFlags(2).build());
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> c.vfio.dirtyPages(get)); // stopped
    }

    @Test
    void containersAndMappingsCountAgainstTheObjectQuota() throws Exception {
        g = new VfioGateway(regionDir, new SessionQuotas(64L << 20, 4, 16, 4), 60_000);
        VfioGateway.Client c = g.client("qemu");
        Region ram = c.region(RAM); // object 1
        int container = open(c); // 2
        setContainer(c, container, VTD_PRI_GROUP);
        setIommu(c, container, TYPE1V2);
        map(c, container, ram.getUserVa(), 0, 0x1000); // 3
        int second = open(c); // 4
        assertNotEquals(container, second);
        fails(Status.Code.RESOURCE_EXHAUSTED, "ENOSPC", () -> map(c, container, ram.getUserVa(), 0x1000, 0x1000));
        fails(Status.Code.RESOURCE_EXHAUSTED, "ENOSPC", () -> open(c));
        assertEquals(-1, c.output(VTD_PRI, -1, 0x1000, 1), "the refused mapping has no effect");
        c.vfio.close(ContainerCloseRequest.newBuilder().setContainer(second).build());
        map(c, container, ram.getUserVa(), 0x1000, 0x1000);
        assertEquals(ram.getHostPhysicalBase() + 0x10, c.output(VTD_PRI, -1, 0x1010, 1));
        fails(Status.Code.NOT_FOUND, "EBADF", () -> c.vfio.getApiVersion(GetApiVersionRequest.newBuilder()
                .setContainer(second).build()));
    }

    private VfioGateway start() {
        try {
            return new VfioGateway(regionDir);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
