package io.nestor.core.iommufd;

/**
 * Unsigned 64-bit arithmetic on IOVAs and lengths, as the kernel's {@code unsigned long} does it:
 * {@code ULONG_MAX} is {@code -1L}, and every comparison is unsigned.
 */
final class Iova {
    /** {@code ULONG_MAX} (and {@code U64_MAX}) as a Java long. */
    static final long ULONG_MAX = -1L;

    private Iova() {
    }

    /** {@code check_add_overflow(a, b, &sum)}: whether {@code a + b} wraps. */
    static boolean addOverflows(long a, long b) {
        return Long.compareUnsigned(a + b, a) < 0;
    }

    static boolean lt(long a, long b) {
        return Long.compareUnsigned(a, b) < 0;
    }

    static boolean le(long a, long b) {
        return Long.compareUnsigned(a, b) <= 0;
    }

    static long max(long a, long b) {
        return lt(a, b) ? b : a;
    }

    static long min(long a, long b) {
        return lt(a, b) ? a : b;
    }

    /** {@code roundup_pow_of_two(x)} for {@code 0 < x <= 2^63}, unsigned. */
    static long roundUpPowerOfTwo(long x) {
        if (x == 1) {
            return 1;
        }
        return 1L << (64 - Long.numberOfLeadingZeros(x - 1));
    }
}
