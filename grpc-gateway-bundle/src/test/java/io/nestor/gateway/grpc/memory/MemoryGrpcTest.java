package io.nestor.gateway.grpc.memory;

import static io.nestor.gateway.grpc.CoreGateway.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.nestor.api.session.SessionQuotas;
import io.nestor.gateway.grpc.CoreGateway;
import io.nestor.gateway.grpc.GatewayLimits;
import io.nestor.gateway.grpc.proto.CreateRegionRequest;
import io.nestor.gateway.grpc.proto.DestroyRegionRequest;
import io.nestor.gateway.grpc.proto.IoasAllocRequest;
import io.nestor.gateway.grpc.proto.IoasMapRequest;
import io.nestor.gateway.grpc.proto.IoasUnmapRequest;
import io.nestor.gateway.grpc.proto.IommufdGrpc;
import io.nestor.gateway.grpc.proto.IommufdOpenRequest;
import io.nestor.gateway.grpc.proto.ListRegionsRequest;
import io.nestor.gateway.grpc.proto.MemoryGrpc;
import io.nestor.gateway.grpc.proto.MemoryReadRequest;
import io.nestor.gateway.grpc.proto.MemoryWriteRequest;
import io.nestor.gateway.grpc.proto.Region;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nestor.v1.Memory against the real session service and host memory. */
class MemoryGrpcTest {
    @TempDir
    Path regionDir;

    private CoreGateway core;
    private MemoryGrpc.MemoryBlockingStub memory;
    private IommufdGrpc.IommufdBlockingStub iommufd;

    @BeforeEach
    void start() throws Exception {
        core = new CoreGateway(regionDir, 60_000, new SessionQuotas(0x10_0000, 16, 16));
        String id = core.open("vmm", 0);
        memory = MemoryGrpc.newBlockingStub(core.as(id));
        iommufd = IommufdGrpc.newBlockingStub(core.as(id));
    }

    @AfterEach
    void stop() throws Exception {
        core.close();
    }

    private Region create(long size, String file) {
        return memory.createRegion(CreateRegionRequest.newBuilder().setSize(size).setFileName(file).build()).getRegion();
    }

    @Test
    void writeThenReadAcrossAPageOfAFileBackedRegion() throws Exception {
        Region r = create(0x3000, "guest-ram");
        assertEquals(regionDir.resolve("guest-ram").toString(), r.getFilePath());
        byte[] data = new byte[0x1800];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7 + 1);
        }
        memory.write(MemoryWriteRequest.newBuilder().setUserVa(r.getUserVa() + 0x400)
                .setData(ByteString.copyFrom(data)).build());
        byte[] back = memory.read(MemoryReadRequest.newBuilder().setUserVa(r.getUserVa() + 0x400)
                .setLength(data.length).build()).getData().toByteArray();
        assertArrayEquals(data, back);
        // A local VMM mapping the file sees the same bytes.
        byte[] file = Files.readAllBytes(Path.of(r.getFilePath()));
        assertEquals(data[0x1000], file[0x1400]);
        assertEquals(1, memory.listRegions(ListRegionsRequest.getDefaultInstance()).getRegionsCount());
    }

    @Test
    void accessesOutsideTheRegionsFault() {
        Region r = create(0x1000, "");
        fails(Status.Code.INVALID_ARGUMENT, "EFAULT", () -> memory.read(MemoryReadRequest.newBuilder()
                .setUserVa(r.getUserVa() + 0xff0).setLength(0x20).build()));
        fails(Status.Code.INVALID_ARGUMENT, "EFAULT", () -> memory.write(MemoryWriteRequest.newBuilder()
                .setUserVa(r.getUserVa() - 1).setData(ByteString.copyFrom(new byte[2])).build()));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> memory.read(MemoryReadRequest.newBuilder()
                .setUserVa(r.getUserVa()).setLength(GatewayLimits.MAX_READ_BYTES + 1).build()));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> create(0x1001, ""));
    }

    @Test
    void aMappedRegionCannotBeDestroyed() {
        Region r = create(0x2000, "");
        int fd = iommufd.open(IommufdOpenRequest.getDefaultInstance()).getIommufd();
        int ioas = iommufd.ioasAlloc(IoasAllocRequest.newBuilder().setIommufd(fd).build()).getOutIoasId();
        long iova = iommufd.ioasMap(IoasMapRequest.newBuilder().setIommufd(fd).setIoasId(ioas).setFlags(4)
                .setUserVa(r.getUserVa()).setLength(0x1000).build()).getIova();
        assertEquals(1, memory.listRegions(ListRegionsRequest.getDefaultInstance()).getRegions(0).getPins());
        fails(Status.Code.FAILED_PRECONDITION, "EBUSY",
                () -> memory.destroyRegion(DestroyRegionRequest.newBuilder().setRegionId(r.getRegionId()).build()));
        iommufd.ioasUnmap(IoasUnmapRequest.newBuilder().setIommufd(fd).setIoasId(ioas).setIova(iova).setLength(0x1000)
                .build());
        memory.destroyRegion(DestroyRegionRequest.newBuilder().setRegionId(r.getRegionId()).build());
        assertEquals(0, memory.listRegions(ListRegionsRequest.getDefaultInstance()).getRegionsCount());
        fails(Status.Code.NOT_FOUND, "ENOENT",
                () -> memory.destroyRegion(DestroyRegionRequest.newBuilder().setRegionId(r.getRegionId()).build()));
    }

    @Test
    void quotasAreResourceExhausted() {
        create(0xc_0000, "");
        fails(Status.Code.RESOURCE_EXHAUSTED, "ENOMEM", () -> create(0x8_0000, ""));
        for (int i = 1; i < 16; i++) {
            create(0x1000, "");
        }
        fails(Status.Code.RESOURCE_EXHAUSTED, "ENOSPC", () -> create(0x1000, ""));
        fails(Status.Code.RESOURCE_EXHAUSTED, "ENOSPC", () -> iommufd.open(IommufdOpenRequest.getDefaultInstance()));
        assertEquals(16, memory.listRegions(ListRegionsRequest.getDefaultInstance()).getRegionsCount());
    }
}
