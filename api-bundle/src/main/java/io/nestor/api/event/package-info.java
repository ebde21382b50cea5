/**
 * A session's event stream: faults of the devices it drives, page requests, and unit state changes.
 * An open subscription also keeps the session's lease alive.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.nestor.api.event;
