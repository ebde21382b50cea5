package io.nestor.gateway.grpc.vfio;

import static io.nestor.gateway.grpc.CoreGateway.fails;
import static io.nestor.gateway.grpc.vfio.VfioGateway.RAM;
import static io.nestor.gateway.grpc.vfio.VfioGateway.RW;
import static io.nestor.gateway.grpc.vfio.VfioGateway.TYPE1V2;
import static io.nestor.gateway.grpc.vfio.VfioGateway.TYPE1_NESTING;
import static io.nestor.gateway.grpc.vfio.VfioGateway.VTD_PRI;
import static io.nestor.gateway.grpc.vfio.VfioGateway.VTD_PRI_GROUP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.nestor.api.session.SessionQuotas;
import io.nestor.gateway.grpc.EventCollector;
import io.nestor.gateway.grpc.proto.CloseSessionRequest;
import io.nestor.gateway.grpc.proto.ContainerCloseRequest;
import io.nestor.gateway.grpc.proto.ContainerOpenRequest;
import io.nestor.gateway.grpc.proto.DmaReadRequest;
import io.nestor.gateway.grpc.proto.DmaResult;
import io.nestor.gateway.grpc.proto.DmaSource;
import io.nestor.gateway.grpc.proto.Event;
import io.nestor.gateway.grpc.proto.GetInfoRequest;
import io.nestor.gateway.grpc.proto.GroupSetContainerRequest;
import io.nestor.gateway.grpc.proto.ListRegionsRequest;
import io.nestor.gateway.grpc.proto.MapDmaRequest;
import io.nestor.gateway.grpc.proto.NestingOpRequest;
import io.nestor.gateway.grpc.proto.PasidRequestRequest;
import io.nestor.gateway.grpc.proto.Region;
import io.nestor.gateway.grpc.proto.SessionsGrpc;
import io.nestor.gateway.grpc.proto.SetIommuRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sessions and VFIO containers: one session's containers, groups and devices do not exist for
 * another; a group another session holds is EBUSY; closing a container or the session (or its lease
 * running out) releases the groups, the mappings, the bound PASIDs and the structure pages.
 */
class VfioIsolationGrpcTest {
    @TempDir
    Path regionDir;

    private VfioGateway g;

    @AfterEach
    void stop() throws Exception {
        g.close();
    }

    private static int open(VfioGateway.Client c) {
        return c.vfio.open(ContainerOpenRequest.getDefaultInstance()).getContainer();
    }

    private static void setContainer(VfioGateway.Client c, int container, int group) {
        c.vfio.groupSetContainer(GroupSetContainerRequest.newBuilder().setContainer(container).setGroup(group).build());
    }

    private static void setIommu(VfioGateway.Client c, int container, int type) {
        c.vfio.setIommu(SetIommuRequest.newBuilder().setContainer(container).setType(type).build());
    }

    private static void map(VfioGateway.Client c, int container, Region ram, long iova, long size) {
        c.vfio.mapDma(MapDmaRequest.newBuilder().setContainer(container).setFlags(RW).setVaddr(ram.getUserVa())
                .setIova(iova).setSize(size).build());
    }

