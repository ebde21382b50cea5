/**
 * Client sessions: the remote analogue of a process holding {@code /dev/iommu} and VFIO file
 * descriptors. A session owns its memory regions, iommufd contexts and event subscriptions; when it
 * is closed or its lease runs out, everything it owns is released, as closing the descriptors of an
 * exiting process releases it. Sessions cannot see each other's objects.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.nestor.api.session;
