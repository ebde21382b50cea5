package io.nestor.gateway.grpc.iommufd;

import static io.nestor.gateway.grpc.CoreGateway.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.nestor.gateway.grpc.CoreGateway;
import io.nestor.gateway.grpc.proto.CreateRegionRequest;
import io.nestor.gateway.grpc.proto.DestroyRequest;
import io.nestor.gateway.grpc.proto.IoasAllocRequest;
import io.nestor.gateway.grpc.proto.IoasAllowIovasRequest;
import io.nestor.gateway.grpc.proto.IoasCopyRequest;
import io.nestor.gateway.grpc.proto.IoasIovaRangesRequest;
import io.nestor.gateway.grpc.proto.IoasIovaRangesResponse;
import io.nestor.gateway.grpc.proto.IoasMapFileRequest;
import io.nestor.gateway.grpc.proto.IoasMapRequest;
import io.nestor.gateway.grpc.proto.IoasUnmapRequest;
import io.nestor.gateway.grpc.proto.IommufdCloseRequest;
import io.nestor.gateway.grpc.proto.IommufdGrpc;
import io.nestor.gateway.grpc.proto.IommufdOpenRequest;
import io.nestor.gateway.grpc.proto.IovaRange;
import io.nestor.gateway.grpc.proto.MemoryGrpc;
import io.nestor.gateway.grpc.proto.OptionRequest;
import io.nestor.gateway.grpc.proto.Region;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nestor.v1.Iommufd (contexts and IOAS ioctls) against the real iommufd layer. */
class IommufdGrpcTest {
    private static final int FIXED = 1;
    private static final int WRITEABLE = 2;
    private static final int READABLE = 4;

    @TempDir
    Path regionDir;

    private CoreGateway core;
    private IommufdGrpc.IommufdBlockingStub iommufd;
    private Region region;
    private int fd;

    @BeforeEach
    void start() throws Exception {
        core = new CoreGateway(regionDir);
        String id = core.open("vmm", 0);
        iommufd = IommufdGrpc.newBlockingStub(core.as(id));
        region = MemoryGrpc.newBlockingStub(core.as(id))
                .createRegion(CreateRegionRequest.newBuilder().setSize(0x10_0000).build()).getRegion();
        fd = iommufd.open(IommufdOpenRequest.getDefaultInstance()).getIommufd();
    }

    @AfterEach
    void stop() throws Exception {
        core.close();
    }

    private int ioas() {
        return iommufd.ioasAlloc(IoasAllocRequest.newBuilder().setIommufd(fd).build()).getOutIoasId();
    }

    private IoasMapRequest.Builder map(int ioas) {
        return IoasMapRequest.newBuilder().setIommufd(fd).setIoasId(ioas).setFlags(READABLE | WRITEABLE)
                .setUserVa(region.getUserVa()).setLength(0x4000);
    }

