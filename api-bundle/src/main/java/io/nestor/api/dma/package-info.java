/**
 * The device's side of a session: DMA requests translated by the device's unit exactly as the
 * hardware translates them (IOTLB, configuration from the tables in memory, nested walk), faults
 * recorded by the unit and reported, data moved through the translation, and page requests.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.nestor.api.dma;