    @Test
    void anotherSessionsContainersGroupsAndDevicesAreNotItsOwn() throws Exception {
        g = new VfioGateway(regionDir);
        VfioGateway.Client a = g.client("a");
        VfioGateway.Client b = g.client("b");
        Region ramA = a.region(RAM);
        int first = open(a);
        int second = open(a);
        setContainer(a, second, VTD_PRI_GROUP);
        setIommu(a, second, TYPE1V2);
        map(a, second, ramA, 0, 0x10_0000);
        a.write64(ramA.getUserVa() + 0x100, 0x5ec7e7L);

        // B's handle space is its own: A's second container does not exist for B
        int own = open(b);
        assertEquals(first, own, "handles are per session, like descriptors");
        fails(Status.Code.NOT_FOUND, "EBADF", () -> b.vfio.getInfo(GetInfoRequest.newBuilder().setContainer(second)
                .setArgsz(4096).build()));
        fails(Status.Code.NOT_FOUND, "EBADF", () -> b.vfio.close(ContainerCloseRequest.newBuilder()
                .setContainer(second).build()));
        // B's container 1 is B's, not A's (which has no IOMMU either, but A's is untouched below)
        fails(Status.Code.INVALID_ARGUMENT, "EINVAL", () -> map(b, own, ramA, 0x20_0000, 0x1000));

        // A's group is A's: B cannot take it; A's device does not exist for B's DMA
        fails(Status.Code.FAILED_PRECONDITION, "EBUSY", () -> setContainer(b, own, VTD_PRI_GROUP));
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> b.translate(VTD_PRI, -1, 0x100, 1));
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> b.dma.read(DmaReadRequest.newBuilder()
                .setSource(DmaSource.newBuilder().setDevice(VTD_PRI)).setIova(0x100).setLength(8).build()));
        byte[] seen = a.dma.read(DmaReadRequest.newBuilder().setSource(DmaSource.newBuilder().setDevice(VTD_PRI))
                .setIova(0x100).setLength(8).build()).getData().toByteArray();
        assertEquals(0x5ec7e7L, ByteBuffer.wrap(seen).order(ByteOrder.LITTLE_ENDIAN).getLong(), "the owner's DMA");
        // a PASID A allocates cannot be bound or freed by B
        setContainer(b, own, 3);
        setIommu(b, own, TYPE1_NESTING);
        int nestA = open(a);
        setContainer(a, nestA, 1);
        setIommu(a, nestA, TYPE1_NESTING);
        int pasidA = a.vfio.pasidRequest(PasidRequestRequest.newBuilder().setContainer(nestA).setFlags(1).setMin(1)
                .setMax(100).build()).getPasid();
        byte[] bind = ByteBuffer.allocate(72).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 72).putInt(4, 1).putInt(8, 1)
                .putInt(12, 48).putLong(24, 0x1000).putLong(32, pasidA).array();
        fails(Status.Code.PERMISSION_DENIED, "EACCES", () -> b.vfio.nestingOp(NestingOpRequest.newBuilder()
                .setContainer(own).setFlags(0).setData(ByteString.copyFrom(bind)).build()));
        b.vfio.pasidRequest(PasidRequestRequest.newBuilder().setContainer(own).setFlags(2).setMin(0)
                .setMax(Integer.MAX_VALUE).build()); // frees B's PASIDs only
        assertTrue(g.core.registry.ioasids().isAllocated(pasidA), "A's PASID survives B's FREE");

        // once A closes the container, the group and the device are free for B
        a.vfio.close(ContainerCloseRequest.newBuilder().setContainer(second).build());
        assertEquals(0, a.memory.listRegions(ListRegionsRequest.getDefaultInstance()).getRegions(0).getPins());
        int taken = open(b);
        setContainer(b, taken, VTD_PRI_GROUP);
        setIommu(b, taken, TYPE1V2);
        assertEquals(-1, b.output(VTD_PRI, -1, 0x100, 1), "B's container maps nothing yet");
    }

    @Test
    void aDevicesFaultsGoToTheSessionWhoseContainerHoldsIt() throws Exception {
        g = new VfioGateway(regionDir);
        VfioGateway.Client b = g.client("b"); // opened first: the router would reach b before a
        VfioGateway.Client a = g.client("a");
        EventCollector bEvents = EventCollector.subscribe(g.core.as(b.session));
        EventCollector aEvents = EventCollector.subscribe(g.core.as(a.session));

        // nobody holds the device: it does not exist for b's DMA
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> b.translate(VTD_PRI, -1, 0x6000, 1));

        // a's container takes the device: its faults are a's alone
        int container = open(a);
        setContainer(a, container, VTD_PRI_GROUP);
        setIommu(a, container, TYPE1V2);
        assertEquals(DmaResult.OutcomeCase.FAULT, a.translate(VTD_PRI, -1, 0x7000, 2).getOutcomeCase());
        Event mine = aEvents.events.poll(10, TimeUnit.SECONDS);
        assertEquals(0x7000, mine.getDeviceFault().getIova());
        assertNotEquals("config", mine.getDeviceFault().getStage(), "a fault in the container's domain");
        assertTrue(bEvents.events.isEmpty(), "b never hears of a's device: " + bEvents.events);
        fails(Status.Code.NOT_FOUND, "ENOENT", () -> b.translate(VTD_PRI, -1, 0x6000, 1));
    }

    @Test
    void closingTheSessionReleasesGroupsMappingsPasidsAndStructurePages() throws Exception {
        g = new VfioGateway(regionDir);
        VfioGateway.Client warm = g.client("warm-up");
        // a first use of the devices brings up the unit's structures they keep (context and PASID tables)
        Region warmRam = warm.region(RAM);
        int w = open(warm);
        setContainer(warm, w, VTD_PRI_GROUP);
        setIommu(warm, w, TYPE1_NESTING);
        map(warm, w, warmRam, 0, RAM);
        int w2 = open(warm);
        setContainer(warm, w2, 2);
        setIommu(warm, w2, TYPE1V2);
        SessionsGrpc.newBlockingStub(g.core.as(warm.session)).close(CloseSessionRequest.getDefaultInstance());
        long pagesAtStart = g.core.registry.structurePages().livePages();
        int pasidsAtStart = g.core.registry.ioasids().allocatedCount();

        VfioGateway.Client a = g.client("a");
        Region ram = a.region(RAM);
        int nest = open(a);
        setContainer(a, nest, VTD_PRI_GROUP);
        setIommu(a, nest, TYPE1_NESTING);
        map(a, nest, ram, 0, RAM);
        int pasid = a.vfio.pasidRequest(PasidRequestRequest.newBuilder().setContainer(nest).setFlags(1).setMin(1)
                .setMax(100).build()).getPasid();
        byte[] bind = ByteBuffer.allocate(72).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 72).putInt(4, 1).putInt(8, 1)
                .putInt(12, 48).putLong(24, 0x1000).putLong(32, pasid).array();
        a.vfio.nestingOp(NestingOpRequest.newBuilder().setContainer(nest).setFlags(0)
                .setData(ByteString.copyFrom(bind)).build());
        int plain = open(a);
        setContainer(a, plain, 2);
        setIommu(a, plain, TYPE1V2);
        map(a, plain, ram, 0x100_0000, 0x10_0000);
        assertTrue(g.core.registry.structurePages().livePages() > pagesAtStart, "the containers' tables");
        assertEquals(pasidsAtStart + 1, g.core.registry.ioasids().allocatedCount());

        SessionsGrpc.newBlockingStub(g.core.as(a.session)).close(CloseSessionRequest.getDefaultInstance());
        assertEquals(pagesAtStart, g.core.registry.structurePages().livePages(), "every table page back");
        assertEquals(pasidsAtStart, g.core.registry.ioasids().allocatedCount(), "the session's PASIDs freed");
        assertFalse(g.core.registry.ioasids().isAllocated(pasid));

        // the groups and devices are free again: another session takes them
        VfioGateway.Client b = g.client("b");
        Region ramB = b.region(RAM);
        int c = open(b);
        setContainer(b, c, VTD_PRI_GROUP);
        setContainer(b, c, 2);
        setIommu(b, c, TYPE1V2);
        map(b, c, ramB, 0, 0x1000);
        assertEquals(ramB.getHostPhysicalBase() + 0x10, b.output(VTD_PRI, -1, 0x10, 1));
    }

    @Test
    void anExpiredLeaseReleasesTheContainers() throws Exception {
        g = new VfioGateway(regionDir, new SessionQuotas(256L << 20, 64, 64, 4), 60_000);
        String shortLived = g.core.open("crashing-vmm", 2_000); // long enough for the set-up below
        VfioGateway.Client a = new VfioGateway.Client(g, shortLived);
        Region ram = a.region(RAM);
        int container = open(a);
        setContainer(a, container, VTD_PRI_GROUP);
        setIommu(a, container, TYPE1V2);
        map(a, container, ram, 0, 0x10_0000);
        VfioGateway.Client b = g.client("b");
        int other = open(b);
        fails(Status.Code.FAILED_PRECONDITION, "EBUSY", () -> setContainer(b, other, VTD_PRI_GROUP));

        // the lease runs out (no keep-alive); the release runs on the lease thread: B retries until the
        // group is free (bounded; no timing is asserted)
        long deadline = System.nanoTime() + 30_000_000_000L;
        boolean taken = false;
        while (!taken && System.nanoTime() < deadline) {
            try {
                setContainer(b, other, VTD_PRI_GROUP);
                taken = true;
            } catch (StatusRuntimeException busy) {
                assertEquals(Status.Code.FAILED_PRECONDITION, busy.getStatus().getCode(), busy.toString());
                Thread.sleep(20);
            }
        }
        assertTrue(taken, "the expired session's release freed the group");
        assertFalse(g.core.sessions.find(shortLived).isPresent(), "the session expired");
        setIommu(b, other, TYPE1V2);
        assertEquals(-1, b.output(VTD_PRI, -1, 0x1000, 1), "the expired session's mapping is gone");
    }
}
