package io.nestor.core.walk;

import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.pagetable.PageTableFormat;
import io.nestor.api.pagetable.Permission;
import io.nestor.api.translation.Access;
import io.nestor.api.translation.FaultReason;
import io.nestor.api.translation.FaultStage;
import io.nestor.api.translation.StageConfig;
import io.nestor.api.translation.TranslationConfig;
import io.nestor.core.cache.WalkCacheEntry;
import io.nestor.core.pagetable.TableGeometry;

/**
 * The one page-table walker: walks any {@link PageTableFormat}, alone or nested (stage 1 over
 * stage 2), for every {@link io.nestor.api.translation.TranslationMode}.
 *
 * <p><b>Nesting</b> (hw-formats.md §3.1): every stage-1 descriptor address, root included, is an
 * intermediate address and is translated by a full stage-2 walk before it is read; the stage-1 output
 * is translated once more. With an n-level stage 1 over an m-level stage 2 and no caches that is
 * (n+1)(m+1)-1 descriptor reads, which {@link WalkResult#memoryReads()} counts.
 *
 * <p><b>Check order per descriptor</b>, following VMSAv8-64 fault priority (translation, address
 * size, access flag, permission): invalid descriptor, then output / next-table address beyond the
 * format's output width, then the access flag (leaf only; table descriptors of formats such as
 * VMSAv8-64 have no AF bit, so their "clear" flag means nothing), then permissions intersected over
 * the walk. In a nested walk stage 1's own permission check comes before stage 2 translates the
 * output, as both IOMMUs report stage-1 permission faults without looking at stage 2 for the data.
 *
 * <p><b>Accessed / dirty</b>: with the stage's {@code hardwareAccessedDirty}, every descriptor visited
 * with its accessed flag clear gets it set, and the leaf of a permitted write is marked dirty, each by
 * one CAS; a lost CAS re-reads the descriptor. In a nested walk such a write to a stage-1 descriptor
 * needs stage-2 write permission on its page (VT-d fault 0x77, SMMU S2 fault with CLASS=TT) and marks
 * that stage-2 leaf dirty when stage 2 manages dirty state.
 *
 * <p><b>Walk caches</b> ({@link WalkShortcuts}, optional): each stage walk may start at the deepest
 * table the caches know for its input and reports every table it reaches below that start. A
 * nested stage-1 table is reported with its host address, and only when the whole table lies in
 * one stage-2 page (so that address is the table's base for every index).
 *
 * <p><b>Hot path.</b> Stateless apart from the memory and thread-safe; takes no lock and allocates
 * nothing on success (the result goes into the caller's {@link WalkResult}). Only a memory error on a
 * descriptor read, which becomes an external abort, costs an exception.
 */
public final class TranslationWalker {
    /** Page shift reported for bypass, where there is no leaf: one 4 KiB page. */
    public static final int BYPASS_PAGE_SHIFT = 12;

    private static final int UPDATED = 0;
    private static final int RETRY = 1;
    private static final int FAULTED = -1;

    private final PhysicalMemory memory;
    private final long memoryEnd;

    public TranslationWalker(PhysicalMemory memory) {
        this.memory = memory;
        int bits = memory.addressBits();
        this.memoryEnd = bits >= 63 ? Long.MAX_VALUE : 1L << bits;
    }

    public PhysicalMemory memory() {
        return memory;
    }

    /**
     * Translates one request.
     *
     * @param config the device's (or PASID's) decoded configuration
     * @param iova the address the device issued
     * @param access {@link Access} bits of the request
     * @param out filled with the translation or the fault
     * @return whether the request translated
     */
    public boolean translate(TranslationConfig config, long iova, int access, WalkResult out) {
        return translate(config, iova, access, out, null);
    }

    /**
     * Translates one request, starting each stage walk at the deepest table {@code shortcuts}
     * knows and reporting every table reached below it (the walk caches).
     *
     * <p>Stage 1 of a nested walk whose stage 1 manages accessed / dirty flags never starts from a
     * shortcut: updating a descriptor there needs the stage-2 write permission of its page, which a
     * cached host address does not carry.
     *
     * @param shortcuts the walk caches, or {@code null} for a walk from the roots
     */
    public boolean translate(TranslationConfig config, long iova, int access, WalkResult out,
            WalkShortcuts shortcuts) {
        out.reset();
        out.shortcuts = shortcuts;
        int need = Access.requiredPermissions(access);
        boolean write = (access & Access.WRITE) != 0;
        switch (config.mode()) {
            case ABORT:
                return out.fault(FaultStage.CONFIG, FaultReason.CONFIGURATION, -1, iova, false);
            case BYPASS:
                out.outputAddress = iova;
                out.pageShift = BYPASS_PAGE_SHIFT;
                out.permissions = Permission.ALL;
                out.writeMarked = true;
                return true;
            case STAGE1:
                if (!walkStage(FaultStage.STAGE1, config.stage1(), iova, need, write, null, false, out)) {
                    return false;
                }
                out.stage1LeafLevel = out.stageLeafLevel;
                return finishSingle(out);
            case STAGE2:
                if (!walkStage(FaultStage.STAGE2, config.stage2(), iova, need, write, null, false, out)) {
                    return false;
                }
                out.stage2LeafLevel = out.stageLeafLevel;
                return finishSingle(out);
            case NESTED:
                return translateNested(config.stage1(), config.stage2(), iova, need, write, out);
            default:
                throw new IllegalStateException("mode " + config.mode());
        }
    }

