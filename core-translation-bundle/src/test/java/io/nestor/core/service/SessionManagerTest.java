package io.nestor.core.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.iommufd.IoasMap;
import io.nestor.api.iommufd.IoasMapFile;
import io.nestor.api.iommufd.IoasMapFlags;
import io.nestor.api.session.MemoryRegionInfo;
import io.nestor.api.session.Session;
import io.nestor.api.session.SessionQuotas;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.topology.TopologyFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The session service over a real registry and sparse memory: regions, quotas, release, layout. */
class SessionManagerTest {
    private static final int RW = IoasMapFlags.READABLE | IoasMapFlags.WRITEABLE;

    @TempDir
    Path regionDir;

    private final SparsePhysicalMemory memory = new SparsePhysicalMemory(52);
    private final DriverRegistry registry = new DriverRegistry(TopologyFile.embeddedDefault(), memory);
    private SessionManager manager;

    private SessionManager manager(SessionSettings settings) {
        manager = SessionManager.over(registry, settings);
        return manager;
    }

    private SessionManager manager() {
        return manager(SessionSettings.defaults(regionDir));
    }

    @AfterEach
    void close() {
        if (manager != null) {
            manager.close();
        }
    }

    @Test
    void regionsLieInTheirWindowsBelowTheStructureWindowAndAreAligned() {
        Session s = manager().open("t", 0);
        MemoryRegionInfo small = s.memory().create(0x3000, "");
        MemoryRegionInfo huge = s.memory().create(4L << 20, "");
        MemoryRegionInfo file = s.memory().create(0x2000, "guest.ram");
        for (MemoryRegionInfo r : new MemoryRegionInfo[] {small, huge}) {
            assertTrue(r.hostPhysicalBase() >= HostMemoryLayout.ANONYMOUS_BASE
                    && r.hostPhysicalBase() + r.size() <= HostMemoryLayout.FILE_BASE, r.toString());
        }
        assertTrue(file.hostPhysicalBase() >= HostMemoryLayout.FILE_BASE
                && file.hostPhysicalBase() + file.size() <= 1L << 46, file.toString());
        assertEquals(0, huge.hostPhysicalBase() & ((2L << 20) - 1), "a 4 MiB region is 2 MiB aligned");
        assertEquals(0, huge.userVa() & ((2L << 20) - 1));
        assertEquals(regionDir.resolve("guest.ram").toString(), file.filePath());
        assertTrue(small.userVa() + small.size() <= huge.userVa() || huge.userVa() + huge.size() <= small.userVa());
    }

    @Test
    void writesReachHostMemoryAndAFileBackedRegionsFile() throws IOException {
        Session s = manager().open("t", 0);
        MemoryRegionInfo r = s.memory().create(0x2000, "shared");
        byte[] data = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        s.memory().write(r.userVa() + 0xffc, data); // straddles a page
        assertArrayEquals(data, s.memory().read(r.userVa() + 0xffc, data.length));
        assertEquals(0x0908070605L, memory.read64(r.hostPhysicalBase() + 0x1000) & 0xff_ffff_ffffL);
        try (FileChannel ch = FileChannel.open(Path.of(r.filePath()), StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0x1000);
            assertEquals(0x0908070605L, b.getLong(0) & 0xff_ffff_ffffL);
        }
        IommuException outside = assertThrows(IommuException.class, () -> s.memory().read(r.userVa() + 0x2000 - 4, 8));
        assertEquals(Errno.EFAULT, outside.errno());
    }

