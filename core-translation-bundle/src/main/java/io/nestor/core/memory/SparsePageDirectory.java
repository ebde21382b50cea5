package io.nestor.core.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A radix tree from page number to a page's storage ({@code long[]} of little-endian words), built
 * lazily: a page and the directory nodes above it exist only once the page has been written.
 *
 * <p>Lookups take no lock: every slot is read with acquire semantics and filled once, by CAS, so a
 * reader either sees null (the page reads as zero) or a fully built node. Nodes are never removed,
 * so a reference once seen stays valid.
 *
 * <p>Each node below the root indexes {@link #NODE_BITS} bits of the page number; the root takes
 * whatever is left over, up to {@link #ROOT_MAX_BITS}, so a 48-bit space (36 page-number bits) is
 * 12 + 12 + 12 and a 52-bit one (40 bits) 16 + 12 + 12: three levels either way.
 */
final class SparsePageDirectory {
    static final int NODE_BITS = 12;
    /** The widest root: 2^16 slots, 256 KiB with compressed references. */
    static final int ROOT_MAX_BITS = 16;
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Object[].class);

    private final int depth;
    private final Object[] root;
    private final int words;
    private long pageCount;
    private final Object countLock = new Object();

    /**
     * @param pageNumberBits bits in a page number
     * @param wordsPerPage length of each page's {@code long[]}
     */
    SparsePageDirectory(int pageNumberBits, int wordsPerPage) {
        // The root may be up to ROOT_MAX_BITS wide, which saves a level (a dependent load on every
        // lookup) for wide spaces: 40 page-number bits (52-bit memory) are 16 + 12 + 12, not 4 + 3 * 12.
        int d = 1 + Math.max(0, (pageNumberBits - ROOT_MAX_BITS + NODE_BITS - 1) / NODE_BITS);
        this.depth = d;
        int rootBits = pageNumberBits - (d - 1) * NODE_BITS;
        this.root = new Object[1 << rootBits];
        this.words = wordsPerPage;
    }

    /** The page's words, or null when the page has never been written. Never allocates. */
    long[] find(long pageNumber) {
        Object[] node = root;
        for (int level = depth - 1; level > 0; level--) {
            node = (Object[]) SLOTS.getAcquire(node, (int) (pageNumber >>> (level * NODE_BITS)) & mask(node));
            if (node == null) {
                return null;
            }
        }
        return (long[]) SLOTS.getAcquire(node, (int) pageNumber & mask(node));
    }

    /** The page's words, allocating the page (zeroed) and its directory path if needed. */
    long[] findOrCreate(long pageNumber) {
        Object[] node = root;
        for (int level = depth - 1; level > 0; level--) {
            int i = (int) (pageNumber >>> (level * NODE_BITS)) & mask(node);
            Object next = SLOTS.getAcquire(node, i);
            if (next == null) {
                Object created = new Object[1 << NODE_BITS];
                next = SLOTS.compareAndExchange(node, i, null, created);
                if (next == null) {
                    next = created;
                }
            }
            node = (Object[]) next;
        }
        int i = (int) pageNumber & mask(node);
        Object page = SLOTS.getAcquire(node, i);
        if (page == null) {
            long[] created = new long[words];
            page = SLOTS.compareAndExchange(node, i, null, created);
            if (page == null) {
                synchronized (countLock) {
                    pageCount++;
                }
                return created;
            }
        }
        return (long[]) page;
    }

    /** Whether any page with number in {@code [first, last]} has storage. */
    boolean anyIn(long first, long last) {
        return anyIn(root, depth - 1, 0, first, last);
    }

    private boolean anyIn(Object[] node, int level, long prefix, long first, long last) {
        int shift = level * NODE_BITS;
        for (int i = 0; i < node.length; i++) {
            long lo = prefix | ((long) i << shift);
            long hi = lo + (1L << shift) - 1;
            if (hi < first || lo > last) {
                continue;
            }
            Object child = SLOTS.getAcquire(node, i);
            if (child == null) {
                continue;
            }
            if (level == 0 || anyIn((Object[]) child, level - 1, lo, first, last)) {
                return true;
            }
        }
        return false;
    }

    /** Pages that have storage. */
    long pageCount() {
        synchronized (countLock) {
            return pageCount;
        }
    }

    private static int mask(Object[] node) {
        return node.length - 1;
    }
}
