package io.nestor.core.translate;

import static io.nestor.core.testformat.TestPageTableFormat.A;
import static io.nestor.core.testformat.TestPageTableFormat.R;
import static io.nestor.core.testformat.TestPageTableFormat.V;
import static io.nestor.core.testformat.TestPageTableFormat.W;
import static io.nestor.core.translate.NestedPlatformFixture.DID;
import static io.nestor.core.translate.NestedPlatformFixture.GUEST_RAM;
import static io.nestor.core.translate.NestedPlatformFixture.PASID;
import static io.nestor.core.translate.NestedPlatformFixture.S1_ROOT;
import static io.nestor.core.translate.NestedPlatformFixture.SID;
import static io.nestor.core.translate.NestedPlatformFixture.UNIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.translation.Access;
import io.nestor.api.translation.InvalidationScope;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A bounded smoke test of the engine under concurrent translation, remapping and invalidation: a
 * writer flips one page between two guest pages, invalidating after each flip, while readers
 * translate it and 63 fixed pages. Readers must only ever see one of the two targets for the
 * flipping page and the right target for the others; once the writer is done, every thread sees the
 * final mapping (no fill that raced with the last invalidation survived it).
 */
class EngineConcurrencyTest {
    private static final long IOVA = 0x7_0000_0000L;
    private static final long DATA_IPA = 0x100_0000;
    private static final long FLIP_A = 0x200_0000;
    private static final long FLIP_B = 0x201_0000;
    private static final int PAGES = 64;
    private static final int READERS = 3;
    private static final int FLIPS = 400;

    @Test
    void readersSeeOnlyLegalTranslationsAndTheFinalMappingAfterTheLastInvalidation() throws Exception {
        NestedPlatformFixture p = new NestedPlatformFixture();
        for (int i = 1; i < PAGES; i++) {
            p.mapStage1(S1_ROOT, IOVA + i * 0x1000L, DATA_IPA + i * 0x1000L, R | A);
        }
        p.mapStage1(S1_ROOT, IOVA, FLIP_A, R | W | A);
        long leaf = p.entryIpa(p.stage1Table(S1_ROOT, IOVA, 0), 0, IOVA);

        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < READERS; t++) {
            threads.add(new Thread(() -> {
                TranslationResult r = new TranslationResult();
                try {
                    start.await();
                    for (long n = 0; !done.get() || n < 1000; n++) {
                        int i = (int) (n % PAGES);
                        long iova = IOVA + i * 0x1000L + 8;
                        if (!p.engine.translate(UNIT, SID, PASID, iova, Access.READ, r)) {
                            failure.compareAndSet(null, "fault " + r.fault());
                            return;
                        }
                        long out = r.outputAddress();
                        boolean legal = i == 0
                                ? out == GUEST_RAM + FLIP_A + 8 || out == GUEST_RAM + FLIP_B + 8
                                : out == GUEST_RAM + DATA_IPA + i * 0x1000L + 8;
                        if (!legal) {
                            failure.compareAndSet(null, String.format("page %d -> 0x%x", i, out));
                            return;
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        threads.forEach(Thread::start);
        start.countDown();
        for (int f = 1; f <= FLIPS; f++) {
            p.guestWrite(leaf, (f % 2 == 0 ? FLIP_A : FLIP_B) | V | R | W | A);
            if (f % 3 == 0) {
                p.engine.invalidate(new InvalidationScope.AddressSpaceRange(UNIT, DID, PASID, IOVA, 0x1000, true));
            } else if (f % 3 == 1) {
                p.engine.invalidate(new InvalidationScope.AddressSpace(UNIT, DID, PASID));
            } else {
                p.engine.invalidate(new InvalidationScope.Domain(UNIT, DID));
            }
        }
        done.set(true);
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertNull(failure.get());
        long expected = GUEST_RAM + (FLIPS % 2 == 0 ? FLIP_A : FLIP_B) + 8;
        TranslationResult r = new TranslationResult();
        for (int i = 0; i < 3; i++) {
            assertTrue(p.engine.translate(UNIT, SID, PASID, IOVA + 8, Access.READ, r));
            assertEquals(expected, r.outputAddress(), "after the last invalidation only the final mapping");
        }
    }
}
