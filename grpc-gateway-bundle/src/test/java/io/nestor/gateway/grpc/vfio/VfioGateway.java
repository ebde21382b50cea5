package io.nestor.gateway.grpc.vfio;

import com.google.protobuf.ByteString;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.session.SessionQuotas;
import io.nestor.core.unit.DriverBinding;
import io.nestor.driver.smmuv3.Smmuv3Driver;
import io.nestor.gateway.grpc.CoreGateway;
import io.nestor.gateway.grpc.proto.CreateRegionRequest;
import io.nestor.gateway.grpc.proto.DmaGrpc;
import io.nestor.gateway.grpc.proto.DmaRequest;
import io.nestor.gateway.grpc.proto.DmaResult;
import io.nestor.gateway.grpc.proto.DmaSource;
import io.nestor.gateway.grpc.proto.MemoryGrpc;
import io.nestor.gateway.grpc.proto.MemoryWriteRequest;
import io.nestor.gateway.grpc.proto.Region;
import io.nestor.gateway.grpc.proto.TranslateRequest;
import io.nestor.gateway.grpc.proto.VfioContainerGrpc;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * The VFIO container tests' platform: {@link CoreGateway} (the real core, the real VT-d driver on
 * dmar0) with the real SMMUv3 driver bound to smmu0 as well, and one client per session with the
 * stubs a VMM uses. IOMMU groups follow the embedded default topology: group 0 is {@value #VTD_PRI}
 * (dmar0, PASID and PRI), 2 is {@value CoreGateway#VTD_DEVICE} (dmar0, legacy), 4 is
 * {@value #SMMU_DEVICE} (smmu0).
 */
final class VfioGateway implements AutoCloseable {
    static final String VTD_PRI = "0000:00:02.0";
    static final int VTD_PRI_GROUP = 0;
    static final int VTD_LEGACY_GROUP = 2;
    static final String SMMU_DEVICE = "0001:00:01.0";
    static final int SMMU_GROUP = 4;
    static final int TYPE1 = 1;
    static final int TYPE1V2 = 3;
    static final int DMA_CC = 4;
    static final int TYPE1_NESTING = 6;
    static final int UNMAP_ALL_EXTENSION = 9;
    static final int UPDATE_VADDR = 10;
    static final int RW = 3;
    static final long RAM = 16L << 20;

    final CoreGateway core;

    VfioGateway(Path regionDir, SessionQuotas quotas, long leaseMillis) throws Exception {
        core = new CoreGateway(regionDir, leaseMillis, quotas);
        core.registry.addDriver(new DriverBinding(new Smmuv3Driver(), IommuDriver.KIND_ARM_SMMUV3,
                "io.nestor.driver.smmuv3", 2, "1.0.0", 0, 2L));
    }

    VfioGateway(Path regionDir) throws Exception {
        this(regionDir, new SessionQuotas(256L << 20, 64, 64, 4), 60_000);
    }

    /** A session with its stubs. */
    Client client(String name) {
        return new Client(this, core.open(name, 0));
    }

    @Override
    public void close() throws Exception {
        core.close();
    }

    /** One session seen from the VMM: its VfioContainer, Memory and Dma stubs. */
    static final class Client {
        final String session;
        final VfioContainerGrpc.VfioContainerBlockingStub vfio;
        final MemoryGrpc.MemoryBlockingStub memory;
        final DmaGrpc.DmaBlockingStub dma;

        Client(VfioGateway g, String session) {
            this.session = session;
            this.vfio = VfioContainerGrpc.newBlockingStub(g.core.as(session));
            this.memory = MemoryGrpc.newBlockingStub(g.core.as(session));
            this.dma = DmaGrpc.newBlockingStub(g.core.as(session));
        }

        Region region(long size) {
            return memory.createRegion(CreateRegionRequest.newBuilder().setSize(size).build()).getRegion();
        }

        /** Writes a little-endian 64-bit value at session virtual address {@code va}. */
        void write64(long va, long value) {
            byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value).array();
            memory.write(MemoryWriteRequest.newBuilder().setUserVa(va).setData(ByteString.copyFrom(b)).build());
        }

        /** One DMA translation: the result (a translation or a fault). */
        DmaResult translate(String device, int pasid, long iova, int perm) {
            DmaSource.Builder source = DmaSource.newBuilder().setDevice(device);
            if (pasid >= 0) {
                source.setPasidValid(true).setPasid(pasid);
            }
            return dma.translate(TranslateRequest.newBuilder()
                    .addRequests(DmaRequest.newBuilder().setSource(source).setIova(iova).setPerm(perm)).build())
                    .getResults(0);
        }

        /** The output address of a DMA, or -1 when it faults. */
        long output(String device, int pasid, long iova, int perm) {
            DmaResult r = translate(device, pasid, iova, perm);
            return r.getOutcomeCase() == DmaResult.OutcomeCase.TRANSLATION ? r.getTranslation().getOutputAddress()
                    : -1;
        }
    }
}
