package io.nestor.driver.smmuv3.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.driver.DeviceInfo;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.PageResponseCode;
import io.nestor.driver.smmuv3.Features;
import io.nestor.driver.smmuv3.hw.Smmuv3Command;
import io.nestor.testkit.TestUnitContext.DeliveredResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Page responses: CMD_PRI_RESP and CMD_RESUME words, and what reaches the device. */
class Smmuv3PageResponsesTest {

    private static final int SID = 0x88;

    @Test
    void priResponseWithPasid() {
        HostFixture f = HostFixture.typical();
        DeviceInfo device = HostFixture.device(SID, true, true);
        Smmuv3DeviceReset.ensureUp(f.unit);
        int mark = f.commands().size();
        f.driver.pageResponse(f.unit, device, new PageResponse(5, 0x1AB, false, PageResponseCode.SUCCESS));
        Smmuv3Command cmd = f.commandsSince(mark).get(0);
        // PRI_RESP, SSV, SSID 5, SID; PRGIndex 0x1ab, Resp 2 (success)
        assertEquals(0x41 | 1L << 11 | 5L << 12 | (long) SID << 32, cmd.dword0());
        assertEquals(0x1AB | 2L << 12, cmd.dword1());
        assertEquals(List.of(new DeliveredResponse(SID, new PageResponse(5, 0x1AB, false, PageResponseCode.SUCCESS))),
                f.unit.deliveredResponses());
    }

    @Test
    void priResponseCodes() {
        HostFixture f = HostFixture.typical();
        DeviceInfo device = HostFixture.device(SID, true, true);
        Smmuv3DeviceReset.ensureUp(f.unit);
        int mark = f.commands().size();
        f.driver.pageResponse(f.unit, device, new PageResponse(-1, 3, false, PageResponseCode.INVALID));
        f.driver.pageResponse(f.unit, device, new PageResponse(-1, 4, false, PageResponseCode.FAILURE));
        List<Smmuv3Command> cmds = f.commandsSince(mark);
        assertEquals(0x41 | (long) SID << 32, cmds.get(0).dword0(), "no SSV without a PASID");
        assertEquals(3 | 0L << 12, cmds.get(0).dword1(), "INVALID is deny (0)");
        assertEquals(4 | 1L << 12, cmds.get(2).dword1(), "FAILURE is fail (1)");
        assertEquals(PageResponseCode.INVALID, f.unit.deliveredResponses().get(0).response().code());
        assertEquals(PageResponseCode.FAILURE, f.unit.deliveredResponses().get(1).response().code());
    }

    @Test
    void stallResume() {
        Features features = Features.typical();
        features.stall = true;
        HostFixture f = new HostFixture(features);
        DeviceInfo device = HostFixture.device(SID, false, false);
        Smmuv3DeviceReset.ensureUp(f.unit);
        int mark = f.commands().size();
        f.driver.pageResponse(f.unit, device, new PageResponse(-1, 0xBEEF, true, PageResponseCode.SUCCESS));
        f.driver.pageResponse(f.unit, device, new PageResponse(-1, 0x12, true, PageResponseCode.INVALID));
        List<Smmuv3Command> cmds = f.commandsSince(mark);
        assertEquals(new Smmuv3Command(0x44 | 1L << 12 | (long) SID << 32, 0xBEEF), cmds.get(0), "retry");
        assertEquals(new Smmuv3Command(0x44 | 2L << 12 | (long) SID << 32, 0x12), cmds.get(2), "abort");
        assertEquals(2, f.unit.deliveredResponses().size());
        assertEquals(true, f.unit.deliveredResponses().get(0).response().stall());
    }

    @Test
    void refusals() {
        HostFixture f = HostFixture.typical();
        DeviceInfo noPri = HostFixture.device(SID, true, false);
        DeviceInfo pri = HostFixture.device(SID, true, true);
        assertErrno(Errno.EOPNOTSUPP, f, noPri, new PageResponse(-1, 1, false, PageResponseCode.SUCCESS));
        assertErrno(Errno.EINVAL, f, pri, new PageResponse(-1, 0x200, false, PageResponseCode.SUCCESS));
        assertErrno(Errno.EOPNOTSUPP, f, pri, new PageResponse(-1, 1, true, PageResponseCode.SUCCESS));
        assertEquals(List.of(), f.unit.deliveredResponses());
    }

    private static void assertErrno(Errno errno, HostFixture f, DeviceInfo device, PageResponse response) {
        int commands = f.commands().size();
        IommuException e = assertThrows(IommuException.class, () -> f.driver.pageResponse(f.unit, device, response));
        assertEquals(errno, e.errno());
        assertEquals(commands, f.commands().size());
    }
}
