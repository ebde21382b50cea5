package io.nestor.core.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The directory's index arithmetic at every depth and root width it takes (a root of up to 16 bits,
 * 12-bit nodes below): distinct page numbers never share storage, and lookups and range queries see
 * exactly the pages created.
 */
class SparsePageDirectoryTest {

    @ParameterizedTest
    @ValueSource(ints = {8, 12, 16, 17, 24, 28, 29, 36, 40, 44})
    void distinctPagesHaveDistinctStorageAtEveryGeometry(int bits) {
        SparsePageDirectory d = new SparsePageDirectory(bits, 4);
        long max = (1L << bits) - 1;
        long[] numbers = {0, 1, max, max - 1, max >>> 1, (max >>> 1) + 1, 1L << (bits - 1) | 0x5, 0xFFF & max};
        long[][] pages = new long[numbers.length][];
        int distinct = 0;
        for (int i = 0; i < numbers.length; i++) {
            boolean seen = false;
            for (int j = 0; j < i; j++) {
                seen |= numbers[j] == numbers[i];
            }
            pages[i] = d.findOrCreate(numbers[i]);
            if (!seen) {
                distinct++;
            }
            pages[i][0] = numbers[i];
        }
        assertEquals(distinct, d.pageCount());
        for (int i = 0; i < numbers.length; i++) {
            assertSame(pages[i], d.find(numbers[i]));
            assertEquals(numbers[i], d.find(numbers[i])[0], "page 0x" + Long.toHexString(numbers[i]));
        }
        assertNotSame(d.find(0), d.find(max));
        assertNull(d.find(2));
        assertNull(d.find(max - 2));
        assertTrue(d.anyIn(max, max));
        assertTrue(d.anyIn(2, max - 1));
        assertFalse(d.anyIn(2, 2));
        assertFalse(d.anyIn(max - 3, max - 2));
    }
}
