/**
 * The platform as its clients (the gRPC gateway, the shell) see it: units, devices and the driver
 * bound to each unit, with change notifications.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.nestor.api.platform;
