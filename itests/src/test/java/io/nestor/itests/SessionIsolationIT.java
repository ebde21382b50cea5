package io.nestor.itests;

import static io.nestor.itests.support.Failures.statusOf;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.nestor.api.session.SessionService;
import io.nestor.itests.support.Eventually;
import io.nestor.itests.support.Events;
import io.nestor.itests.support.Failures;
import io.nestor.itests.support.Outside;
import io.nestor.itests.support.RpcFailure;
import io.nestor.itests.support.Services;
import io.nestor.itests.support.VmmSession;
import java.util.List;
import java.util.Map;
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
 * Sessions over the real loopback port are processes: a second session can neither see nor touch
 * the first one's regions, iommufd contexts, objects, devices or events — every attempt answers as
 * for a thing that does not exist — and a session whose client dies (its channel gone, its lease
 * run out) releases everything, so another session can bind its device.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SessionIsolationIT {
    private static final String NIC = "0000:00:02.0";
    private static final String NIC2 = "0000:00:03.0";
    /** The device the lease test hands from a dying session to another. */
    private static final String DEVICE = "0000:01:00.1";
    private static final long IOVA = 0x10_0000L;
    private static final long SIZE = 0x4000L;

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] configuration() {
        return NestorPlatformOptions.platform();
    }

    private static int port() {
        return NestorPlatformOptions.grpcPort();
    }

    @Test
    public void aSecondSessionNeitherSeesNorTouchesTheFirstOnesObjects() throws Exception {
        try (VmmSession a = Outside.session(port(), "vmm-a", 0); VmmSession b = Outside.session(port(), "vmm-b", 0)) {
            try {
                isolated(a, b);
            } finally {
                b.closeSessionQuietly();
                a.closeSessionQuietly();
            }
        }
    }

    private static void isolated(VmmSession a, VmmSession b) throws Exception {
        a.subscribe();
        b.subscribe();
        long[] region = a.createRegion(SIZE);
        a.write(region[1], new byte[] {1, 2, 3, 4});
        int fd = a.iommufdOpen();
        int ioas = a.ioasAlloc(fd);
        a.ioasMap(fd, VmmSession.MAP_FIXED_RW, ioas, region[1], SIZE, IOVA);
        int dev = a.bindIommufd(NIC, fd);
        a.attach(NIC, ioas);

        // Memory: B lists nothing; A's addresses and region id are as unknown to B as made-up ones.
        assertEquals(List.of(), b.listRegions());
        assertEquals(statusOf("read of a never-used address", () -> b.read(0x7fff_0000_0000L, 4)),
                statusOf("B reading A's region", () -> b.read(region[1], 4)));
        assertEquals("INVALID_ARGUMENT/EFAULT", statusOf("B writing A's region",
                () -> b.write(region[1], new byte[] {9})));
        assertEquals("NOT_FOUND/ENOENT", statusOf("B destroying A's region", () -> b.destroyRegion((int) region[0])));

        // iommufd: A's context number means nothing in B; in B's own context A's ids do not exist.
        assertEquals(statusOf("a never-opened iommufd", () -> b.ioasAlloc(0x7fff)),
                statusOf("B using A's iommufd", () -> b.ioasAlloc(fd)));
        assertEquals("NOT_FOUND/EBADF", statusOf("B unmapping through A's iommufd",
                () -> b.ioasUnmap(fd, ioas, IOVA, SIZE)));
        int bfd = b.iommufdOpen();
        assertEquals("NOT_FOUND/ENOENT", statusOf("A's IOAS id in B's context",
                () -> b.ioasUnmap(bfd, ioas, IOVA, SIZE)));
        assertEquals("NOT_FOUND/ENOENT", statusOf("A's IOAS id destroyed in B's context", () -> b.destroy(bfd, ioas)));

        // Devices: A's device is not B's to attach or to issue DMA from; B cannot take it.
        assertEquals("NOT_FOUND/ENOENT", statusOf("B's DMA from A's device, by name",
                () -> b.translateByName(NIC, VmmSession.NO_PASID, new long[] {IOVA}, VmmSession.PERM_READ)));
        assertEquals("NOT_FOUND/ENOENT", statusOf("B's DMA from A's dev_id in B's context",
                () -> b.translateOutputs(bfd, dev, VmmSession.NO_PASID, new long[] {IOVA}, VmmSession.PERM_READ)));
        assertEquals("NOT_FOUND/ENOENT", statusOf("B attaching A's device",
                () -> b.attach(NIC, b.ioasAlloc(bfd))));
        // Binding is the one call that reports the device busy, as the kernel's DMA-owner claim does.
        assertEquals("FAILED_PRECONDITION/EBUSY", statusOf("B binding A's device", () -> b.bindIommufd(NIC, bfd)));
        assertArrayEquals("B's device list shows it busy, not B's", new boolean[] {true, false},
                b.listDevices().get(NIC));
        assertArrayEquals(new boolean[] {true, true}, a.listDevices().get(NIC));

        // Nothing of A changed: its data and its translation are intact.
        assertArrayEquals(new byte[] {1, 2, 3, 4}, a.read(region[1], 4));
        assertEquals(region[2] + 0x10, (long) a.translateOutputs(fd, dev, VmmSession.NO_PASID,
                new long[] {IOVA + 0x10}, VmmSession.PERM_READ)[0]);

        // Events: A's fault reaches A only. B's own later fault is the first device fault B sees.
        long[] aFault = a.translateOutputs(fd, dev, VmmSession.NO_PASID, new long[] {IOVA + SIZE},
                VmmSession.PERM_READ);
        assertEquals(-1L, aFault[0]);
        assertEquals(NIC, Events.next(a, "device_fault").get("device"));
        long[] bRegion = b.createRegion(SIZE);
        int bioas = b.ioasAlloc(bfd);
        b.ioasMap(bfd, VmmSession.MAP_FIXED_RW, bioas, bRegion[1], SIZE, IOVA);
        int bdev = b.bindIommufd(NIC2, bfd);
        b.attach(NIC2, bioas);
        assertEquals(-1L, b.translateOutputs(bfd, bdev, VmmSession.NO_PASID, new long[] {IOVA + SIZE},
                VmmSession.PERM_READ)[0]);
        Map<String, Object> bEvent = Events.next(b, "device_fault");
        assertEquals("B's first device fault is its own", NIC2, bEvent.get("device"));
    }

    @Test
    public void aSessionWhoseLeaseRunsOutReleasesItsDeviceForAnother() throws Exception {
        SessionService sessions = Services.await(context, SessionService.class, null);
        String deadId;
        try (VmmSession b = Outside.session(port(), "vmm-survivor", 0)) {
            int bfd = b.iommufdOpen();
            try (VmmSession a = Outside.session(port(), "vmm-dying", 1_000)) {
                assertTrue("lease granted " + a.leaseMillis(), a.leaseMillis() > 0 && a.leaseMillis() <= 1_000);
                deadId = a.id();
                // An open event stream keeps A's lease alive while B checks that the device is taken.
                a.subscribe();
                long[] region = a.createRegion(SIZE);
                int fd = a.iommufdOpen();
                int ioas = a.ioasAlloc(fd);
                a.ioasMap(fd, VmmSession.MAP_FIXED_RW, ioas, region[1], SIZE, IOVA);
                a.bindIommufd(DEVICE, fd);
                a.attach(DEVICE, ioas);
                assertEquals("FAILED_PRECONDITION/EBUSY", statusOf("binding A's device",
                        () -> b.bindIommufd(DEVICE, bfd)));
                assertTrue(sessions.find(deadId).isPresent());
            } // A's client dies: its channel and its stream are gone, nothing renews the lease
            Eventually.assertEventually("B's bind of the device A held", "bound", () -> {
                try {
                    b.bindIommufd(DEVICE, bfd);
                    return "bound";
                } catch (RpcFailure e) {
                    return e.code() + "/" + e.reason();
                }
            });
            assertFalse("the expired session is gone from the core", sessions.find(deadId).isPresent());
            assertArrayEquals(new boolean[] {true, true}, b.listDevices().get(DEVICE));
            try (VmmSession ghost = Outside.attach(port(), deadId)) {
                RpcFailure f = Failures.failureOf("a call on the expired session", () -> ghost.listRegions());
                assertEquals("UNAUTHENTICATED", f.code());
            }
            b.closeSession();
        }
    }
}
