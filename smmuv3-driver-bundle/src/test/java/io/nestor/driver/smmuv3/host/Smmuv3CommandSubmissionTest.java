package io.nestor.driver.smmuv3.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.driver.ViommuDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.driver.smmuv3.Features;
import io.nestor.driver.smmuv3.hw.Smmuv3Queue;
import io.nestor.driver.smmuv3.hw.Smmuv3RegisterOffsets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Command-queue submission: wrap-around, the queue not enabled, and a command error. */
class Smmuv3CommandSubmissionTest {

    @Test
    void queueWrapsAndEveryCommandTakesEffectInOrder() {
        HostFixture f = HostFixture.typical();
        DomainDescriptor parent = f.driver.allocPagingDomain(f.unit, 1);
        ViommuDescriptor v = f.driver.allocViommu(f.unit, parent, 1, new byte[0]);
        Smmuv3DeviceReset.ensureUp(f.unit);
        f.unit.invalidations().clear();
        int n = 600; // plus 10 SYNCs: more than twice the 256-entry queue
        ByteBuffer b = ByteBuffer.allocate(16 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putLong(0x11 | (long) (i & 0xFFFF) << 48).putLong(0);
        }
        assertEquals(n, f.driver.invalidateViommu(f.unit, v, null, 1, 16, b.array()));
        List<InvalidationScope> scopes = f.unit.invalidations();
        assertEquals(n, scopes.size());
        for (int i = 0; i < n; i++) {
            assertEquals(new InvalidationScope.AddressSpace(0, v.tag(), i), scopes.get(i));
        }
        int prod = f.unit.registers().read32(Smmuv3RegisterOffsets.CMDQ_PROD);
        // 4 bring-up commands + 600 + 10 SYNCs = 614 = 2 * 256 + 102: wrap flag clear, index 102
        assertEquals(102, prod);
        assertEquals(prod, f.unit.registers().read32(Smmuv3RegisterOffsets.CMDQ_CONS));
    }

    @Test
    void aCommandErrorIsEio() {
        Features features = Features.typical();
        features.deviceTlb = false; // ATC_INV is then an illegal command (CERROR_ILL)
        HostFixture f = new HostFixture(features);
        DomainDescriptor parent = f.driver.allocPagingDomain(f.unit, 1);
        ViommuDescriptor v = f.driver.allocViommu(f.unit, parent, 1, new byte[0]);
        DeviceInfo device = HostFixture.device(7, false, false);
        byte[] atc = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0x40 | 1L << 32).putLong(52).array();
        IommuException e = assertThrows(IommuException.class,
                () -> f.driver.invalidateViommu(f.unit, v, Map.of(1L, device)::get, 1, 16, atc));
        assertEquals(Errno.EIO, e.errno());
        assertEquals(0L, e.outValues().get("entry_num"));
        // the bad command was skipped (replaced by a SYNC) and acknowledged: the queue goes on
        assertEquals(f.unit.registers().read32(Smmuv3RegisterOffsets.CMDQ_PROD),
                f.unit.registers().read32(Smmuv3RegisterOffsets.CMDQ_CONS) & 0x1FF, "CONS index and wrap");
        assertEquals(0, (f.unit.registers().read32(Smmuv3RegisterOffsets.GERROR)
                ^ f.unit.registers().read32(Smmuv3RegisterOffsets.GERRORN)) & 1, "CMDQ_ERR acknowledged");
        f.unit.invalidations().clear();
        byte[] asid = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0x11 | 3L << 48).putLong(0).array();
        assertEquals(1, f.driver.invalidateViommu(f.unit, v, null, 1, 16, asid));
        assertEquals(List.of(new InvalidationScope.AddressSpace(0, v.tag(), 3)), f.unit.invalidations());
    }

    @Test
    void submittingWithoutTheQueueEnabledIsEnodev() {
        HostFixture f = HostFixture.typical();
        IommuException e = assertThrows(IommuException.class,
                () -> Smmuv3CommandSubmission.issueWithSync(f.unit, List.of(Smmuv3CommandBuilder.tlbiNsnhAll())));
        assertEquals(Errno.ENODEV, e.errno());
    }

    @Test
    void fullMeansSameIndexOtherWrap() {
        assertEquals(true, Smmuv3Queue.isFull(0x100, 0x000, 8));
        assertEquals(false, Smmuv3Queue.isFull(0x0FF, 0x000, 8));
        assertEquals(false, Smmuv3Queue.isFull(0x105, 0x105, 8));
        assertEquals(true, Smmuv3Queue.isFull(0x005, 0x105, 8));
    }
}
