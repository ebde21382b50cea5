package io.nestor.gateway.grpc.iommufd;

import static io.nestor.gateway.grpc.CoreGateway.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Status;
import io.nestor.gateway.grpc.CoreGateway;
import io.nestor.gateway.grpc.proto.DestroyRequest;
import io.nestor.gateway.grpc.proto.IoasAllocRequest;
import io.nestor.gateway.grpc.proto.IommufdCloseRequest;
import io.nestor.gateway.grpc.proto.IommufdGrpc;
import io.nestor.gateway.grpc.proto.IommufdOpenRequest;
import io.nestor.gateway.grpc.proto.VfioIoasRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nestor.v1.Iommufd/VfioIoas (IOMMU_VFIO_IOAS) against the real iommufd layer, in process. */
class VfioIoasGrpcTest {
    private static final int GET = 0;
    private static final int SET = 1;
    private static final int CLEAR = 2;

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

    private int ioas() {
        return iommufd.ioasAlloc(IoasAllocRequest.newBuilder().setIommufd(fd).build()).getOutIoasId();
    }

    private int vfioIoas(int op, int ioasId) {
        return iommufd.vfioIoas(VfioIoasRequest.newBuilder().setIommufd(fd).setOp(op).setIoasId(ioasId).build())
                .getIoasId();
    }

    @Test
    void setGetClearRoundTrip() {
        int a = ioas();
        int b = ioas();
        fails(Status.Code.NOT_FOUND, "ENODEV", () -> vfioIoas(GET, 0));
        assertEquals(a, vfioIoas(SET, a));
        assertEquals(a, vfioIoas(GET, 0));
        vfioIoas(SET, b);
        assertEquals(b, vfioIoas(GET, a), "GET answers the compat IOAS, not the id sent");
        vfioIoas(CLEAR, 0);
        fails(Status.Code.NOT_FOUND, "ENODEV", () -> vfioIoas(GET, 0));
        // CLEAR left the IOAS itself in place: it can be set again
        assertEquals(b, vfioIoas(SET, b));
        assertEquals(b, vfioIoas(GET, 0));
    }

    @Test
    void errnosMapToTheirStatus() {
        int a = ioas();
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> vfioIoas(SET, a + 100));
        fails(Status.Code.UNIMPLEMENTED, "EOPNOTSUPP", () -> vfioIoas(3, a));
        fails(Status.Code.UNIMPLEMENTED, "EOPNOTSUPP", () -> vfioIoas(0x1_0000, a));
        fails(Status.Code.NOT_FOUND, "ENODEV", () -> vfioIoas(GET, 0)); // the failed calls set nothing
        fails(Status.Code.NOT_FOUND, "EBADF", () -> iommufd.vfioIoas(VfioIoasRequest.newBuilder()
                .setIommufd(fd + 1).setOp(GET).build()));
    }

    @Test
    void destroyingTheCompatIoasSucceedsAndForgetsIt() {
        int a = ioas();
        vfioIoas(SET, a);
        iommufd.destroy(DestroyRequest.newBuilder().setIommufd(fd).setId(a).build());
        fails(Status.Code.NOT_FOUND, "ENODEV", () -> vfioIoas(GET, 0));
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> vfioIoas(SET, a));
    }

    @Test
    void aClosedContextIsNotFound() {
        vfioIoas(SET, ioas());
        iommufd.close(IommufdCloseRequest.newBuilder().setIommufd(fd).build());
        fails(Status.Code.NOT_FOUND, "EBADF", () -> vfioIoas(GET, 0));
    }
}
