package io.nestor.core.iommufd;

import io.nestor.core.session.PhysicalRun;
import io.nestor.core.session.PinnedRange;
import java.util.List;
import java.util.function.Supplier;

/**
 * The memory behind one MAP or MAP_FILE, shared by every area made from it ({@code struct
 * iopt_pages}): its source address (the user VA, or the offset in the region), its length, whether
 * it may be written, and the pin on the session memory.
 *
 * <p>Counted: the command that created it holds one reference, each area one more, and a COPY in
 * progress one per slice it gathered. The pin is taken once, by {@link #pin()} (after the IOVA
 * checks, where the kernel pins), and given back when the last reference goes, so a region is
 * pinned exactly while some area or command uses it.
 *
 * <p>Guarded by the lock of the IOAS being changed; COPY's shared use across two IOASes only
 * touches the counter, which is synchronised here.
 */
final class PinnedPages {
    private final long sourceStart;
    private final long length;
    private final boolean writable;
    private final Supplier<PinnedRange> pinner;
    private PinnedRange range;
    private int refs = 1;

    /**
     * @param sourceStart the user VA (MAP) or region offset (MAP_FILE) of byte 0; its low bits
     *     steer automatic IOVA alignment
     * @param pinner takes the pin; may throw the session memory's errno
     */
    PinnedPages(long sourceStart, long length, boolean writable, Supplier<PinnedRange> pinner) {
        this.sourceStart = sourceStart;
        this.length = length;
        this.writable = writable;
        this.pinner = pinner;
    }

    long sourceStart() {
        return sourceStart;
    }

    long length() {
        return length;
    }

    boolean writable() {
        return writable;
    }

    /** Pins the memory if not yet pinned; on failure nothing is held. */
    synchronized void pin() {
        if (range == null) {
            range = pinner.get();
        }
    }

    synchronized boolean pinned() {
        return range != null;
    }

    synchronized List<PhysicalRun> runs() {
        if (range == null) {
            throw new IllegalStateException("pages not pinned");
        }
        return range.runs();
    }

    synchronized void get() {
        if (refs <= 0) {
            throw new IllegalStateException("pages already released");
        }
        refs++;
    }

    /** Drops one reference; the last one gives the pin back. */
    void put() {
        PinnedRange release = null;
        synchronized (this) {
            if (refs <= 0) {
                throw new IllegalStateException("pages released too often");
            }
            if (--refs == 0) {
                release = range;
                range = null;
            }
        }
        if (release != null) {
            release.release();
        }
    }
}
