package io.nestor.gateway.grpc.session;

import static io.nestor.gateway.grpc.CoreGateway.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.nestor.gateway.grpc.CoreGateway;
import io.nestor.gateway.grpc.proto.CreateRegionRequest;
import io.nestor.gateway.grpc.proto.DestroyRegionRequest;
import io.nestor.gateway.grpc.proto.IoasAllocRequest;
import io.nestor.gateway.grpc.proto.IoasMapFileRequest;
import io.nestor.gateway.grpc.proto.IoasMapRequest;
import io.nestor.gateway.grpc.proto.IoasUnmapRequest;
import io.nestor.gateway.grpc.proto.IommufdGrpc;
import io.nestor.gateway.grpc.proto.IommufdOpenRequest;
import io.nestor.gateway.grpc.proto.ListRegionsRequest;
import io.nestor.gateway.grpc.proto.MemoryGrpc;
import io.nestor.gateway.grpc.proto.MemoryReadRequest;
import io.nestor.gateway.grpc.proto.MemoryWriteRequest;
import io.nestor.gateway.grpc.proto.Region;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Session B cannot see or touch session A's regions, contexts or IOAS: NOT_FOUND, as if absent. */
class SessionIsolationTest {
    @TempDir
    Path regionDir;

    private CoreGateway core;

    @AfterEach
    void stop() throws Exception {
        core.close();
    }

    @Test
    void anotherSessionsObjectsDoNotExist() throws Exception {
        core = new CoreGateway(regionDir);
        String a = core.open("a", 0);
        String b = core.open("b", 0);
        MemoryGrpc.MemoryBlockingStub memA = MemoryGrpc.newBlockingStub(core.as(a));
        MemoryGrpc.MemoryBlockingStub memB = MemoryGrpc.newBlockingStub(core.as(b));
        IommufdGrpc.IommufdBlockingStub fdA = IommufdGrpc.newBlockingStub(core.as(a));
        IommufdGrpc.IommufdBlockingStub fdB = IommufdGrpc.newBlockingStub(core.as(b));

        Region region = memA.createRegion(CreateRegionRequest.newBuilder().setSize(0x4000).build()).getRegion();
        memA.write(MemoryWriteRequest.newBuilder().setUserVa(region.getUserVa())
                .setData(ByteString.copyFromUtf8("secret")).build());
        int ctxA = fdA.open(IommufdOpenRequest.getDefaultInstance()).getIommufd();
        int ioasA = fdA.ioasAlloc(IoasAllocRequest.newBuilder().setIommufd(ctxA).build()).getOutIoasId();
        fdA.ioasMap(IoasMapRequest.newBuilder().setIommufd(ctxA).setIoasId(ioasA).setFlags(5).setIova(0x10_0000)
                .setUserVa(region.getUserVa()).setLength(0x1000).build());

        // B's own context handle space is empty: A's handle is not B's.
        fails(Status.Code.NOT_FOUND, "EBADF",
                () -> fdB.ioasAlloc(IoasAllocRequest.newBuilder().setIommufd(ctxA).build()));
        int ctxB = fdB.open(IommufdOpenRequest.getDefaultInstance()).getIommufd();
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> fdB.ioasUnmap(IoasUnmapRequest.newBuilder().setIommufd(ctxB)
                .setIoasId(ioasA).setIova(0x10_0000).setLength(0x1000).build()));
        fails(Status.Code.NOT_FOUND, "EBADF", () -> fdB.ioasMapFile(IoasMapFileRequest.newBuilder().setIommufd(ctxB)
                .setIoasId(fdB.ioasAlloc(IoasAllocRequest.newBuilder().setIommufd(ctxB).build()).getOutIoasId())
                .setFlags(4).setRegionId(region.getRegionId()).setLength(0x1000).build()));
        fails(Status.Code.NOT_FOUND, "ENOENT",
                () -> memB.destroyRegion(DestroyRegionRequest.newBuilder().setRegionId(region.getRegionId()).build()));
        fails(Status.Code.INVALID_ARGUMENT, "EFAULT", () -> memB.read(MemoryReadRequest.newBuilder()
                .setUserVa(region.getUserVa()).setLength(6).build()));
        assertEquals(0, memB.listRegions(ListRegionsRequest.getDefaultInstance()).getRegionsCount());

        // A's objects are untouched.
        assertEquals("secret", memA.read(MemoryReadRequest.newBuilder().setUserVa(region.getUserVa()).setLength(6)
                .build()).getData().toStringUtf8());
        assertEquals(0x1000, fdA.ioasUnmap(IoasUnmapRequest.newBuilder().setIommufd(ctxA).setIoasId(ioasA)
                .setIova(0x10_0000).setLength(0x1000).build()).getLength());
    }
}
