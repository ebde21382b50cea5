package io.nestor.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.platform.UnitState;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.core.dma.DeviceDma;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.topology.TopologyFile;
import io.nestor.core.translate.TranslationResult;
import io.nestor.core.unit.DriverBinding;
import io.nestor.core.unit.IommuUnit;
import io.nestor.driver.smmuv3.Smmuv3Driver;
import io.nestor.driver.vtd.VtdDriver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Drivers replaced while DMA flows, at the platform level with the real drivers: client threads
 * translate, read and write through both units and invalidate, and a mapper adds mappings, while
 * each driver is removed and replaced by a new instance of a new version ten times (a bundle update:
 * the old registration leaves, then the new one arrives). Expected: no wrong translation, no lost
 * mapping or attachment, no failure other than the bounded wait for the next driver. The longest
 * pause a client saw is printed (it is a measurement, not an assertion).
 */
class HotSwapUnderLoadTest {
    private static final int SWAPS = 10;
    private static final int CLIENTS = 3;
    private static final long IOVA_BASE = 0x4000_0000L;

    private final SparsePhysicalMemory memory = new SparsePhysicalMemory(52);
    private final DriverRegistry registry = new DriverRegistry(TopologyFile.embeddedDefault(), memory);
    private final DeviceDma dma = new DeviceDma(registry);

    /** One attached device with its mappings: page index to host physical page. */
    private final class Target {
        final IommuUnit unit;
        final DeviceInfo device;
        final DomainDescriptor domain;
        final DriverDomainTables tables;
        final Map<Integer, Long> mapped = new ConcurrentHashMap<>();

        Target(IommuDriver driver, String unitName, String deviceName) {
            unit = registry.runtimeUnit(unitName).orElseThrow();
            device = registry.devices().stream().filter(d -> d.name().equals(deviceName)).findFirst().orElseThrow();
            domain = driver.allocPagingDomain(unit, 0);
            tables = new DriverDomainTables(memory, unit, domain, driver.pagingFormat(unit, domain));
            driver.attachDevice(unit, device, domain);
        }

        /** Maps page {@code i} (the mapper is the only writer of the tables). */
        void map(int i) {
            long iova = IOVA_BASE + ((long) i << 12);
            long pa = 0x2_0000_0000L + ((long) unit.index() << 32) + ((long) i << 12);
            tables.map(iova, pa);
            mapped.put(i, pa);
        }
    }

    @Test
    void clientsSeeOnlyRightTranslationsAndBoundedPausesWhileBothDriversAreSwappedTenTimes() throws Exception {
        registry.setDriverWaitMillis(30_000);
        long[] serviceIds = {1, 2};
        registry.addDriver(binding(new VtdDriver(), IommuDriver.KIND_INTEL_VTD, 0, serviceIds[0]));
        registry.addDriver(binding(new Smmuv3Driver(), IommuDriver.KIND_ARM_SMMUV3, 0, serviceIds[1]));
        List<Target> targets = List.of(new Target(new VtdDriver(), "dmar0", "0000:00:02.0"),
                new Target(new Smmuv3Driver(), "smmu0", "0001:00:01.0"));
        for (Target t : targets) {
            for (int i = 0; i < 16; i++) {
                t.map(i);
            }
        }

        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong operations = new AtomicLong();
        AtomicLong longestPauseNanos = new AtomicLong();
        Queue<String> wrong = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            Random random = new Random(c);
            threads.add(new Thread(() -> {
                TranslationResult r = new TranslationResult();
                while (!stop.get()) {
                    Target t = targets.get(random.nextInt(targets.size()));
                    Integer[] pages = t.mapped.keySet().toArray(new Integer[0]);
                    int i = pages[random.nextInt(pages.length)];
                    long iova = IOVA_BASE + ((long) i << 12);
                    long start = System.nanoTime();
                    try {
                        switch (random.nextInt(4)) {
                            case 0 -> {
                                boolean ok = registry.engine().translate(t.unit.index(), t.device.sourceId(), -1,
                                        iova + 8, Access.READ, r);
                                if (!ok || r.outputAddress() != t.mapped.get(i) + 8) {
                                    wrong.add(t.device.name() + " page " + i + ": " + r);
                                }
                            }
                            case 1 -> {
                                byte[] data = {(byte) random.nextInt(), (byte) i};
                                dma.write(t.device, -1, iova + 16, data, 0, 2);
                                byte[] back = new byte[2];
                                dma.read(t.device, -1, iova + 16, back, 0, 2);
                                long hpa = t.mapped.get(i) + 16;
                                if (memory.read8(hpa + 1) != (byte) i) {
                                    wrong.add(t.device.name() + " page " + i + ": DMA landed elsewhere");
                                }
                            }
                            case 2 -> registry.engine().invalidate(new InvalidationScope.Stage2Range(t.unit.index(),
                                    t.domain.tag(), iova, 0x1000, true));
                            default -> registry.engine().invalidate(new InvalidationScope.DeviceConfig(t.unit.index(),
                                    t.device.sourceId(), -1));
                        }
                    } catch (RuntimeException e) {
                        wrong.add(t.device.name() + " page " + i + ": " + e);
                    }
                    longestPauseNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                    operations.incrementAndGet();
                }
            }, "client-" + c));
        }
        Thread mapper = new Thread(() -> {
            for (int i = 16; i < 16 + SWAPS * 8 && !stop.get(); i++) {
                for (Target t : targets) {
                    t.map(i);
                }
                Thread.onSpinWait();
            }
        }, "mapper");
        threads.forEach(Thread::start);
        mapper.start();

        for (int swap = 1; swap <= SWAPS; swap++) {
            for (int k = 0; k < 2; k++) {
                long old = serviceIds[k];
                long next = 100L * swap + k;
                Supplier<IommuDriver> fresh = k == 0 ? VtdDriver::new : Smmuv3Driver::new;
                registry.removeDriver(old); // the old bundle stops: its calls in progress drain
                Thread.sleep(1); // the bundle is being updated: requests meanwhile wait
                registry.addDriver(binding(fresh.get(), k == 0 ? IommuDriver.KIND_INTEL_VTD
                        : IommuDriver.KIND_ARM_SMMUV3, swap, next));
                serviceIds[k] = next;
            }
            Thread.sleep(20);
        }
        mapper.join();
        Thread.sleep(50);
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }

        assertEquals(List.of(), new ArrayList<>(wrong), "wrong translations or client failures");
        assertTrue(operations.get() > 0);
        TranslationResult r = new TranslationResult();
        for (Target t : targets) {
            assertEquals(UnitState.ACTIVE, registry.unit(t.unit.name()).orElseThrow().state());
            assertEquals("1." + SWAPS + ".0", registry.unit(t.unit.name()).orElseThrow().driverVersion());
            assertEquals(16 + SWAPS * 8, t.mapped.size());
            for (Map.Entry<Integer, Long> m : t.mapped.entrySet()) {
                assertTrue(registry.engine().translate(t.unit.index(), t.device.sourceId(), -1,
                        IOVA_BASE + ((long) m.getKey() << 12), Access.READ, r), "mapping lost: " + m);
                assertEquals((long) m.getValue(), r.outputAddress());
            }
        }
        System.out.printf("hot swap under load: %d swaps per driver, %d client operations, longest pause %.3f ms%n",
                SWAPS, operations.get(), longestPauseNanos.get() / 1e6);
    }

    private static DriverBinding binding(IommuDriver driver, String kind, int minor, long serviceId) {
        return new DriverBinding(driver, kind, "io.nestor.driver." + kind, 10 + serviceId, "1." + minor + ".0", 0,
                serviceId);
    }
}
