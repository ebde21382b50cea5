package io.nestor.itests;

import static io.nestor.itests.support.Eventually.assertEventually;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.nestor.api.dma.DmaRequest;
import io.nestor.api.dma.DmaResult;
import io.nestor.api.platform.Platform;
import io.nestor.api.platform.UnitState;
import io.nestor.api.session.MemoryRegionInfo;
import io.nestor.api.session.Session;
import io.nestor.api.session.SessionService;
import io.nestor.api.translation.Access;
import io.nestor.api.vfio.VfioContainers;
import io.nestor.api.vfio.VfioDmaMap;
import io.nestor.api.vfio.VfioDmaUnmap;
import io.nestor.itests.support.ExternalGrpcClient;
import io.nestor.itests.support.ExternalSessionClient;
import io.nestor.itests.support.Services;
import java.util.List;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;

/**
 * The core's session service resolves and registers in Felix, and the gateway serves it over the
 * loopback port: a session opened by a plain gRPC client is the service's session, its region is in
 * host memory, and closing it over gRPC releases it.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SessionGatewayIT {

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] configuration() {
        return NestorPlatformOptions.platform();
    }

    @Test
    public void theSessionServiceIsRegisteredAndWorks() {
        SessionService sessions = Services.await(context, SessionService.class, null);
        Session s = sessions.open("itest", 0);
        MemoryRegionInfo r = s.memory().create(0x2000, "");
        s.memory().write(r.userVa(), new byte[] {5, 6});
        assertEquals(6, s.memory().read(r.userVa() + 1, 1)[0]);
        s.close();
        assertFalse(sessions.find(s.id()).isPresent());
    }

    /** A session's VFIO container in the assembled platform: its mapping is what the device's DMA sees. */
    @Test
    public void aSessionsVfioContainerMapsForItsDevice() {
        Platform platform = Services.await(context, Platform.class, null);
        assertEventually("dmar0 has its driver", UnitState.ACTIVE,
                () -> platform.unit("dmar0").map(u -> u.state()).orElse(null));
        SessionService sessions = Services.await(context, SessionService.class, null);
        Session s = sessions.open("itest-vfio", 0);
        try {
            MemoryRegionInfo ram = s.memory().create(0x10_0000, "");
            VfioContainers vfio = s.vfio();
            int c = vfio.open();
            vfio.setContainer(c, 2); // 0000:00:04.0, dmar0's legacy device in the default topology
            vfio.setIommu(c, 3); // VFIO_TYPE1v2_IOMMU
            vfio.mapDma(c, new VfioDmaMap(VfioDmaMap.FLAG_READ | VfioDmaMap.FLAG_WRITE, ram.userVa(), 0x10_0000,
                    0x2000));
            DmaResult r = s.dma().translate(List.of(new DmaRequest("0000:00:04.0", DmaRequest.NO_PASID, 0x10_1010,
                    Access.READ))).get(0);
            assertFalse(r.toString(), r.isFault());
            assertEquals(ram.hostPhysicalBase() + 0x1010, r.outputAddress());
            assertEquals(0x2000, vfio.unmapDma(c, new VfioDmaUnmap(VfioDmaUnmap.FLAG_ALL, 0, 0, null)).size());
            assertTrue(s.dma().translate(List.of(new DmaRequest("0000:00:04.0", DmaRequest.NO_PASID, 0x10_1010,
                    Access.READ))).get(0).isFault());
        } finally {
            s.close();
        }
    }

    @Test
    public void theShellOffersTheSessionsCommand() {
        assertEventually("nestor:sessions command services", 1, () -> {
            try {
                org.osgi.framework.ServiceReference<?>[] refs = context.getServiceReferences((String) null,
                        "(&(osgi.command.scope=nestor)(osgi.command.function=sessions))");
                return refs == null ? 0 : refs.length;
            } catch (org.osgi.framework.InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    public void aRemoteClientOpensUsesAndClosesASession() {
        SessionService sessions = Services.await(context, SessionService.class, null);
        try (ExternalGrpcClient health = new ExternalGrpcClient(NestorPlatformOptions.grpcPort());
                ExternalSessionClient grpc = new ExternalSessionClient(NestorPlatformOptions.grpcPort())) {
            assertEventually("health of the server", "SERVING", () -> health.health(""));
            String id = grpc.open("remote-vmm");
            Session s = sessions.find(id).orElseThrow(() -> new AssertionError("no session " + id + " in the core"));
            String base = grpc.createRegion(id, 0x4000);
            assertEquals(Long.toHexString(s.memory().list().get(0).hostPhysicalBase()), base);
            assertEquals(1, grpc.regionCount(id));
            assertEquals("OK", grpc.closeSession(id));
            assertFalse(s.isOpen());
            assertEquals("UNAUTHENTICATED", grpc.createRegion(id, 0x1000));
            assertTrue(sessions.find(id).isEmpty());
        }
    }
}
