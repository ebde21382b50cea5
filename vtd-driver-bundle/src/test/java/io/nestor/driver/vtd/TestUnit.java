package io.nestor.driver.vtd;

import io.nestor.api.driver.IommuDriver;
import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitFeatures;
import io.nestor.testkit.ArrayRegisterFile;
import io.nestor.testkit.TestUnitContext;

/** Test fixture: a VT-d unit context with registers only; any use of memory fails the test. */
public class TestUnit extends TestUnitContext {

    public TestUnit(String name, UnitFeatures features, RegisterFile registers) {
        super(name, IommuDriver.KIND_INTEL_VTD, features, registers, null);
    }

    public static TestUnit of(UnitFeatures features) {
        return new TestUnit("dmar0", features, new ArrayRegisterFile(128 * 1024));
    }
}
