package io.nestor.core.topology;

import io.nestor.api.driver.IommuDriver;

/** Facts about unit kinds that the vendor-neutral topology needs to validate devices. */
final class IommuKinds {
    private IommuKinds() {
    }

    /**
     * Width of the requester IDs behind a unit: a VT-d source-id is the 16-bit PCI RID
     * (bus:device.function); an SMMUv3 StreamID is as wide as the unit's SIDSIZE.
     */
    static int sourceIdBits(UnitSpec unit) {
        if (IommuDriver.KIND_ARM_SMMUV3.equals(unit.kind())) {
            return unit.features().streamIdBits();
        }
        return 16;
    }
}
