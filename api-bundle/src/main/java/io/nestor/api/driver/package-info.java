/**
 * The driver SPI, shaped like the kernel's {@code iommu_ops}: a vendor driver bundle registers one
 * {@link io.nestor.api.driver.IommuDriver} service per kind and plays both the host driver and the
 * hardware. Drivers hold no mutable state; the core hands them each unit's state on every call.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.nestor.api.driver;
