package io.nestor.itests;

import static io.nestor.itests.support.Eventually.assertEventually;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.nestor.api.platform.Platform;
import io.nestor.api.platform.UnitState;
import io.nestor.itests.support.Failures;
import io.nestor.itests.support.NestedUnitRig;
import io.nestor.itests.support.Outside;
import io.nestor.itests.support.RebuiltBundle;
import io.nestor.itests.support.Services;
import io.nestor.itests.support.VmmSession;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * Issue 8's promise over the real loopback port: while client threads of a remote VMM keep both
 * units busy — IOAS map / unmap, batched Translate, HWPT_INVALIDATE (nested VT-d HWPT, SMMUv3
 * vIOMMU), DMA write and read — the VT-d and the SMMUv3 driver bundles are each updated 10 times to
 * a rebuilt bundle of a new version.
 *
 * <p>Asserted: no call fails at all (the platform's driver wait turns a swap into a bounded pause,
 * never an error status); every translation is the one the client's own last map or unmap implies
 * (zero wrong translations: a stable page always its page, the churn page its page right after the
 * map and a fault right after the unmap); every DMA write reads back, by DMA and in guest RAM; after
 * the swaps the mappings and attachments are all still there (the stable range maps again only
 * with EEXIST, every stable IOVA translates as before) and each unit runs the last version. The
 * longest pause any call saw is printed, not asserted (no timed assertions).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotSwapUnderLoadIT {
    private static final int SWAPS = 10;
    /** Operations every client thread must complete between two swaps: the load crosses each swap. */
    private static final long PROGRESS_PER_SWAP = 3;

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] configuration() {
        return NestorPlatformOptions.platform();
    }

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final AtomicLong wrongTranslations = new AtomicLong();
    private final Map<String, AtomicLong> longestPauseNanos = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> operations = new ConcurrentHashMap<>();

    @Test
    public void bothDriversUpdatedTenTimesUnderLoad() throws Exception {
        Platform platform = Services.await(context, Platform.class, null);
        assertEventually("units not ACTIVE", List.of(), () -> platform.units().stream()
                .filter(u -> u.state() != UnitState.ACTIVE).map(u -> u.name()).collect(Collectors.toList()));
        Path dir = Files.createTempDirectory("nestor-hotswap");
        try (VmmSession vmm = Outside.session(NestorPlatformOptions.grpcPort(), "hotswap-vmm", 0)) {
            try {
                List<NestedUnitRig> rigs = List.of(NestedUnitRig.vtd(vmm), NestedUnitRig.smmuv3(vmm));
                List<Thread> threads = new ArrayList<>();
                for (NestedUnitRig rig : rigs) {
                    threads.add(client(rig.unit + "/translate", () -> translateStable(vmm, rig)));
                    threads.add(client(rig.unit + "/map-unmap", () -> mapUnmapChurn(vmm, rig)));
                    threads.add(client(rig.unit + "/invalidate", () -> invalidate(vmm, rig)));
                    threads.add(client(rig.unit + "/dma", new DmaRoundTrip(vmm, rig)));
                }
                threads.forEach(Thread::start);
                try {
                    for (int i = 1; i <= SWAPS; i++) {
                        String version = "0.2." + i;
                        for (String[] driver : new String[][] {{NestorPlatformOptions.VTD_DRIVER_BSN, "dmar0"},
                                {NestorPlatformOptions.SMMUV3_DRIVER_BSN, "smmu0"}}) {
                            Bundle bundle = bundle(driver[0]);
                            Path rebuilt = RebuiltBundle.withVersion(bundle, version, dir);
                            Map<String, Long> before = snapshot();
                            try (InputStream in = Files.newInputStream(rebuilt)) {
                                bundle.update(in);
                            }
                            assertEventually(driver[1] + " on driver " + version, version + " ACTIVE",
                                    () -> platform.unit(driver[1]).map(u -> u.driverVersion() + " " + u.state())
                                            .orElse("none"));
                            awaitProgress(before);
                        }
                    }
                } finally {
                    running.set(false);
                    for (Thread t : threads) {
                        t.join(30_000);
                        assertTrue(t.getName() + " did not stop", !t.isAlive());
                    }
                }

                System.out.println("HotSwapUnderLoadIT: " + SWAPS + " updates of each driver; operations "
                        + new java.util.TreeMap<>(snapshot()) + "; longest pause per client (ms) "
                        + longestPauseNanos.entrySet().stream().sorted(Map.Entry.comparingByKey())
                                .map(e -> e.getKey() + "=" + String.format("%.1f", e.getValue().get() / 1e6))
                                .collect(Collectors.joining(", "))
                        + "; longest overall " + String.format("%.1f",
                                longestPauseNanos.values().stream().mapToLong(AtomicLong::get).max().orElse(0) / 1e6)
                        + " ms");
                assertEquals("client-visible failures", List.of(), failures);
                assertEquals("wrong translations", 0, wrongTranslations.get());

                for (NestedUnitRig rig : rigs) {
                    assertEquals(rig.unit + " driver", "0.2." + SWAPS + " ACTIVE",
                            platform.unit(rig.unit).map(u -> u.driverVersion() + " " + u.state()).orElse("none"));
                    assertArrayEquals(rig.unit + ": every stable page still translates (mapping and attachment kept)",
                            rig.stableOutputs, vmm.translateOutputs(rig.fd, rig.devId, VmmSession.NO_PASID,
                                    rig.stableIovas, VmmSession.PERM_READ));
                    assertEquals(rig.unit + ": the guest RAM mapping is still in the IOAS", "ALREADY_EXISTS/EEXIST",
                            Failures.statusOf("mapping guest RAM again", () -> vmm.ioasMap(rig.fd,
                                    VmmSession.MAP_FIXED_RW, rig.ioas, rig.ram.userVa(NestedUnitRig.GPA_BASE),
                                    NestedUnitRig.RAM_SIZE, NestedUnitRig.GPA_BASE)));
                }
            } finally {
                vmm.closeSessionQuietly();
            }
        }
    }

    // ---- the client threads -------------------------------------------------------------------

    private interface Step {
        void run() throws Exception;
    }

    /** A thread that repeats {@code step} until the test ends, timing each and recording failures. */
    private Thread client(String name, Step step) {
        AtomicLong count = operations.computeIfAbsent(name, k -> new AtomicLong());
        AtomicLong longest = longestPauseNanos.computeIfAbsent(name, k -> new AtomicLong());
        Thread t = new Thread(() -> {
            while (running.get()) {
                long start = System.nanoTime();
                try {
                    step.run();
                } catch (Throwable e) {
                    failures.add(name + ": " + e);
                    if (failures.size() > 20) {
                        return;
                    }
                }
                longest.accumulateAndGet(System.nanoTime() - start, Math::max);
                count.incrementAndGet();
            }
        }, name);
        t.setDaemon(true);
        return t;
    }

    private void translateStable(VmmSession vmm, NestedUnitRig rig) {
        long[] out = vmm.translateOutputs(rig.fd, rig.devId, VmmSession.NO_PASID, rig.stableIovas,
                VmmSession.PERM_READ | VmmSession.PERM_WRITE);
        if (!Arrays.equals(out, rig.stableOutputs)) {
            wrongTranslations.incrementAndGet();
            failures.add(rig.unit + " stable: " + Arrays.toString(out) + " instead of "
                    + Arrays.toString(rig.stableOutputs));
        }
    }

    /** Map, expect the page; unmap, expect a fault: what the client's own last call implies. */
    private void mapUnmapChurn(VmmSession vmm, NestedUnitRig rig) {
        vmm.ioasMap(rig.fd, VmmSession.MAP_FIXED_RW, rig.ioas, rig.churnUserVa, 0x1000, rig.churnGpa);
        expect(rig, "after map", rig.churnHostPhysical + 0x18, vmm.translateOutputs(rig.fd, rig.devId,
                VmmSession.NO_PASID, new long[] {rig.churnIova + 0x18}, VmmSession.PERM_READ)[0]);
        long unmapped = vmm.ioasUnmap(rig.fd, rig.ioas, rig.churnGpa, 0x1000);
        if (unmapped != 0x1000) {
            failures.add(rig.unit + " unmap returned " + unmapped);
        }
        expect(rig, "after unmap", -1, vmm.translateOutputs(rig.fd, rig.devId, VmmSession.NO_PASID,
                new long[] {rig.churnIova + 0x18}, VmmSession.PERM_READ)[0]);
    }

    private void expect(NestedUnitRig rig, String when, long expected, long actual) {
        if (expected != actual) {
            wrongTranslations.incrementAndGet();
            failures.add(rig.unit + " churn " + when + ": 0x" + Long.toHexString(actual) + " instead of 0x"
                    + Long.toHexString(expected));
        }
    }

    private void invalidate(VmmSession vmm, NestedUnitRig rig) {
        int done = vmm.hwptInvalidate(rig.fd, rig.invalidateId, rig.invalidateType, rig.invalidateEntryLen, 1,
                rig.invalidateEntry);
        if (done != 1) {
            failures.add(rig.unit + " HWPT_INVALIDATE handled " + done + " entries of 1");
        }
    }

    /** DMA writes a fresh value, DMA reads it back, and the guest sees it in its RAM. */
    private final class DmaRoundTrip implements Step {
        private final VmmSession vmm;
        private final NestedUnitRig rig;
        private long value;

        DmaRoundTrip(VmmSession vmm, NestedUnitRig rig) {
            this.vmm = vmm;
            this.rig = rig;
        }

        @Override
        public void run() {
            byte[] data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(++value).array();
            vmm.dmaWrite(rig.fd, rig.devId, VmmSession.NO_PASID, rig.dmaIova + 0x20, data);
            byte[] viaDma = vmm.dmaRead(rig.fd, rig.devId, VmmSession.NO_PASID, rig.dmaIova + 0x20, 8);
            byte[] inRam = rig.ram.read(rig.dmaGpa + 0x20, 8);
            if (!Arrays.equals(data, viaDma) || !Arrays.equals(data, inRam)) {
                wrongTranslations.incrementAndGet();
                failures.add(rig.unit + " DMA wrote " + Arrays.toString(data) + ", read " + Arrays.toString(viaDma)
                        + ", guest RAM holds " + Arrays.toString(inRam));
            }
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    private Map<String, Long> snapshot() {
        return operations.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get()));
    }

    /** Every client thread has done a few more operations since {@code before} (or the test is failing). */
    private void awaitProgress(Map<String, Long> before) {
        assertEventually("client threads lagging behind a swap", List.of(), () -> failures.size() > 20 ? List.of()
                : operations.entrySet().stream()
                        .filter(e -> e.getValue().get() < before.get(e.getKey()) + PROGRESS_PER_SWAP)
                        .map(Map.Entry::getKey).sorted().collect(Collectors.toList()));
    }

    private Bundle bundle(String bsn) {
        return Arrays.stream(context.getBundles()).filter(b -> bsn.equals(b.getSymbolicName())).findFirst()
                .orElseThrow(() -> new AssertionError("no bundle " + bsn));
    }
}
