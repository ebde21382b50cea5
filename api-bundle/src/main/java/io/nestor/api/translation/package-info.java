/**
 * Vendor-neutral translation types: a decoded device / PASID configuration, a request's access,
 * a translation result and a fault, invalidation scopes, page requests and their responses.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.nestor.api.translation;
