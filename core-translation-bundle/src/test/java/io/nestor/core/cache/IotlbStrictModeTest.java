package io.nestor.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.pagetable.Permission;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class IotlbStrictModeTest {
    private final Iotlb iotlb = new Iotlb(256);
    private final long cached = IotlbEntry.pack(0x8000_0000L, 12, Permission.ALL);

    IotlbStrictModeTest() {
        iotlb.fill(iotlb.fillToken(), 2, 9, 5, IotlbKind.NESTED, 0x7000, cached);
    }

    @Test
    void offByDefaultAndTheRevalidatorIsNotCalled() {
        AtomicInteger calls = new AtomicInteger();
        iotlb.revalidator((u, d, a, k, iova, ctx) -> {
            calls.incrementAndGet();
            return IotlbEntry.MISS;
        });
        assertFalse(iotlb.isStrict());
        assertEquals(cached, iotlb.lookup(2, 9, 5, IotlbKind.NESTED, 0x7010));
        assertEquals(0, calls.get());
        assertEquals(0, iotlb.staleTranslationCount());
    }

    @Test
    void aDisagreeingRevalidatorProducesADiagnosticAndTheHitStillAnswersCached() {
        long fresh = IotlbEntry.pack(0x9000_0000L, 12, Permission.READ | Permission.USER);
        Object context = new Object();
        List<Object> contexts = new ArrayList<>();
        List<StaleTranslation> heard = new ArrayList<>();
        iotlb.revalidator((u, d, a, k, iova, ctx) -> {
            contexts.add(ctx);
            return fresh;
        });
        iotlb.staleTranslationListener(heard::add);
        iotlb.setStrict(true);

        assertEquals(cached, iotlb.lookup(Iotlb.tag(2, 9, 5, IotlbKind.NESTED), 0x7010, context));

        assertEquals(1, iotlb.staleTranslationCount());
        StaleTranslation s = iotlb.recentStaleTranslations().get(0);
        assertEquals(new StaleTranslation(2, 9, 5, IotlbKind.NESTED, 0x7010, cached, fresh), s);
        assertEquals(List.of(s), heard);
        assertSame(context, contexts.get(0));
        assertTrue(s.toString().contains("0x90000000"), s.toString());
    }

    @Test
    void anAgreeingRevalidatorProducesNoDiagnostic() {
        AtomicInteger calls = new AtomicInteger();
        iotlb.revalidator((u, d, a, k, iova, ctx) -> {
            calls.incrementAndGet();
            return cached;
        });
        iotlb.setStrict(true);
        iotlb.lookup(2, 9, 5, IotlbKind.NESTED, 0x7000);
        iotlb.lookup(2, 9, 5, IotlbKind.NESTED, 0x7FFF);
        iotlb.lookup(2, 9, 5, IotlbKind.NESTED, 0x8000); // a miss: nothing to revalidate
        assertEquals(2, calls.get());
        assertEquals(0, iotlb.staleTranslationCount());
    }

    @Test
    void aWalkThatNowFaultsIsStale() {
        iotlb.revalidator((u, d, a, k, iova, ctx) -> IotlbEntry.MISS);
        iotlb.setStrict(true);
        for (int i = 0; i < StaleTranslationLog.KEPT + 10; i++) {
            iotlb.lookup(2, 9, 5, IotlbKind.NESTED, 0x7000 + i);
        }
        assertEquals(StaleTranslationLog.KEPT + 10, iotlb.staleTranslationCount());
        List<StaleTranslation> recent = iotlb.recentStaleTranslations();
        assertEquals(StaleTranslationLog.KEPT, recent.size(), "the log is bounded");
        assertEquals(0x7000 + StaleTranslationLog.KEPT + 9, recent.get(recent.size() - 1).iova());
        assertEquals(IotlbEntry.MISS, recent.get(0).fresh());
    }
}