    @Test
    void allocMapUnmapRoundTrip() {
        int ioas = ioas();
        assertTrue(ioas > 0);
        long fixed = iommufd.ioasMap(map(ioas).setFlags(READABLE | WRITEABLE | FIXED).setIova(0x40_0000).build())
                .getIova();
        assertEquals(0x40_0000, fixed);
        long chosen = iommufd.ioasMap(map(ioas).build()).getIova();
        assertTrue(chosen + 0x4000 <= 0x40_0000 || chosen >= 0x40_4000, "a chosen IOVA avoids the fixed mapping");
        long copied = iommufd.ioasCopy(IoasCopyRequest.newBuilder().setIommufd(fd).setFlags(READABLE)
                .setSrcIoasId(ioas).setDstIoasId(ioas).setSrcIova(0x40_0000).setLength(0x4000).build()).getDstIova();
        assertEquals(0x4000, iommufd.ioasUnmap(IoasUnmapRequest.newBuilder().setIommufd(fd).setIoasId(ioas)
                .setIova(copied).setLength(0x4000).build()).getLength());
        assertEquals(0x8000, iommufd.ioasUnmap(IoasUnmapRequest.newBuilder().setIommufd(fd).setIoasId(ioas)
                .setIova(0).setLength(-1L).build()).getLength(), "iova 0, length U64_MAX unmaps everything");
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> iommufd.ioasUnmap(IoasUnmapRequest.newBuilder().setIommufd(fd)
                .setIoasId(ioas).setIova(0x40_0000).setLength(0x4000).build()));
        iommufd.destroy(DestroyRequest.newBuilder().setIommufd(fd).setId(ioas).build());
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> iommufd.ioasMap(map(ioas).build()));
    }

    @Test
    void kernelErrnosMapToTheirStatus() {
        int ioas = ioas();
        fails(Status.Code.UNIMPLEMENTED, "EOPNOTSUPP",
                () -> iommufd.ioasAlloc(IoasAllocRequest.newBuilder().setIommufd(fd).setFlags(1).build()));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> iommufd.ioasMap(map(ioas).setFlags(0).build()));
        fails(Status.Code.OUT_OF_RANGE, "EOVERFLOW", () -> iommufd.ioasMap(map(ioas).setLength(-1L).build()));
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> iommufd.ioasMap(map(ioas + 100).build()));
        fails(Status.Code.INVALID_ARGUMENT, "EFAULT", () -> iommufd.ioasMap(map(ioas)
                .setUserVa(region.getUserVa() + region.getSize()).build()));
        iommufd.ioasMap(map(ioas).setFlags(READABLE | FIXED).setIova(0x10_0000).build());
        fails(Status.Code.ALREADY_EXISTS, "EEXIST",
                () -> iommufd.ioasMap(map(ioas).setFlags(READABLE | FIXED).setIova(0x10_2000).build()));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> iommufd.ioasAllowIovas(IoasAllowIovasRequest.newBuilder()
                .setIommufd(fd).setIoasId(ioas)
                .addAllowedIovas(IovaRange.newBuilder().setStart(0x1000).setLast(0x1fff))
                .addAllowedIovas(IovaRange.newBuilder().setStart(0x1800).setLast(0x2fff)).build()));
        fails(Status.Code.UNIMPLEMENTED, "EOPNOTSUPP", () -> iommufd.option(OptionRequest.newBuilder().setIommufd(fd)
                .setOptionId(7).setOp(1).build()));
        fails(Status.Code.PERMISSION_DENIED, "EPERM", () -> iommufd.option(OptionRequest.newBuilder().setIommufd(fd)
                .setOptionId(0).setOp(0).setVal64(1).build()));
        assertEquals(1, iommufd.option(OptionRequest.newBuilder().setIommufd(fd).setOptionId(1).setOp(1)
                .setObjectId(ioas).build()).getVal64(), "HUGE_PAGES defaults to on");
        fails(Status.Code.NOT_FOUND, "EBADF", () -> iommufd.ioasMapFile(IoasMapFileRequest.newBuilder()
                .setIommufd(fd).setIoasId(ioas).setFlags(READABLE).setRegionId(region.getRegionId() + 1)
                .setLength(0x1000).build()));
        assertEquals(0x20_0000, iommufd.ioasMapFile(IoasMapFileRequest.newBuilder().setIommufd(fd).setIoasId(ioas)
                .setFlags(READABLE | FIXED).setRegionId(region.getRegionId()).setStart(0x1000).setLength(0x1000)
                .setIova(0x20_0000).build()).getIova());
    }

    @Test
    void iovaRangesTooSmallAnswersEmsgsizeWithTheNeededCount() {
        int ioas = ioas();
        // Without attached domains nothing is reserved: one range, the whole 64-bit space (the ioctl
        // reports the holes of the reserved ranges; allowed ranges only constrain IOVA allocation).
        ErrorInfo info = fails(Status.Code.OUT_OF_RANGE, "EMSGSIZE", () -> iommufd.ioasIovaRanges(
                IoasIovaRangesRequest.newBuilder().setIommufd(fd).setIoasId(ioas).setNumIovas(0).build()));
        assertEquals("90", info.getMetadataOrThrow("errno"));
        int needed = Integer.parseInt(info.getMetadataOrThrow("num_iovas"));
        assertEquals(1, needed);
        IoasIovaRangesResponse r = iommufd.ioasIovaRanges(IoasIovaRangesRequest.newBuilder().setIommufd(fd)
                .setIoasId(ioas).setNumIovas(needed).build());
        assertEquals(1, r.getNumIovas());
        assertEquals(0, r.getAllowedIovas(0).getStart());
        assertEquals(-1L, r.getAllowedIovas(0).getLast());
        assertEquals(r.getOutIovaAlignment(), Long.parseLong(info.getMetadataOrThrow("out_iova_alignment")));
    }

    @Test
    void aClosedOrUnknownContextIsNotFound() {
        int ioas = ioas();
        iommufd.close(IommufdCloseRequest.newBuilder().setIommufd(fd).build());
        fails(Status.Code.NOT_FOUND, "EBADF", () -> iommufd.ioasMap(map(ioas).build()));
        fails(Status.Code.NOT_FOUND, "EBADF", () -> iommufd.close(IommufdCloseRequest.newBuilder().setIommufd(fd).build()));
        int again = iommufd.open(IommufdOpenRequest.getDefaultInstance()).getIommufd();
        assertTrue(again != fd, "handles are not reused");
    }
}
