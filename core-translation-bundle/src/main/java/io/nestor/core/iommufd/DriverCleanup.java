package io.nestor.core.iommufd;

import io.nestor.api.driver.IommuDriver;
import io.nestor.core.platform.DriverRegistry;
import io.nestor.core.unit.IommuUnit;
import java.util.function.Consumer;

/**
 * A driver call made while an object is destroyed (freeing a domain or a vIOMMU, unbinding a
 * container's guest tables). Destruction
 * cannot fail — the object has already left the table — so a failure (no driver bound after the
 * registry's wait, or a driver error) is logged, and what the driver would have freed (a root
 * page, a tag) stays allocated in the unit: visible in its page and id counts, never reused
 * while still referenced.
 */
public final class DriverCleanup {
    private static final System.Logger LOG = System.getLogger(DriverCleanup.class.getName());

    private DriverCleanup() {
    }

    public static void run(DriverRegistry registry, IommuUnit unit, String what, Consumer<IommuDriver> op) {
        try {
            UnitDriver.run(registry, unit, op);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, unit.name() + ": " + what + " failed; its structures stay allocated", e);
        }
    }
}
