package io.nestor.driver.vtd.hw;

import io.nestor.api.driver.IommuDriver;
import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitFeatures;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.testkit.ArrayRegisterFile;
import io.nestor.testkit.MapPhysicalMemory;
import io.nestor.testkit.TestUnitContext;

/** Test fixture: a VT-d unit context with a VT-d sized register file and map-backed memory. */
class MemoryTestUnit extends TestUnitContext {

    MemoryTestUnit(String name, UnitFeatures features, RegisterFile registers, PhysicalMemory memory) {
        super(name, IommuDriver.KIND_INTEL_VTD, features, registers, memory);
    }

    static MemoryTestUnit of(UnitFeatures features) {
        return new MemoryTestUnit("dmar0", features, new ArrayRegisterFile(VtdRegisterOffsets.REGISTER_FILE_SIZE),
                new MapPhysicalMemory(features.outputAddressBits()));
    }
}
