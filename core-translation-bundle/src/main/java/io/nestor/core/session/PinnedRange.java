package io.nestor.core.session;

import java.util.List;

/**
 * Bytes of session memory held in place for DMA: while a pin is held, the regions under it cannot
 * be destroyed ({@code EBUSY}), so the host physical runs it reports stay valid.
 *
 * <p>{@link #release()} must be called exactly once; a second call is a bug and throws.
 */
public interface PinnedRange {

    /** Bytes pinned. */
    long length();

    /** The host physical runs covering the range, in order, together exactly {@link #length()} bytes. */
    List<PhysicalRun> runs();

    /** Gives the pin back. */
    void release();
}
