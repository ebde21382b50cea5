package io.nestor.core.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class PciAddressTest {

    @Test
    void parsesLinuxStyleAddressesAndRefusesOthers() {
        assertEquals(Optional.of(new PciAddress(0, 0, 2, 0)), PciAddress.parse("0000:00:02.0"));
        assertEquals(Optional.of(new PciAddress(0, 1, 0, 1)), PciAddress.parse("01:00.1"), "segment defaults to 0");
        assertEquals(Optional.of(new PciAddress(0xabcd, 0xff, 0x1f, 7)), PciAddress.parse("abcd:ff:1f.7"));
        assertTrue(PciAddress.parse("0000:00:20.0").isEmpty(), "device numbers stop at 0x1f");
        assertTrue(PciAddress.parse("0000:00:02.8").isEmpty());
        assertTrue(PciAddress.parse("smmu0-dma0").isEmpty());
        assertEquals(0x0101, new PciAddress(0, 1, 0, 1).requesterId());
        assertEquals("0001:00:01.0", new PciAddress(1, 0, 1, 0).toString());
    }
}
