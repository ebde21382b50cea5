package io.nestor.core.walk;

import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Fault;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;
import io.nestor.api.translation.Translation;

/**
 * The caller-owned, reusable outcome of one walk, so that a walk allocates nothing: the walker
 * {@link #reset()}s it and fills either the success fields or the fault fields.
 *
 * <p>Besides the answer it records what a cache filler and a faithful model need: the leaf level of
 * each stage, and how many descriptor reads and descriptor writes (accessed / dirty updates) the
 * walk made.
 *
 * <p>Not thread-safe: one result per walking thread.
 */
public final class WalkResult {
    // success
    long outputAddress;
    int pageShift;
    int permissions;
    int stage1LeafLevel;
    int stage2LeafLevel;
    boolean writeMarked;
    // fault
    boolean faulted;
    FaultStage faultStage;
    FaultReason faultReason;
    int faultLevel;
    long faultAddress;
    boolean onStage1TableFetch;
    // accounting
    int memoryReads;
    int memoryWrites;

    // scratch of the stage walk in progress (output of one stage), not part of the answer
    long stageOutput;
    int stageShift;
    int stagePermissions;
    int stageLeafLevel;
    /** Host physical address of the stage leaf descriptor, for dirty marking on stage-1 updates. */
    long stageLeafDescriptor;
    /** Whether the stage leaf needs no dirty update for a write (see {@link #writeMarked()}). */
    boolean stageWriteMarked;
    /** The walk caches of the walk in progress, or null. */
    WalkShortcuts shortcuts;
    /** Who sees every descriptor read (debug walks only), or null; kept across {@link #reset()}. */
    WalkTrace trace;

    /** Sets (or, with {@code null}, clears) the observer of every descriptor read. */
    public void trace(WalkTrace newTrace) {
        trace = newTrace;
    }

    /** Clears every field, ready for the next walk. */
    public void reset() {
        outputAddress = 0;
        pageShift = 0;
        permissions = 0;
        stage1LeafLevel = -1;
        stage2LeafLevel = -1;
        writeMarked = false;
        faulted = false;
        faultStage = null;
        faultReason = null;
        faultLevel = -1;
        faultAddress = 0;
        onStage1TableFetch = false;
        memoryReads = 0;
        memoryWrites = 0;
    }

    boolean fault(FaultStage stage, FaultReason reason, int level, long address, boolean tableFetch) {
        faulted = true;
        faultStage = stage;
        faultReason = reason;
        faultLevel = level;
        faultAddress = address;
        onStage1TableFetch = tableFetch;
        return false;
    }

    /** Whether the walk faulted. */
    public boolean faulted() {
        return faulted;
    }

    /** The host physical address of the requested byte. */
    public long outputAddress() {
        return outputAddress;
    }

    /** log2 of the translated page: the smaller of the two stages' leaves in a nested walk. */
    public int pageShift() {
        return pageShift;
    }

    /** {@link Permission} bits granted, intersected over levels and stages. */
    public int permissions() {
        return permissions;
    }

    /**
     * Whether a write through this translation needs no descriptor update: every walked stage that
     * manages dirty state ({@code hardwareAccessedDirty}) has its leaf marked dirty, or the walk was a
     * permitted write that marked it. A cache may grant write permission only to such a translation,
     * so that the first write to a clean page walks again and marks it, as hardware does.
     */
    public boolean writeMarked() {
        return writeMarked;
    }

    /** Level of the stage-1 leaf, or -1 when stage 1 was not walked or did not reach a leaf. */
    public int stage1LeafLevel() {
        return stage1LeafLevel;
    }

    /** Level of the stage-2 leaf that translated the output, or -1. */
    public int stage2LeafLevel() {
        return stage2LeafLevel;
    }

    public FaultStage faultStage() {
        return faultStage;
    }

    public FaultReason faultReason() {
        return faultReason;
    }

    /** Level of the faulting descriptor in the faulting stage, or -1 when no descriptor was involved. */
    public int faultLevel() {
        return faultLevel;
    }

    /** Input address of the faulting stage: the IOVA for stage 1, the IPA for stage 2. */
    public long faultAddress() {
        return faultAddress;
    }

    /** For a stage-2 fault: whether it hit while fetching (or updating) a stage-1 descriptor. */
    public boolean onStage1TableFetch() {
        return onStage1TableFetch;
    }

    /** Descriptor reads the walk made, in both stages. */
    public int memoryReads() {
        return memoryReads;
    }

    /** Descriptor writes (accessed / dirty updates) the walk made. */
    public int memoryWrites() {
        return memoryWrites;
    }

    /** The success as an immutable record (allocates: for callers off the hot path). */
    public Translation translation() {
        if (faulted) {
            throw new IllegalStateException("walk faulted: " + faultStage + " " + faultReason);
        }
        return new Translation(outputAddress, pageShift, permissions);
    }

    /** The fault as an immutable record, for the request that was walked. */
    public Fault fault(int access, long iova) {
        if (!faulted) {
            throw new IllegalStateException("walk did not fault");
        }
        return new Fault(faultStage, faultReason, faultLevel, access, iova, faultAddress, onStage1TableFetch, 0);
    }

    @Override
    public String toString() {
        return faulted
                ? String.format("fault %s %s level %d at 0x%x%s, %d reads", faultStage, faultReason, faultLevel,
                        faultAddress, onStage1TableFetch ? " (s1 table fetch)" : "", memoryReads)
                : String.format("0x%x (2^%d, %s), %d reads, %d writes", outputAddress, pageShift,
                        Permission.toString(permissions), memoryReads, memoryWrites);
    }
}
