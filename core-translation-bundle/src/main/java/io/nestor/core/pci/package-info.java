/**
 * Each PCI device's configuration space as vfio-pci shows it to a VMM: a type-0 header, a PCI
 * Express capability, and the PASID, ATS and PRI extended capabilities the device has, with the
 * registers' read-only / read-write / write-1-to-clear behaviour so that a VMM can enable them.
 * Entry point: {@link io.nestor.core.pci.PciFunction#of}.
 *
 * <p>Internal to the core bundle; not exported.
 */
package io.nestor.core.pci;