    @Test
    void destroyedMemoryIsZeroForTheNextSessionAndTheFileIsDeleted() {
        SessionManager m = manager();
        Session a = m.open("a", 0);
        MemoryRegionInfo ra = a.memory().create(0x1000, "");
        MemoryRegionInfo fa = a.memory().create(0x1000, "f");
        a.memory().write(ra.userVa(), new byte[] {42});
        a.memory().destroy(ra.regionId());
        a.memory().destroy(fa.regionId());
        assertFalse(Files.exists(Path.of(fa.filePath())));
        Session b = m.open("b", 0);
        MemoryRegionInfo rb = b.memory().create(0x1000, "");
        assertEquals(ra.hostPhysicalBase(), rb.hostPhysicalBase(), "the range is reused");
        assertEquals(0, b.memory().read(rb.userVa(), 1)[0]);
        IommuException gone = assertThrows(IommuException.class, () -> a.memory().destroy(ra.regionId()));
        assertEquals(Errno.ENOENT, gone.errno());
    }

    @Test
    void aMappedRegionIsBusyAndClosingTheSessionReleasesEverything() {
        SessionManager m = manager();
        Session s = m.open("t", 0);
        MemoryRegionInfo r = s.memory().create(0x4000, "");
        MemoryRegionInfo f = s.memory().create(0x1000, "mapped");
        int fd = s.iommufd().open();
        int ioas = s.iommufd().ioasAlloc(fd, 0);
        s.iommufd().ioasMap(fd, new IoasMap(RW | IoasMapFlags.FIXED_IOVA, ioas, r.userVa(), 0x4000, 0x10_0000));
        s.iommufd().ioasMapFile(fd, new IoasMapFile(RW, ioas, f.regionId(), 0, 0x1000, 0));
        IommuException busy = assertThrows(IommuException.class, () -> s.memory().destroy(r.regionId()));
        assertEquals(Errno.EBUSY, busy.errno());
        assertEquals(1, s.memory().list().get(0).pins());

        s.close();
        assertFalse(s.isOpen());
        assertTrue(m.find(s.id()).isEmpty());
        assertFalse(Files.exists(Path.of(f.filePath())));
        assertEquals(Errno.EBADF, assertThrows(IommuException.class, () -> s.memory().list()).errno());
        assertEquals(Errno.EBADF, assertThrows(IommuException.class, s::close).errno());
        // The host range is free again: the next region gets it.
        assertEquals(r.hostPhysicalBase(), m.open("u", 0).memory().create(0x4000, "").hostPhysicalBase());
    }

    @Test
    void quotasAnswerEnomemAndEnospcWithoutEffect() {
        SessionManager m = manager(SessionSettings.defaults(regionDir).withQuotas(new SessionQuotas(0x3000, 3, 8)));
        Session s = m.open("t", 0);
        s.memory().create(0x2000, "");
        IommuException mem = assertThrows(IommuException.class, () -> s.memory().create(0x2000, ""));
        assertEquals(Errno.ENOMEM, mem.errno());
        assertEquals(1, s.memory().list().size());
        int fd = s.iommufd().open();
        s.iommufd().ioasAlloc(fd, 0); // region + context + IOAS = 3 objects
        IommuException objects = assertThrows(IommuException.class, () -> s.iommufd().ioasAlloc(fd, 0));
        assertEquals(Errno.ENOSPC, objects.errno());
        assertEquals(Errno.ENOSPC, assertThrows(IommuException.class, () -> s.iommufd().open()).errno());
        assertEquals(1, s.iommufd().contexts().size());
    }

