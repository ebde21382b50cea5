package io.nestor.gateway.grpc.vfio;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.gateway.grpc.CoreGateway;
import io.nestor.gateway.grpc.proto.BindIommufdRequest;
import io.nestor.gateway.grpc.proto.CreateRegionRequest;
import io.nestor.gateway.grpc.proto.DmaGrpc;
import io.nestor.gateway.grpc.proto.DmaResult;
import io.nestor.gateway.grpc.proto.DmaSource;
import io.nestor.gateway.grpc.proto.IoasAllocRequest;
import io.nestor.gateway.grpc.proto.IoasMapRequest;
import io.nestor.gateway.grpc.proto.IommufdGrpc;
import io.nestor.gateway.grpc.proto.IommufdOpenRequest;
import io.nestor.gateway.grpc.proto.MemoryGrpc;
import io.nestor.gateway.grpc.proto.MemoryWriteRequest;
import io.nestor.gateway.grpc.proto.Region;
import io.nestor.gateway.grpc.proto.TranslateRequest;
import io.nestor.gateway.grpc.proto.VfioDeviceGrpc;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What a VMM does over gRPC before its guest runs, as the tests' client: one session with stubs,
 * guest-RAM regions mapped into an IOAS at guest physical addresses (GPA = IOVA of the IOAS), guest
 * page tables written into guest RAM through {@code Memory.Write}, and DMA translated by dev_id.
 */
final class GuestVmm {
    static final int MAP_FIXED_RW = 1 | 2 | 4; // IOMMU_IOAS_MAP_FIXED_IOVA | _WRITEABLE | _READABLE
    static final int NEST_PARENT = 1;
    static final int ALLOC_PASID = 8;
    static final int READ = 1;

    final String session;
    final Channel channel;
    final MemoryGrpc.MemoryBlockingStub memory;
    final IommufdGrpc.IommufdBlockingStub iommufd;
    final VfioDeviceGrpc.VfioDeviceBlockingStub devices;
    final DmaGrpc.DmaBlockingStub dma;
    final int fd;

    GuestVmm(CoreGateway core, String client) {
        this.session = core.open(client, 0);
        this.channel = core.as(session);
        this.memory = MemoryGrpc.newBlockingStub(channel);
        this.iommufd = IommufdGrpc.newBlockingStub(channel);
        this.devices = VfioDeviceGrpc.newBlockingStub(channel);
        this.dma = DmaGrpc.newBlockingStub(channel);
        this.fd = iommufd.open(IommufdOpenRequest.getDefaultInstance()).getIommufd();
    }

    Region region(long size) {
        return memory.createRegion(CreateRegionRequest.newBuilder().setSize(size).build()).getRegion();
    }

    int ioas() {
        return iommufd.ioasAlloc(IoasAllocRequest.newBuilder().setIommufd(fd).build()).getOutIoasId();
    }

    /** Maps all of {@code region} at guest physical address {@code gpa}. */
    void map(int ioas, Region region, long gpa) {
        iommufd.ioasMap(IoasMapRequest.newBuilder().setIommufd(fd).setIoasId(ioas).setFlags(MAP_FIXED_RW)
                .setUserVa(region.getUserVa()).setLength(region.getSize()).setIova(gpa).build());
    }

    int bind(String device) {
        return devices.bindIommufd(BindIommufdRequest.newBuilder().setDevice(device).setIommufd(fd).build())
                .getOutDevid();
    }

    void write64(long userVa, long value) {
        memory.write(MemoryWriteRequest.newBuilder().setUserVa(userVa).setData(ByteString.copyFrom(le(value)))
                .build());
    }

    static byte[] le(long... words) {
        ByteBuffer b = ByteBuffer.allocate(words.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long w : words) {
            b.putLong(w);
        }
        return b.array();
    }

    /**
     * Writes a guest page-table walk for one 4 KiB page into guest RAM: the root at {@code tables}
     * (a region mapped at {@code tablesGpa}), each lower level in the next page, and the leaf
     * mapping {@code iova} to {@code outputGpa} with {@code permissions}.
     *
     * @return the session virtual address of the leaf entry, for the guest to change later
     */
    long writeWalk(PageTableFormat format, Region tables, long tablesGpa, long iova, long outputGpa, int permissions) {
        int page = 0;
        for (int level = format.levels() - 1; level > 0; level--) {
            long entryVa = tables.getUserVa() + page * 0x1000L + 8L * index(format, level, iova);
            write64(entryVa, format.encodeTable(tablesGpa + (page + 1) * 0x1000L, level));
            page++;
        }
        long leafVa = tables.getUserVa() + page * 0x1000L + 8L * index(format, 0, iova);
        write64(leafVa, format.encodeLeaf(outputGpa, 0, permissions));
        return leafVa;
    }

    private static long index(PageTableFormat format, int level, long iova) {
        return (iova >>> format.levelShift(level)) & ((1L << format.indexBits(level)) - 1);
    }

    /** Translates one read by the DEVICE {@code devId} of this session's context. */
    DmaResult translate(int devId, int pasid, long iova) {
        DmaSource.Builder source = DmaSource.newBuilder().setDevId(devId).setIommufd(fd);
        if (pasid >= 0) {
            source.setPasidValid(true).setPasid(pasid);
        }
        return dma.translate(TranslateRequest.newBuilder().addRequests(io.nestor.gateway.grpc.proto.DmaRequest
                .newBuilder().setSource(source).setIova(iova).setPerm(READ)).build()).getResults(0);
    }
}
