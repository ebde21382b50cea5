package io.nestor.gateway.grpc.iommufd;

import static io.nestor.gateway.grpc.CoreGateway.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.nestor.gateway.grpc.CoreGateway;
import io.nestor.gateway.grpc.proto.DestroyRequest;
import io.nestor.gateway.grpc.proto.FaultQueueAllocRequest;
import io.nestor.gateway.grpc.proto.FaultRespondRequest;
import io.nestor.gateway.grpc.proto.IoasAllocRequest;
import io.nestor.gateway.grpc.proto.IommufdGrpc;
import io.nestor.gateway.grpc.proto.IommufdOpenRequest;
import io.nestor.gateway.grpc.proto.PageResponse;
import io.nestor.gateway.grpc.proto.VeventqAllocRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * nestor.v1.Iommufd FaultQueueAlloc, FaultRespond and VeventqAlloc on the in-process transport,
 * against the real iommufd layer: the objects are created, and every refusal is the kernel's errno
 * mapped to its gRPC status.
 */
class EventQueueGrpcTest {
    @TempDir
    Path regionDir;

    private CoreGateway core;
    private IommufdGrpc.IommufdBlockingStub iommufd;
    private int fd;

    @BeforeEach
    void start() throws Exception {
        core = new CoreGateway(regionDir);
        iommufd = IommufdGrpc.newBlockingStub(core.as(core.open("vmm", 0)));
        fd = iommufd.open(IommufdOpenRequest.getDefaultInstance()).getIommufd();
    }

    @AfterEach
    void stop() throws Exception {
        core.close();
    }

    private int faultQueue() {
        return iommufd.faultQueueAlloc(FaultQueueAllocRequest.newBuilder().setIommufd(fd).build()).getOutFaultId();
    }

    @Test
    void faultQueueAllocCreatesAFaultObject() {
        fails(Status.Code.UNIMPLEMENTED, "EOPNOTSUPP",
                () -> iommufd.faultQueueAlloc(FaultQueueAllocRequest.newBuilder().setIommufd(fd).setFlags(1).build()));
        fails(Status.Code.NOT_FOUND, "EBADF",
                () -> iommufd.faultQueueAlloc(FaultQueueAllocRequest.newBuilder().setIommufd(fd + 7).build()));
        int fault = faultQueue();
        assertEquals(1, fault, "the context's first object");
        int ioas = iommufd.ioasAlloc(IoasAllocRequest.newBuilder().setIommufd(fd).build()).getOutIoasId();
        assertEquals(2, ioas);
        iommufd.destroy(DestroyRequest.newBuilder().setIommufd(fd).setId(fault).build());
        fails(Status.Code.NOT_FOUND, "ENOENT",
                () -> iommufd.destroy(DestroyRequest.newBuilder().setIommufd(fd).setId(fault).build()));
    }

    @Test
    void faultRespondChecksTheFaultIdCodeAndCookie() {
        int fault = faultQueue();
        FaultRespondRequest.Builder respond = FaultRespondRequest.newBuilder().setIommufd(fd).setFaultId(fault);
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> iommufd.faultRespond(respond.clone().setFaultId(fault + 1)
                .addResponses(PageResponse.newBuilder().setCookie(1)).build()));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> iommufd.faultRespond(respond.clone()
                .addResponses(PageResponse.newBuilder().setCookie(1).setCode(0)).build()));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> iommufd.faultRespond(respond.clone()
                .addResponses(PageResponse.newBuilder().setCookie(1).setCode(2)).build()));
        assertEquals(0, iommufd.faultRespond(respond.build()).getCount(), "an empty write consumes nothing");
    }

    @Test
    void veventqAllocChecksInTheKernelsOrder() {
        int fault = faultQueue();
        VeventqAllocRequest.Builder alloc = VeventqAllocRequest.newBuilder().setIommufd(fd).setType(1)
                .setVeventqDepth(8).setViommuId(fault);
        fails(Status.Code.UNIMPLEMENTED, "EOPNOTSUPP", () -> iommufd.veventqAlloc(alloc.clone().setFlags(1).build()));
        fails(Status.Code.UNIMPLEMENTED, "EOPNOTSUPP", () -> iommufd.veventqAlloc(alloc.clone().setType(0).build()));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL",
                () -> iommufd.veventqAlloc(alloc.clone().setVeventqDepth(0).build()));
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> iommufd.veventqAlloc(alloc.build()));
        assertTrue(fault > 0);
    }
}
