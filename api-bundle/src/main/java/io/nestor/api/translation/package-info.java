/**
 * Vendor-neutral translation types: a decoded device / PASID configuration, a request's access,
 * a translation result and a fault.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.nestor.api.translation;