    private static boolean finishSingle(WalkResult out) {
        out.writeMarked = out.stageWriteMarked;
        out.outputAddress = out.stageOutput;
        out.pageShift = out.stageShift;
        out.permissions = out.stagePermissions;
        return true;
    }

    private boolean translateNested(StageConfig s1, StageConfig s2, long iova, int need, boolean write,
            WalkResult out) {
        if (!walkStage(FaultStage.STAGE1, s1, iova, need, write, s2, false, out)) {
            return false;
        }
        long ipa = out.stageOutput;
        int s1Shift = out.stageShift;
        int s1Perms = out.stagePermissions;
        boolean s1WriteMarked = out.stageWriteMarked;
        out.stage1LeafLevel = out.stageLeafLevel;
        if (!walkStage(FaultStage.STAGE2, s2, ipa, need, write, null, false, out)) {
            return false;
        }
        out.stage2LeafLevel = out.stageLeafLevel;
        out.writeMarked = s1WriteMarked && out.stageWriteMarked;
        out.outputAddress = out.stageOutput;
        out.pageShift = Math.min(s1Shift, out.stageShift);
        out.permissions = s1Perms & out.stagePermissions;
        return true;
    }

    /**
     * Walks one stage for {@code input}. On success leaves the stage's output, leaf shift,
     * permissions, leaf level and leaf descriptor address in the result's scratch fields.
     *
     * @param stage the stage being walked, for fault attribution
     * @param nestedUnder the stage 2 that translates this stage's descriptor addresses, or null
     * @param forStage1Fetch this is a stage-2 walk translating a stage-1 descriptor address
     */
    private boolean walkStage(FaultStage stage, StageConfig sc, long input, int need, boolean write,
            StageConfig nestedUnder, boolean forStage1Fetch, WalkResult out) {
        PageTableFormat f = sc.format();
        if (!f.inputAddressValid(input)) {
            return out.fault(stage, FaultReason.ADDRESS_SIZE, -1, input, forStage1Fetch);
        }
        boolean hwad = sc.hardwareAccessedDirty();
        int oas = f.outputAddressBits();
        int level = f.levels() - 1;
        long table = sc.rootAddress();
        int perms = Permission.ALL;
        WalkShortcuts shortcuts = out.shortcuts;
        // the current table's address is host physical (a shortcut of a nested stage 1)
        boolean hostTable = false;
        // a nested stage-1 table whose host address is known only once its descriptor is translated
        boolean reportTable = false;
        if (shortcuts != null && !(nestedUnder != null && hwad)) {
            long start = shortcuts.deepestTable(stage, f, input);
            if (start != WalkCacheEntry.MISS) {
                level = WalkCacheEntry.level(start);
                table = WalkCacheEntry.tableAddress(start);
                perms = WalkCacheEntry.permissions(start);
                hostTable = nestedUnder != null;
            }
        }
        while (true) {
            int index = TableGeometry.index(f, level, input);
            long descAddr = table + ((long) index << 3);
            long hpa = descAddr;
            int s2Perms = Permission.ALL;
            int s2Level = -1;
            long s2Leaf = 0;
            if (nestedUnder != null && !hostTable) {
                if (!walkStage(FaultStage.STAGE2, nestedUnder, descAddr, Permission.READ, false, null, true, out)) {
                    return false;
                }
                hpa = out.stageOutput;
                s2Perms = out.stagePermissions;
                s2Level = out.stageLeafLevel;
                s2Leaf = out.stageLeafDescriptor;
                // Cacheable only if the whole stage-1 table lies in this one stage-2 page.
                if (reportTable && out.stageShift >= f.granuleShift() && shortcuts != null) {
                    shortcuts.tableReached(stage, f, input, level, hpa - ((long) index << 3), perms);
                }
                reportTable = false;
            }
            if (hpa < 0 || hpa > memoryEnd - 8) {
                return out.fault(stage, FaultReason.EXTERNAL_ABORT, level, input, forStage1Fetch);
            }
            long d;
            try {
                d = memory.read64(hpa);
            } catch (IommuException e) {
                return out.fault(stage, FaultReason.EXTERNAL_ABORT, level, input, forStage1Fetch);
            }
            out.memoryReads++;
            if (out.trace != null) {
                out.trace.descriptor(stage, forStage1Fetch, level, input, descAddr, hpa, d);
            }
            int kind = f.kind(d, level);
            if (kind == PageTableFormat.KIND_INVALID || (kind == PageTableFormat.KIND_TABLE && level == 0)
                    || (kind == PageTableFormat.KIND_LEAF && !f.leafAllowed(level))) {
                return out.fault(stage, FaultReason.TRANSLATION, level, input, forStage1Fetch);
            }
            int p = perms & f.permissions(d, level);
            if (kind == PageTableFormat.KIND_TABLE) {
                long next = f.tableAddress(d, level);
                if (oas < 64 && (next >>> oas) != 0) {
                    return out.fault(stage, FaultReason.ADDRESS_SIZE, level, input, forStage1Fetch);
                }
                if (hwad && !f.accessed(d, level)) {
                    int r = update(hpa, d, f.withAccessed(d, level), descAddr, nestedUnder, s2Perms, s2Level, s2Leaf, out);
                    if (r == FAULTED) {
                        return false;
                    } else if (r == RETRY) {
                        continue;
                    }
                }
                perms = p;
                table = next;
                level--;
                hostTable = false;
                if (shortcuts != null && !(nestedUnder != null && hwad)) {
                    if (nestedUnder == null) {
                        shortcuts.tableReached(stage, f, input, level, next, p);
                    } else {
                        reportTable = true;
                    }
                }
                continue;
            }
            long oa = f.leafAddress(d, level);
            if (oas < 64 && (oa >>> oas) != 0) {
                return out.fault(stage, FaultReason.ADDRESS_SIZE, level, input, forStage1Fetch);
            }
            if (!hwad && !f.accessed(d, level)) {
                return out.fault(stage, FaultReason.ACCESS_FLAG, level, input, forStage1Fetch);
            }
            boolean permitted = (p & need) == need;
            if (hwad) {
                long nd = f.accessed(d, level) ? d : f.withAccessed(d, level);
                if (write && permitted && !f.dirty(nd)) {
                    nd = f.withDirty(nd);
                }
                if (nd != d) {
                    int r = update(hpa, d, nd, descAddr, nestedUnder, s2Perms, s2Level, s2Leaf, out);
                    if (r == FAULTED) {
                        return false;
                    } else if (r == RETRY) {
                        continue;
                    }
                }
            }
            if (!permitted) {
                return out.fault(stage, FaultReason.PERMISSION, level, input, forStage1Fetch);
            }
            int shift = f.levelShift(level);
            out.stageOutput = oa | (input & ((1L << shift) - 1));
            out.stageShift = shift;
            out.stagePermissions = p;
            out.stageLeafLevel = level;
            out.stageLeafDescriptor = hpa;
            out.stageWriteMarked = !hwad || f.dirty(d) || write && permitted;
            return true;
        }
    }

