package io.nestor.driver.smmuv3;

import io.nestor.api.driver.IommuDriver;
import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitFeatures;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.testkit.ArrayRegisterFile;
import io.nestor.testkit.TestUnitContext;

/**
 * Test fixture: an SMMUv3 unit context over a 128 KiB register file and, optionally, memory.
 * Without memory, any use of it fails the test: operations that only touch registers must not
 * reach for memory.
 */
public class TestUnit extends TestUnitContext {

    public TestUnit(String name, UnitFeatures features, RegisterFile registers, PhysicalMemory memory) {
        super(name, IommuDriver.KIND_ARM_SMMUV3, features, registers, memory);
    }

    public TestUnit(String name, UnitFeatures features, RegisterFile registers) {
        this(name, features, registers, null);
    }

    public static TestUnit of(UnitFeatures features) {
        return new TestUnit("smmu0", features, new ArrayRegisterFile(128 * 1024));
    }

    public static TestUnit withMemory(UnitFeatures features, PhysicalMemory memory) {
        return new TestUnit("smmu0", features, new ArrayRegisterFile(128 * 1024), memory);
    }
}
