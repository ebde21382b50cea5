package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.DeviceFixture.NIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.translation.Access;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * MAP / UNMAP racing with DMA through the engine's IOTLB and walk caches: freed table pages are
 * reused at once by the next MAP elsewhere, so a translation that survived its unmap or a walk
 * through a freed table would show a wrong address. Every DMA must give the one right address or
 * fault — with the driver's flush and with the core's fallback.
 */
class ConcurrentUnmapDmaTest {
    private static final long[] IOVAS = {0x10_0000L, 0x4000_0000L, 0x80_0000_0000L};

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void dmaNeverSeesAStaleOrForeignTranslation(boolean driverFlush) throws InterruptedException {
        DeviceFixture f = new DeviceFixture();
        f.vtd.flushSupported = driverFlush;
        int dev = f.bind(NIC);
        int ioas = f.ioas();
        f.context.devices().attach(dev, DeviceInfo.NO_PASID, ioas);
        AtomicBoolean stop = new AtomicBoolean();
        List<String> wrong = new CopyOnWriteArrayList<>();
        AtomicLong hits = new AtomicLong();
        Thread dma = new Thread(() -> {
            while (!stop.get()) {
                for (long iova : IOVAS) {
                    long pa = f.translate(NIC, DeviceInfo.NO_PASID, iova + 0x1008, Access.READ);
                    if (pa == 0x3_0000_1008L) {
                        hits.incrementAndGet();
                    } else if (pa != -1) {
                        wrong.add(Long.toHexString(iova) + " -> " + Long.toHexString(pa));
                    }
                }
            }
        });
        dma.start();
        try {
            for (int round = 0; round < 300; round++) {
                long iova = IOVAS[round % IOVAS.length];
                f.mapRegion(ioas, iova, 0x2000);
                f.translate(NIC, DeviceInfo.NO_PASID, iova + 0x1008, Access.READ); // warm the caches
                f.context.ioas().unmap(ioas, iova, 0x2000);
                assertEquals(-1, f.translate(NIC, DeviceInfo.NO_PASID, iova + 0x1008, Access.READ),
                        "faults right after its unmap");
            }
        } finally {
            stop.set(true);
            dma.join();
        }
        assertTrue(wrong.isEmpty(), "DMA saw foreign addresses: " + wrong);
        assertEquals(0, f.tablePages.livePages(), "every table freed after its flush");
    }
}