    /**
     * Writes an accessed / dirty update of the descriptor at host physical {@code hpa} (whose
     * address in its own stage's space is {@code descAddr}).
     */
    private int update(long hpa, long old, long updated, long descAddr, StageConfig nestedUnder, int s2Perms,
            int s2Level, long s2Leaf, WalkResult out) {
        if (nestedUnder != null) {
            if ((s2Perms & Permission.WRITE) == 0) {
                // The hardware's write of a stage-1 descriptor is a stage-2 write (VT-d SFL.8 / 0x77).
                out.fault(FaultStage.STAGE2, FaultReason.PERMISSION, s2Level, descAddr, true);
                return FAULTED;
            }
            if (nestedUnder.hardwareAccessedDirty()) {
                markDirty(nestedUnder.format(), s2Leaf, out);
            }
        }
        out.memoryWrites++;
        return memory.compareAndSet64(hpa, old, updated) ? UPDATED : RETRY;
    }

    private void markDirty(PageTableFormat f, long leafHpa, WalkResult out) {
        while (true) {
            long d = memory.read64(leafHpa);
            out.memoryReads++;
            if (f.dirty(d)) {
                return;
            }
            out.memoryWrites++;
            if (memory.compareAndSet64(leafHpa, d, f.withDirty(d))) {
                return;
            }
        }
    }
}
