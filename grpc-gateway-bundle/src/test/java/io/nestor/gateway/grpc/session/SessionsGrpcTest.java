package io.nestor.gateway.grpc.session;

import static io.nestor.gateway.grpc.CoreGateway.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.nestor.gateway.grpc.CoreGateway;
import io.nestor.gateway.grpc.proto.CloseSessionRequest;
import io.nestor.gateway.grpc.proto.CreateRegionRequest;
import io.nestor.gateway.grpc.proto.IoasAllocRequest;
import io.nestor.gateway.grpc.proto.IoasMapRequest;
import io.nestor.gateway.grpc.proto.IommufdGrpc;
import io.nestor.gateway.grpc.proto.IommufdOpenRequest;
import io.nestor.gateway.grpc.proto.KeepAliveRequest;
import io.nestor.gateway.grpc.proto.ListRegionsRequest;
import io.nestor.gateway.grpc.proto.MemoryGrpc;
import io.nestor.gateway.grpc.proto.OpenSessionRequest;
import io.nestor.gateway.grpc.proto.OpenSessionResponse;
import io.nestor.gateway.grpc.proto.Region;
import io.nestor.gateway.grpc.proto.SessionsGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nestor.v1.Sessions and the session interceptor, against the real session service. */
class SessionsGrpcTest {
    @TempDir
    Path regionDir;

    private CoreGateway core;

    @AfterEach
    void stop() throws Exception {
        if (core != null) {
            core.close();
        }
    }

    @Test
    void openKeepAliveClose() throws Exception {
        core = new CoreGateway(regionDir);
        OpenSessionResponse opened = SessionsGrpc.newBlockingStub(core.gateway.channel).open(
                OpenSessionRequest.newBuilder().setClientName("qemu-1").setLeaseMillis(5_000).build());
        assertEquals(32, opened.getSessionId().length(), "128 random bits in hex");
        assertEquals(5_000, opened.getLeaseMillis());
        assertEquals(64, opened.getQuotas().getObjects());
        assertEquals(64L << 20, opened.getQuotas().getMemoryBytes());
        assertTrue(core.sessions.find(opened.getSessionId()).isPresent());

        SessionsGrpc.SessionsBlockingStub stub = SessionsGrpc.newBlockingStub(core.as(opened.getSessionId()));
        assertEquals(5_000, stub.keepAlive(KeepAliveRequest.getDefaultInstance()).getLeaseMillis());
        stub.close(CloseSessionRequest.getDefaultInstance());
        assertTrue(core.sessions.find(opened.getSessionId()).isEmpty());
        fails(Status.Code.UNAUTHENTICATED, "EBADF", () -> stub.keepAlive(KeepAliveRequest.getDefaultInstance()));

        String other = core.open("qemu-2", 0);
        assertNotEquals(opened.getSessionId(), other);
        assertEquals(60_000, SessionsGrpc.newBlockingStub(core.as(other))
                .keepAlive(KeepAliveRequest.getDefaultInstance()).getLeaseMillis(), "0 takes the default lease");
    }

    @Test
    void callsWithoutAValidSessionAreUnauthenticated() throws Exception {
        core = new CoreGateway(regionDir);
        fails(Status.Code.UNAUTHENTICATED, "EBADF", () -> MemoryGrpc.newBlockingStub(core.gateway.channel)
                .listRegions(ListRegionsRequest.getDefaultInstance()));
        fails(Status.Code.UNAUTHENTICATED, "EBADF", () -> MemoryGrpc.newBlockingStub(core.as("0123456789abcdef"))
                .listRegions(ListRegionsRequest.getDefaultInstance()));
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> SessionsGrpc.newBlockingStub(core.gateway.channel)
                .open(OpenSessionRequest.newBuilder().setClientName("").build()));
    }

    @Test
    void withoutTheSessionServiceCallsAreUnavailable() throws Exception {
        core = new CoreGateway(regionDir);
        String id = core.open("qemu", 0);
        core.gateway.services.unbindSessions(core.sessions);
        fails(Status.Code.UNAVAILABLE, "EAGAIN", () -> MemoryGrpc.newBlockingStub(core.as(id))
                .listRegions(ListRegionsRequest.getDefaultInstance()));
        fails(Status.Code.UNAVAILABLE, "EAGAIN", () -> core.open("qemu", 0));
        core.gateway.services.bindSessions(core.sessions);
        assertEquals(0, MemoryGrpc.newBlockingStub(core.as(id)).listRegions(ListRegionsRequest.getDefaultInstance())
                .getRegionsCount(), "the session survived: it lives in the core");
    }

    @Test
    void anExpiredLeaseReleasesRegionsAndContexts() throws Exception {
        core = new CoreGateway(regionDir);
        String id = core.open("dying-vmm", 100);
        MemoryGrpc.MemoryBlockingStub memory = MemoryGrpc.newBlockingStub(core.as(id));
        IommufdGrpc.IommufdBlockingStub iommufd = IommufdGrpc.newBlockingStub(core.as(id));
        Region file = memory.createRegion(CreateRegionRequest.newBuilder().setSize(0x2000).setFileName("ram0").build())
                .getRegion();
        Region anon = memory.createRegion(CreateRegionRequest.newBuilder().setSize(0x4000).build()).getRegion();
        int fd = iommufd.open(IommufdOpenRequest.getDefaultInstance()).getIommufd();
        int ioas = iommufd.ioasAlloc(IoasAllocRequest.newBuilder().setIommufd(fd).build()).getOutIoasId();
        // Both regions pinned by the IOAS: they can only be released after the context is closed.
        for (Region r : new Region[] {file, anon}) {
            iommufd.ioasMap(IoasMapRequest.newBuilder().setIommufd(fd).setIoasId(ioas).setFlags(6)
                    .setUserVa(r.getUserVa()).setLength(r.getSize()).build());
        }
        assertTrue(Files.exists(Path.of(file.getFilePath())));

        for (int i = 0; i < 2_000 && core.sessions.find(id).isPresent(); i++) {
            Thread.sleep(5);
        }
        assertFalse(core.sessions.find(id).isPresent(), "the lease ran out");
        fails(Status.Code.UNAUTHENTICATED, "EBADF", () -> memory.listRegions(ListRegionsRequest.getDefaultInstance()));
        assertFalse(Files.exists(Path.of(file.getFilePath())), "the region file is deleted: its pin was released");
        // The anonymous host range was given back (zeroed): the next session's region gets it.
        String next = core.open("next", 0);
        Region again = MemoryGrpc.newBlockingStub(core.as(next))
                .createRegion(CreateRegionRequest.newBuilder().setSize(0x4000).build()).getRegion();
        assertEquals(anon.getHostPhysicalBase(), again.getHostPhysicalBase());
    }

    @Test
    void keepAliveHoldsTheLease() throws Exception {
        core = new CoreGateway(regionDir);
        String id = core.open("busy", 1_000);
        SessionsGrpc.SessionsBlockingStub stub = SessionsGrpc.newBlockingStub(core.as(id));
        for (int i = 0; i < 15; i++) {
            Thread.sleep(100);
            try {
                stub.keepAlive(KeepAliveRequest.getDefaultInstance());
            } catch (StatusRuntimeException e) {
                throw new AssertionError("renewed every 100 ms, a 1 s lease must not run out", e);
            }
        }
        assertTrue(core.sessions.find(id).isPresent());
    }
}
