package io.nestor.core.fault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.driver.HwInfo;
import io.nestor.api.driver.IommuDriver;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;
import io.nestor.api.translation.PageRequest;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.core.memory.SparsePhysicalMemory;
import io.nestor.core.platform.RecordingDriver;
import io.nestor.core.topology.TopologyFile;
import io.nestor.core.topology.UnitSpec;
import io.nestor.core.unit.DriverBinding;
import io.nestor.core.unit.IommuUnit;
import io.nestor.core.unit.UnitHost;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FaultReporterTest {

    private final RecordingDriver driver = new RecordingDriver(IommuDriver.KIND_INTEL_VTD, 1);
    private final UnitSpec spec = TopologyFile.embeddedDefault().units().get(0);
    private final DeviceInfo device = TopologyFile.embeddedDefault().devices().get(0);
    private final IommuUnit unit = new IommuUnit(spec, 0, new SparsePhysicalMemory(48), (UnitHost) null);
    private final FaultReporter reporter = new FaultReporter();

    private static Fault translationFault(int level) {
        return new Fault(FaultStage.STAGE1, FaultReason.TRANSLATION, level, Access.READ, 0x1000, 0x1000, false, 0);
    }

    private void bind() {
        unit.bind(new DriverBinding(driver, driver.kind(), "test", 1, "1.0.0", 0, 1));
        driver.calls.clear(); // reset and hw_info of the bind
    }

    @Test
    void theBoundDriverRecordsTheFaultAndListenersSeeItsRecord() {
        bind();
        List<FaultEvent> seen = new ArrayList<>();
        reporter.addListener(new UnitEventListener() {
            @Override
            public void fault(FaultEvent event) {
                seen.add(event);
            }
        });
        FaultEvent event = reporter.fault(unit, device, 5, translationFault(2));
        assertEquals(List.of("recordFault " + spec.name() + " " + device.name() + " 5"), driver.calls);
        assertEquals(List.of(event), seen);
        assertArrayEquals(new byte[] {(byte) FaultReason.TRANSLATION.ordinal(), 5}, event.record());
        assertEquals(1, event.sequence());
        assertEquals(spec.name(), event.unit());
    }

    @Test
    void withoutADriverTheFaultIsStillReportedWithAnEmptyRecord() {
        FaultEvent event = reporter.fault(unit, device, -1, translationFault(1));
        assertEquals(0, event.record().length);
        assertEquals(List.of(event), reporter.recent(spec.name(), 10));
    }

    @Test
    void recentFaultsAreNewestFirstAndBounded() {
        bind();
        int total = FaultReporter.RECENT_CAPACITY + 3;
        for (int i = 0; i < total; i++) {
            reporter.fault(unit, device, i & 0xff, translationFault(i & 3));
        }
        List<FaultEvent> recent = reporter.recent(spec.name(), 2);
        assertEquals(List.of((long) total, (long) total - 1), recent.stream().map(FaultEvent::sequence).toList());
        assertEquals(FaultReporter.RECENT_CAPACITY, reporter.recent(spec.name(), Integer.MAX_VALUE).size());
        assertEquals(3, reporter.overwritten(spec.name()));
        assertEquals(List.of(), reporter.recent("no-such-unit", 5));
    }

    @Test
    void aPageRequestNeedsADriverThatQueuesIt() {
        PageRequest request = new PageRequest(device.sourceId(), 1, 0x2000, Access.WRITE, 4, true, false, 0);
        IommuException noDriver = assertThrows(IommuException.class, () -> reporter.pageRequest(unit, device, request));
        assertEquals(Errno.EAGAIN, noDriver.errno());
        bind();
        IommuException unsupported = assertThrows(IommuException.class,
                () -> reporter.pageRequest(unit, device, request));
        assertEquals(Errno.EOPNOTSUPP, unsupported.errno(), "this driver does not implement page requests");
    }
}
