package io.nestor.driver.smmuv3.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.driver.DomainDescriptor;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.driver.smmuv3.hw.Smmuv3Command;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The paging-domain flush: the commands queued and the scopes the hardware half applied for them. */
class Smmuv3PagingFlushTest {

    private final HostFixture f = HostFixture.typical();

    @Test
    void aSmallRangeIsOneS2IpaPerGranuleAndANestParentAddsNhAllForItsVmidAndEachDependent() {
        DomainDescriptor parent = f.driver.allocPagingDomain(f.unit, Smmuv3HwptFlags.NEST_PARENT);
        Smmuv3DeviceReset.ensureUp(f.unit);
        int mark = f.commands().size();
        f.unit.invalidations().clear();
        f.driver.flushPagingRange(f.unit, parent, 0x40_0000L, 0x2000, new int[] {77});
        assertEquals(List.of(Smmuv3Command.TLBI_S2_IPA, Smmuv3Command.TLBI_S2_IPA, Smmuv3Command.TLBI_NH_ALL,
                Smmuv3Command.TLBI_S2_IPA, Smmuv3Command.TLBI_S2_IPA, Smmuv3Command.TLBI_NH_ALL, Smmuv3Command.SYNC),
                f.opcodesSince(mark));
        int u = f.unit.index();
        List<InvalidationScope> scopes = f.unit.invalidations();
        assertTrue(scopes.contains(new InvalidationScope.Stage2Range(u, parent.tag(), 0x40_1000L, 0x1000, false)),
                scopes.toString());
        assertTrue(scopes.contains(new InvalidationScope.Stage2Range(u, 77, 0x40_0000L, 0x1000, false)),
                scopes.toString());
        assertTrue(scopes.contains(new InvalidationScope.AddressSpace(u, 77, InvalidationScope.ANY)),
                scopes.toString());
    }

    @Test
    void aLargeRangeBecomesS12VmallPerVmid() {
        DomainDescriptor paging = f.driver.allocPagingDomain(f.unit, 0);
        Smmuv3DeviceReset.ensureUp(f.unit);
        int mark = f.commands().size();
        f.unit.invalidations().clear();
        f.driver.flushPagingRange(f.unit, paging, 0, 512L << 12, new int[0]);
        assertEquals(List.of(Smmuv3Command.TLBI_S12_VMALL, Smmuv3Command.SYNC), f.opcodesSince(mark));
        assertEquals(List.of(new InvalidationScope.Domain(f.unit.index(), paging.tag())), f.unit.invalidations());
    }

    @Test
    void nothingIsIssuedBeforeBringUpAndANestedDomainIsRefused() {
        DomainDescriptor paging = f.driver.allocPagingDomain(f.unit, 0);
        f.driver.flushPagingRange(f.unit, paging, 0, 0x1000, new int[0]);
        assertTrue(f.commands().isEmpty());
        DomainDescriptor nested = new DomainDescriptor(true, 5, 0, 48, 0, new byte[0]);
        IommuException e = assertThrows(IommuException.class,
                () -> f.driver.flushPagingRange(f.unit, nested, 0, 0x1000, new int[0]));
        assertEquals(Errno.EINVAL, e.errno());
    }
}
