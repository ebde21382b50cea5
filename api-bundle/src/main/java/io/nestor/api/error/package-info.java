/**
 * Errno-style errors. Every failure a client can cause carries one of the kernel's errno values and a
 * message that names the offending value.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.nestor.api.error;
