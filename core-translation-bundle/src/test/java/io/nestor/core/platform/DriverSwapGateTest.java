package io.nestor.core.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.topology.TopologyFile;
import io.nestor.core.translate.TranslationResult;
import io.nestor.core.unit.DriverBinding;
import io.nestor.core.unit.IommuUnit;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A unit whose driver leaves: misses wait for the next driver up to the configured time, and the
 * departing driver's calls in progress finish before its removal returns.
 */
class DriverSwapGateTest {
    private static final int SID = 0x10; // 0000:00:02.0 behind dmar0

    private final DriverRegistry registry = new DriverRegistry(TopologyFile.embeddedDefault(),
            new SparsePhysicalMemory(52));
    private final IommuUnit dmar0 = registry.runtimeUnit("dmar0").orElseThrow();
    private final List<String> order = new CopyOnWriteArrayList<>();

    private static DriverBinding binding(RecordingDriver d, long serviceId) {
        return new DriverBinding(d, d.kind(), "test.vtd", 10 + serviceId, "1." + serviceId + ".0", 0, serviceId);
    }

    private boolean translate() {
        return registry.engine().translate(dmar0.index(), SID, -1, 0x1000, Access.READ, new TranslationResult());
    }

    private static void awaitWaiting(Thread t) throws InterruptedException {
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            assertTrue(t.isAlive(), "the thread ended instead of waiting");
            Thread.sleep(1);
        }
    }

    @Test
    void withoutAWaitAMissFailsAtOnceNamingTheUnit() {
        IommuException e = assertThrows(IommuException.class, this::translate);
        assertEquals(Errno.EAGAIN, e.errno());
        assertTrue(e.getMessage().contains("dmar0"), e.getMessage());
    }

    @Test
    void aMissWaitsForTheNextDriverAndIsServedByIt() throws Exception {
        registry.setDriverWaitMillis(60_000);
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread dma = new Thread(() -> {
            try {
                outcome.set(translate());
            } catch (RuntimeException e) {
                outcome.set(e);
            }
        });
        dma.start();
        awaitWaiting(dma);
        RecordingDriver next = new RecordingDriver("intel-vtd", 2);
        registry.addDriver(binding(next, 2));
        dma.join();
        assertEquals(Boolean.TRUE, outcome.get());
        assertTrue(next.calls.stream().anyMatch(c -> c.startsWith("decode dmar0")), next.calls.toString());
    }

    @Test
    void aMissGivesUpWithEagainAfterTheConfiguredWait() {
        registry.setDriverWaitMillis(20);
        IommuException e = assertThrows(IommuException.class, this::translate);
        assertEquals(Errno.EAGAIN, e.errno());
        assertTrue(e.getMessage().contains("waited 20 ms"), e.getMessage());
        assertEquals(Errno.EINVAL,
                assertThrows(IommuException.class, () -> registry.setDriverWaitMillis(-1)).errno());
    }

    @Test
    void aDepartingDriversCallInProgressFinishesBeforeItsRemovalReturns() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RecordingDriver slow = new RecordingDriver("intel-vtd", 1) {
            @Override
            public TranslationConfig decodeConfig(UnitContext unit, DeviceInfo device, int pasid) {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                order.add("decode returns");
                return TranslationConfig.bypass(0);
            }
        };
        registry.addDriver(binding(slow, 1));
        Thread dma = new Thread(this::translate);
        dma.start();
        inside.await();
        assertEquals(1, dmar0.driverCallsInProgress());

        Thread remover = new Thread(() -> {
            registry.removeDriver(1);
            order.add("removal returns");
        });
        remover.start();
        awaitWaiting(remover);
        assertEquals(List.of(), order, "the removal waits for the call in the departing driver");

        release.countDown();
        remover.join();
        dma.join();
        assertEquals(List.of("decode returns", "removal returns"), order);
        assertEquals(null, dmar0.binding());
    }
}
