package io.nestor.api.pagetable;

/**
 * One configured instance of a page-table format: the geometry of a walk (granule, levels, index
 * bits per level, concatenated roots, address widths) and the meaning of a 64-bit descriptor.
 *
 * <p><b>Level numbering.</b> Levels count up from the leaf: level 0 translates the smallest page
 * (one granule), level {@code levels() - 1} is the root. Vendor numbering differs (x86 calls the
 * 4 KiB level "1", VMSAv8-64 calls it "3"); drivers convert when they encode a fault record.
 *
 * <p><b>Descriptors.</b> Every descriptor is 64 bits, little-endian in memory, at
 * {@code table + index * 8}. A descriptor decodes to {@link #KIND_INVALID}, {@link #KIND_TABLE} or
 * {@link #KIND_LEAF} (a page at level 0, a block / superpage above). Permissions are given for
 * table descriptors as well as leaves, because both x86 (R/W, U/S at every level) and VMSAv8-64
 * (APTable, XNTable) restrict hierarchically: the effective permission is the intersection along
 * the walk.
 *
 * <p>Implementations are immutable and hold no memory: they decode and encode numbers only. They
 * are called on the translation hot path, so they must not allocate.
 */
public interface PageTableFormat {

    int KIND_INVALID = 0;
    int KIND_TABLE = 1;
    int KIND_LEAF = 2;

    /** A short stable name, for example {@code x86-64-4level} or {@code vmsav8-s2-4k}. */
    String name();

    /** log2 of the granule: the smallest page and the unit of table allocation (12, 14 or 16). */
    int granuleShift();

    /** Number of levels walked, from the root ({@code levels() - 1}) down to level 0. */
    int levels();

    /** Index bits consumed at {@code level}; the root level may use fewer than a full table. */
    int indexBits(int level);

    /** The lowest input-address bit indexed at {@code level}; also log2 of a leaf's size there. */
    int levelShift(int level);

    /**
     * Number of root tables concatenated side by side (SMMU stage 2 with a reduced start level);
     * 1 for every other format. The root's index then spans {@code indexBits(root) + log2(count)}.
     */
    int rootTableCount();

    /** Input address width in bits; inputs with bits at or above it are address-size faults. */
    int inputAddressBits();

    /** Output address width in bits; outputs at or above it are address-size faults. */
    int outputAddressBits();

    /** Whether a leaf (page or block) may be formed at {@code level}. */
    boolean leafAllowed(int level);

    /**
     * Whether an input address is acceptable before the walk starts. The default accepts exactly the
     * addresses below {@code 1L << inputAddressBits()}; x86 first stage overrides it with the
     * canonical-address rule.
     */
    default boolean inputAddressValid(long address) {
        int bits = inputAddressBits();
        return bits >= 64 || (address >>> bits) == 0;
    }

    /** {@link #KIND_INVALID}, {@link #KIND_TABLE} or {@link #KIND_LEAF} for a descriptor at {@code level}. */
    int kind(long descriptor, int level);

    /** The next-level table address of a table descriptor. */
    long tableAddress(long descriptor, int level);

    /** The output address of a leaf descriptor (aligned to {@code 1L << levelShift(level)}). */
    long leafAddress(long descriptor, int level);

    /** {@link Permission} bits granted by a table or leaf descriptor at {@code level}. */
    int permissions(long descriptor, int level);

    /** Whether the descriptor's accessed flag is set (true for formats without one). */
    boolean accessed(long descriptor);

    /** Whether a leaf descriptor's dirty state is set (false for formats without one). */
    boolean dirty(long descriptor);

    /** The descriptor with its accessed flag set; {@code descriptor} itself if the format has none. */
    long withAccessed(long descriptor);

    /**
     * Whether the descriptor at {@code level} has its accessed flag set, as the walker asks it.
     * A format whose table descriptors carry no accessed flag answers {@code true} for them, so
     * that hardware accessed-flag management never writes one (VMSAv8-64 table descriptors have no
     * AF: bit 10 is ignored there and free for software). The default asks {@link #accessed(long)}.
     */
    default boolean accessed(long descriptor, int level) {
        return accessed(descriptor);
    }

    /**
     * The descriptor at {@code level} with its accessed flag set; {@code descriptor} itself where the
     * format has none at that level. The default asks {@link #withAccessed(long)}.
     */
    default long withAccessed(long descriptor, int level) {
        return withAccessed(descriptor);
    }

    /** The leaf descriptor marked dirty; {@code descriptor} itself if the format has none. */
    long withDirty(long descriptor);

    /** A table descriptor pointing at {@code tableAddress}, granting every permission. */
    long encodeTable(long tableAddress, int level);

    /** A leaf descriptor at {@code level} mapping {@code outputAddress} with {@link Permission} bits. */
    long encodeLeaf(long outputAddress, int level, int permissions);
}
