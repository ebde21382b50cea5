/**
 * Access to host physical memory: the space in which guest RAM, the host's page tables and every
 * structure that the emulated hardware reads (context / PASID entries, STEs, CDs, queues) live.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.nestor.api.memory;
