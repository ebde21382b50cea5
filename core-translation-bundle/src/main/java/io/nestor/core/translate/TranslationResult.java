package io.nestor.core.translate;

import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.Translation;
import io.nestor.core.walk.WalkResult;

/**
 * The caller-owned, reusable outcome of one {@link TranslationEngine#translate} call, so that the
 * hit path and a successful walk allocate nothing. It also carries the per-thread scratch of the
 * miss path (the {@link WalkResult} and the walk-cache shortcuts), hence: not thread-safe, one per
 * translating thread.
 *
 * <p>After a call exactly one of two states holds: translated (output address, page shift,
 * permissions) or faulted ({@link #fault()}).
 */
public final class TranslationResult {
    final WalkResult walk = new WalkResult();
    final WalkCacheShortcuts shortcuts = new WalkCacheShortcuts();

    boolean translated;
    TranslationSource source;
    long outputAddress;
    int pageShift;
    int permissions;
    int access;
    long iova;
    /** A configuration fault; walk faults are read from {@link #walk}. */
    Fault configFault;

    void start(int access, long iova) {
        this.translated = false;
        this.source = null;
        this.outputAddress = 0;
        this.pageShift = 0;
        this.permissions = 0;
        this.access = access;
        this.iova = iova;
        this.configFault = null;
    }

    boolean hit(long outputAddress, int pageShift, int permissions) {
        this.translated = true;
        this.source = TranslationSource.IOTLB;
        this.outputAddress = outputAddress;
        this.pageShift = pageShift;
        this.permissions = permissions;
        return true;
    }

    boolean walked() {
        this.source = TranslationSource.WALK;
        if (walk.faulted()) {
            return false;
        }
        this.translated = true;
        this.outputAddress = walk.outputAddress();
        this.pageShift = walk.pageShift();
        this.permissions = walk.permissions();
        return true;
    }

    boolean configFault(Fault fault) {
        this.source = TranslationSource.CONFIG;
        this.configFault = fault;
        return false;
    }

    public boolean translated() {
        return translated;
    }

    public boolean faulted() {
        return !translated;
    }

    public TranslationSource source() {
        return source;
    }

    /** The host physical address of the requested byte. */
    public long outputAddress() {
        return outputAddress;
    }

    public int pageShift() {
        return pageShift;
    }

    /** {@link Permission} bits granted (as cached, for an IOTLB hit). */
    public int permissions() {
        return permissions;
    }

    /** Descriptor reads of the walk; 0 for an IOTLB hit or a configuration fault. */
    public int memoryReads() {
        return source == TranslationSource.WALK ? walk.memoryReads() : 0;
    }

    /** The success as a record (allocates). */
    public Translation translation() {
        if (!translated) {
            throw new IllegalStateException("request faulted: " + fault());
        }
        return new Translation(outputAddress, pageShift, permissions);
    }

    /** The fault of the request (allocates for a walk fault). */
    public Fault fault() {
        if (translated) {
            throw new IllegalStateException("request translated");
        }
        return configFault != null ? configFault : walk.fault(access, iova);
    }

    @Override
    public String toString() {
        return translated
                ? String.format("%s 0x%x (2^%d, %s)", source, outputAddress, pageShift, Permission.toString(permissions))
                : String.valueOf(fault());
    }
}
