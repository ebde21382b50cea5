package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.IommufdFixture.RW;
import static io.nestor.core.iommufd.IommufdFixture.RW_FIXED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random MAP (fixed and automatic), UNMAP and COPY against a reference model of the areas; after
 * every step the IOAS's areas equal the model's, and regularly every attached domain translates
 * exactly the modelled areas.
 */
class RandomizedIoasTest {
    private static final long VA = 0x10_0000_0000L;
    private static final long PA = 0x1_0000_0000L;
    private static final long P = 0x1000;
    private static final long SPACE = 1L << 24;

    /** iova → {last, physical address of iova}. */
    private final TreeMap<Long, long[]> model = new TreeMap<>();

    private List<IovaRange> modelRanges() {
        List<IovaRange> out = new ArrayList<>();
        for (Map.Entry<Long, long[]> e : model.entrySet()) {
            out.add(new IovaRange(e.getKey(), e.getValue()[0]));
        }
        return out;
    }

    private List<Map.Entry<Long, long[]>> meeting(long start, long last) {
        List<Map.Entry<Long, long[]>> out = new ArrayList<>();
        for (Map.Entry<Long, long[]> e : model.entrySet()) {
            if (e.getKey() <= last && e.getValue()[0] >= start) {
                out.add(e);
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void randomCommandsAgreeWithTheModel(long seed) {
        Random rnd = new Random(seed);
        IommufdFixture fx = new IommufdFixture();
        fx.region(VA, SPACE, PA, true);
        int ioas = fx.ioas();
        int other = fx.ioas();
        long rootsOnly = fx.allocator.livePages();
        PageTablePagingDomain d1 = fx.domainOf(fx.hwpt(ioas));
        PageTablePagingDomain d2 = fx.domainOf(fx.hwpt(ioas));
        long withRoots = fx.allocator.livePages();
        int[] outcomes = new int[5]; // fixed ok, EEXIST, unmap ok, unmap ENOENT, copies
        for (int step = 0; step < 400; step++) {
            int op = rnd.nextInt(10);
            long length = (1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 600)) * P;
            long va = VA + (rnd.nextLong() & (SPACE - length - 1) & -P);
            if (op < 4) {
                long iova = (rnd.nextLong() & (SPACE * 4 - 1)) & -P;
                boolean clash = !meeting(iova, iova + length - 1).isEmpty();
                if (clash) {
                    IommuException e = assertThrows(IommuException.class,
                            () -> fx.map(ioas, RW_FIXED, va, length, iova));
                    assertEquals(Errno.EEXIST, e.errno());
                    outcomes[1]++;
                } else {
                    assertEquals(iova, fx.map(ioas, RW_FIXED, va, length, iova));
                    model.put(iova, new long[] {iova + length - 1, PA + (va - VA)});
                    outcomes[0]++;
                }
            } else if (op < 6) {
                long iova = fx.map(ioas, RW, va, length, 0);
                assertNotEquals(0, iova);
                long align = Math.min(Math.min(Iova.roundUpPowerOfTwo(length), Long.lowestOneBit(va)), 2L << 20);
                assertEquals(0, iova & (align - 1), "automatic IOVA alignment");
                assertTrue(meeting(iova, iova + length - 1).isEmpty(), "automatic IOVA overlaps");
                model.put(iova, new long[] {iova + length - 1, PA + (va - VA)});
            } else if (op < 9) {
                long start = (rnd.nextLong() & (SPACE * 4 - 1)) & -P;
                long len = (1 + rnd.nextInt(2048)) * P;
                List<Map.Entry<Long, long[]>> hit = meeting(start, start + len - 1);
                boolean cuts = hit.stream().anyMatch(e -> e.getKey() < start || e.getValue()[0] > start + len - 1);
                if (hit.isEmpty() || cuts) {
                    IommuException e = assertThrows(IommuException.class,
                            () -> fx.context.ioas().unmap(ioas, start, len));
                    assertEquals(Errno.ENOENT, e.errno());
                    outcomes[3]++;
                } else {
                    long bytes = 0;
                    for (Map.Entry<Long, long[]> e : hit) {
                        bytes += e.getValue()[0] - e.getKey() + 1;
                        model.remove(e.getKey());
                    }
                    assertEquals(bytes, fx.context.ioas().unmap(ioas, start, len));
                    outcomes[2]++;
                }
            } else if (!model.isEmpty()) {
                Map.Entry<Long, long[]> src = model.ceilingEntry(rnd.nextLong() & (SPACE * 4 - 1));
                if (src == null) {
                    src = model.firstEntry();
                }
                long srcLen = src.getValue()[0] - src.getKey() + 1;
                fx.context.ioas().copy(new IoasCopyCommand(RW, other, ioas, srcLen, 0, src.getKey()));
                outcomes[4]++;
            }
            assertEquals(modelRanges(), fx.table(ioas).areaRanges(), "areas after step " + step);
            if (step % 25 == 0 || step == 399) {
                checkDomains(fx, d1, d2, rnd);
            }
        }
        for (int i = 0; i < outcomes.length; i++) {
            assertTrue(outcomes[i] > 0, "outcome " + i + " never happened: " + java.util.Arrays.toString(outcomes));
        }
        fx.context.ioas().unmap(ioas, 0, -1L);
        assertTrue(fx.leaves(d1).isEmpty());
        assertEquals(withRoots, fx.allocator.livePages(), "only the two roots remain");
        assertTrue(rootsOnly < withRoots);
        fx.context.close();
        assertEquals(0, fx.allocator.livePages());
        assertEquals(0, fx.regions.totalPins());
    }

    private void checkDomains(IommufdFixture fx, PageTablePagingDomain d1, PageTablePagingDomain d2, Random rnd) {
        long modelBytes = 0;
        for (Map.Entry<Long, long[]> e : model.entrySet()) {
            long len = e.getValue()[0] - e.getKey() + 1;
            modelBytes += len;
            long off = (rnd.nextLong() & Long.MAX_VALUE) % len & -P;
            for (PageTablePagingDomain d : List.of(d1, d2)) {
                assertEquals(e.getValue()[1] + off, fx.translate(d, e.getKey() + off));
                if (!model.containsKey(e.getValue()[0] + 1)) {
                    assertEquals(-1, fx.translate(d, e.getValue()[0] + 1), "nothing right after an area");
                }
            }
        }
        for (PageTablePagingDomain d : List.of(d1, d2)) {
            long leafBytes = fx.leaves(d).stream().mapToLong(l -> l[2]).sum();
            assertEquals(modelBytes, leafBytes, "the domain maps exactly the areas");
        }
    }
}
