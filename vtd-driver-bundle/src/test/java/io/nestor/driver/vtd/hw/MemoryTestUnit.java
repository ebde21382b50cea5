package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.IommuDriver;
import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.driver.UnitFeatures;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.driver.vtd.ArrayRegisterFile;

/** Test fixture: a unit context with an {@link ArrayRegisterFile} and a {@link MapPhysicalMemory}. */
record MemoryTestUnit(String name, UnitFeatures features, RegisterFile registers, PhysicalMemory memory)
        implements UnitContext {

    static MemoryTestUnit of(UnitFeatures features) {
        return new MemoryTestUnit("dmar0", features, new ArrayRegisterFile(VtdRegisterOffsets.REGISTER_FILE_SIZE),
                new MapPhysicalMemory(features.outputAddressBits()));
    }

    @Override
    public String kind() {
        return IommuDriver.KIND_INTEL_VTD;
    }
}
