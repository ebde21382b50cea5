package io.nestor.core.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SparsePhysicalMemoryTest {
    private final SparsePhysicalMemory mem = new SparsePhysicalMemory(48);

    @Test
    void unwrittenMemoryReadsZeroAndAllocatesNothing() {
        assertEquals(0, mem.read64(0x1234_5000L));
        assertEquals(0, mem.read8((1L << 48) - 1));
        byte[] buf = new byte[10000];
        buf[7] = 9;
        mem.read(0x7000_0003L, buf, 0, buf.length);
        assertArrayEquals(new byte[10000], buf);
        assertEquals(0, mem.backedPageCount());
        mem.write64(0x5000, 0); // writing zero to an unbacked page stays sparse
        assertEquals(0, mem.backedPageCount());
    }

    @Test
    void accessesAreLittleEndianAtEverySize() {
        mem.write64(0x1000, 0x0807060504030201L);
        assertEquals(1, mem.backedPageCount());
        assertEquals(0x01, mem.read8(0x1000));
        assertEquals(0x08, mem.read8(0x1007));
        assertEquals(0x0302, mem.read16(0x1001));
        assertEquals(0x06050403, mem.read32(0x1002));
        mem.write16(0x1003, (short) 0xBEEF);
        assertEquals(0x080706BEEF030201L, mem.read64(0x1000));
        mem.write32(0x1004, 0xCAFEBABE);
        assertEquals(0xCAFEBABEEF030201L, mem.read64(0x1000));
        mem.write8(0x1000, (byte) 0xFF);
        assertEquals((byte) 0xFF, mem.read8(0x1000));
        assertEquals(0xCAFEBABEEF0302FFL, mem.read64(0x1000));
    }

    @Test
    void unalignedAccessesSpanWordsAndPages() {
        long addr = 0x2FFD; // crosses the 0x3000 page boundary
        mem.write64(addr, 0x1122334455667788L);
        assertEquals(0x1122334455667788L, mem.read64(addr));
        assertEquals(0x88, mem.read8(addr) & 0xFF);
        assertEquals(0x11, mem.read8(addr + 7) & 0xFF);
        assertEquals(0x44556677, mem.read32(addr + 1));
        assertEquals(2, mem.backedPageCount());
        mem.write32(0x4FFF, 0xA1B2C3D4);
        assertEquals((byte) 0xD4, mem.read8(0x4FFF));
        assertEquals((short) 0xB2C3, mem.read16(0x5000));
    }

    @Test
    void bulkReadAndWriteSpanPages() {
        byte[] src = new byte[3 * 4096 + 77];
        new Random(7).nextBytes(src);
        long base = 0x10_0FF3L;
        mem.write(base, src, 0, src.length);
        byte[] dst = new byte[src.length + 4];
        mem.read(base, dst, 2, src.length);
        for (int i = 0; i < src.length; i++) {
            assertEquals(src[i], dst[i + 2], "byte " + i);
        }
        assertEquals(src[100], mem.read8(base + 100));
        long expected = 0;
        for (int b = 7; b >= 0; b--) {
            expected = (expected << 8) | (src[(int) (0x10_1000L - base) + b] & 0xFF);
        }
        assertEquals(expected, mem.read64(0x10_1000L));
    }

    @Test
    void addressesBeyondTheSpaceFaultWithEfault() {
        long end = 1L << 48;
        assertEquals(Errno.EFAULT, assertThrows(IommuException.class, () -> mem.read64(end)).errno());
        assertEquals(Errno.EFAULT, assertThrows(IommuException.class, () -> mem.read64(end - 4)).errno());
        assertEquals(Errno.EFAULT, assertThrows(IommuException.class, () -> mem.write8(-1, (byte) 1)).errno());
        assertEquals(Errno.EFAULT,
                assertThrows(IommuException.class, () -> mem.write(end - 2, new byte[4], 0, 4)).errno());
        assertEquals(Errno.EFAULT,
                assertThrows(IommuException.class, () -> mem.compareAndSet64(end, 0, 1)).errno());
        IommuException e = assertThrows(IommuException.class, () -> mem.read32(end + 0x100));
        assertTrue(e.getMessage().contains("0x1000000000100"), e.getMessage());
        assertEquals(0, mem.backedPageCount());
    }

    @Test
    void compareAndSetReplacesOnlyTheExpectedValue() {
        assertTrue(mem.compareAndSet64(0x8000, 0, 5));
        assertFalse(mem.compareAndSet64(0x8000, 0, 6));
        assertEquals(5, mem.read64(0x8000));
        assertFalse(mem.compareAndSet64(0x9000, 3, 4)); // unbacked reads as zero
        assertEquals(0, mem.read64(0x9000));
        assertTrue(mem.compareAndSet64(0x8000, 5, -1L));
        assertEquals(-1L, mem.read64(0x8000));
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> mem.compareAndSet64(0x8004, 0, 1)).errno());
    }

    @Test
    void concurrentNarrowWritesToOneWordAreNotLost() throws Exception {
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            int lane = t;
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 20_000; i++) {
                    mem.write16(0xA000 + lane * 2, (short) i);
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        for (int t = 0; t < threads.length; t++) {
            assertEquals((short) 19_999, mem.read16(0xA000 + t * 2));
        }
    }

    @Test
    void aConcurrentReaderNeverSeesATornDescriptor() throws Exception {
        long a = 0x0123_4567_89AB_CDEFL;
        long b = ~a;
        mem.write64(0xB000, a);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Long> torn = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            for (int i = 0; i < 500_000; i++) {
                mem.write64(0xB000, (i & 1) == 0 ? b : a);
            }
            done.set(true);
        });
        writer.start();
        long seen = 0;
        while (!done.get() || seen < 1000) {
            long v = mem.read64(0xB000);
            if (v != a && v != b) {
                torn.compareAndSet(null, v);
            }
            seen++;
        }
        writer.join();
        assertEquals(null, torn.get());
    }

    @Test
    void rejectsBadAddressWidths() {
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> new SparsePhysicalMemory(64)).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> new SparsePhysicalMemory(8)).errno());
    }
}
