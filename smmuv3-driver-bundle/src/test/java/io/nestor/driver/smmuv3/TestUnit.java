package io.nestor.driver.smmuv3;

import io.nestor.api.driver.IommuDriver;
import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.driver.UnitFeatures;
import io.nestor.api.memory.PhysicalMemory;

/**
 * Test fixture: a unit context over an {@link ArrayRegisterFile} and, optionally, a
 * {@link MapPhysicalMemory}. Without memory, {@link #memory()} fails the test: operations that
 * only touch registers must not reach for memory.
 */
public record TestUnit(String name, UnitFeatures features, RegisterFile registers, PhysicalMemory optionalMemory)
        implements UnitContext {

    public TestUnit(String name, UnitFeatures features, RegisterFile registers) {
        this(name, features, registers, null);
    }

    public static TestUnit of(UnitFeatures features) {
        return new TestUnit("smmu0", features, new ArrayRegisterFile(128 * 1024));
    }

    public static TestUnit withMemory(UnitFeatures features, PhysicalMemory memory) {
        return new TestUnit("smmu0", features, new ArrayRegisterFile(128 * 1024), memory);
    }

    @Override
    public String kind() {
        return IommuDriver.KIND_ARM_SMMUV3;
    }

    @Override
    public PhysicalMemory memory() {
        if (optionalMemory == null) {
            throw new AssertionError("the driver must not touch memory in this operation");
        }
        return optionalMemory;
    }
}
