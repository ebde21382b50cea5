package io.nestor.core.ioasid;

/**
 * Told when an owner frees a PASID that other users still hold — the series'
 * {@code IOASID_NOTIFY_FREE}, on which the IOMMU driver and KVM tore down their use of the PASID
 * and dropped their references so that it could really go.
 *
 * <p>Called with the space's lock held, on the thread that freed: an implementation may call
 * {@link IoasidSet#put} on that thread (the lock is reentrant) but must not wait for another thread
 * that needs the space, and should be quick (the kernel's chain was atomic).
 */
@FunctionalInterface
public interface IoasidFreeListener {

    /**
     * {@code pasid} of {@code owner} is now being freed; it leaves the space when the last
     * reference is put.
     */
    void freePending(IoasidSet owner, int pasid);
}
