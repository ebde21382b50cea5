package io.nestor.driver.vtd;

import io.nestor.api.driver.IommuDriver;
import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.driver.UnitFeatures;
import io.nestor.api.memory.PhysicalMemory;

/**
 * Test fixture: a unit context over an {@link ArrayRegisterFile}. Memory is a double that fails on
 * any use, because in this issue the driver touches registers only.
 */
public record TestUnit(String name, UnitFeatures features, RegisterFile registers) implements UnitContext {

    public static TestUnit of(UnitFeatures features) {
        return new TestUnit("dmar0", features, new ArrayRegisterFile(128 * 1024));
    }

    @Override
    public String kind() {
        return IommuDriver.KIND_INTEL_VTD;
    }

    @Override
    public PhysicalMemory memory() {
        throw new AssertionError("the driver must not touch memory in this operation");
    }
}