    @Test
    void sessionsDoNotSeeEachOthersObjects() {
        SessionManager m = manager();
        Session a = m.open("a", 0);
        Session b = m.open("b", 0);
        MemoryRegionInfo r = a.memory().create(0x1000, "");
        int fdA = a.iommufd().open();
        a.iommufd().ioasAlloc(fdA, 0);
        a.iommufd().ioasAlloc(fdA, 0);
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class, () -> b.memory().destroy(r.regionId())).errno());
        assertEquals(Errno.EFAULT, assertThrows(IommuException.class, () -> b.memory().read(r.userVa(), 1)).errno());
        assertEquals(Errno.EBADF, assertThrows(IommuException.class, () -> b.iommufd().ioasAlloc(fdA, 0)).errno());
        int fdB = b.iommufd().open();
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class,
                () -> b.iommufd().ioasUnmap(fdB, 2, 0, -1L)).errno());
        assertEquals(1, a.memory().list().size());
    }

    @Test
    void anExpiredLeaseReleasesTheSession() throws InterruptedException {
        SessionManager m = manager(SessionSettings.defaults(regionDir).withDefaultLease(50));
        Session s = m.open("short", 0);
        assertEquals(50, s.leaseMillis());
        MemoryRegionInfo f = s.memory().create(0x1000, "leased");
        int fd = s.iommufd().open();
        s.iommufd().ioasAlloc(fd, 0);
        // the release closes the session first, then its contexts, then its regions' files
        for (int i = 0; i < 1000 && (s.isOpen() || Files.exists(Path.of(f.filePath()))); i++) {
            Thread.sleep(10);
        }
        assertFalse(s.isOpen(), "the lease ran out");
        assertTrue(m.sessions().isEmpty());
        assertFalse(Files.exists(Path.of(f.filePath())));
    }

    @Test
    void closeRacingWithCallsLeavesNothingBehind() throws Exception {
        SessionManager m = manager();
        for (int attempt = 0; attempt < 20; attempt++) {
            Session s = m.open("racer", 0);
            java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(4);
            java.util.List<Thread> threads = new java.util.ArrayList<>();
            java.util.concurrent.atomic.AtomicReference<Throwable> unexpected = new java.util.concurrent.atomic.AtomicReference<>();
            for (int t = 0; t < 4; t++) {
                int id = t;
                Thread thread = new Thread(() -> {
                    started.countDown();
                    try {
                        for (int i = 0; ; i++) {
                            MemoryRegionInfo r = s.memory().create(0x2000, id == 0 ? "f" + i : "");
                            s.memory().write(r.userVa(), new byte[] {1, 2, 3});
                            s.memory().read(r.userVa(), 3);
                            int fd = s.iommufd().open();
                            s.iommufd().ioasMap(fd, new IoasMap(RW, s.iommufd().ioasAlloc(fd, 0), r.userVa(), 0x2000, 0));
                            s.events().subscribe(new io.nestor.api.event.SessionEventListener() { });
                        }
                    } catch (IommuException e) {
                        // EBADF once closed, EFAULT for a region destroyed under a read: both expected
                        if (e.errno() != Errno.EBADF && e.errno() != Errno.EFAULT) {
                            unexpected.set(e);
                        }
                    } catch (Throwable e) {
                        unexpected.set(e);
                    }
                });
                threads.add(thread);
                thread.start();
            }
            started.await();
            s.close();
            for (Thread t : threads) {
                t.join(10_000);
            }
            if (unexpected.get() != null) {
                throw new AssertionError("attempt " + attempt, unexpected.get());
            }
            try (var files = Files.list(regionDir)) {
                assertEquals(0, files.count(), "attempt " + attempt + ": every region file is deleted");
            }
            Session next = m.open("next", 0);
            assertEquals(HostMemoryLayout.ANONYMOUS_BASE, next.memory().create(0x2000, "").hostPhysicalBase(),
                    "attempt " + attempt + ": every anonymous range is free again");
            next.close();
        }
    }

    @Test
    void badOpenArguments() {
        SessionManager m = manager();
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> m.open("", 0)).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> m.open("x\n", 0)).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> m.open("x", -1)).errno());
        assertEquals(SessionSettings.MAX_LEASE_MILLIS, m.open("x", Long.MAX_VALUE).leaseMillis());
        Session s = m.open("x", 0);
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> s.memory().create(0x1001, "")).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> s.memory().create(0x1000, "../x")).errno());
        s.memory().create(0x1000, "once");
        assertEquals(Errno.EEXIST, assertThrows(IommuException.class, () -> s.memory().create(0x1000, "once")).errno());
        assertEquals(1, s.memory().list().size());
    }
}
