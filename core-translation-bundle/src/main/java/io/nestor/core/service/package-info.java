/**
 * The core's implementation of the client-facing session API ({@code io.nestor.api.session},
 * {@code iommufd}, {@code dma}, {@code event}, {@code vfio}): sessions with leases, their memory
 * regions over host memory, their iommufd contexts and VFIO type1 containers, device DMA and event
 * routing. {@link
 * io.nestor.core.service.SessionManager} is the Declarative Services component; everything else is
 * reached through it.
 *
 * <p>Internal to the core bundle; not exported.
 */
package io.nestor.core.service;
