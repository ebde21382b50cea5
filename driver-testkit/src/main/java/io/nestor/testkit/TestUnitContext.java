package io.nestor.testkit;

import io.nestor.api.driver.RegisterFile;
import io.nestor.api.driver.UnitContext;
import io.nestor.api.driver.UnitFeatures;
import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import io.nestor.api.memory.PhysicalMemory;
import io.nestor.api.translation.FaultException;
import io.nestor.api.translation.InvalidationScope;
import io.nestor.api.translation.PageResponse;
import io.nestor.api.translation.StageConfig;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Test fixture: a complete {@link UnitContext} for driver tests, playing the core's part so that a
 * test can see what the driver asked of it — the invalidation scopes it applied, the structure
 * pages it holds (a leak shows in {@link #livePages()}), the ids it took, the page responses it
 * delivered. Stage-2 translation for structure fetches goes to a {@link Stage2Translator} the test
 * installs (identity by default), since the core's walker is not available to driver tests.
 *
 * <p>Without memory (the {@code registersOnly} form) any use of {@link #memory()} fails the test:
 * operations that touch registers only must not reach for memory. Single-threaded use, except for
 * {@link #registerLock()}, which is a real lock.
 */
public class TestUnitContext implements UnitContext {

    private static final int PAGE_SHIFT = 12;

    /** Translates an IPA through stage 2 for a structure fetch. */
    @FunctionalInterface
    public interface Stage2Translator {
        long translate(StageConfig stage2, int domainTag, long ipa, int access) throws FaultException;
    }

    /** A page response as the hardware delivered it. */
    public record DeliveredResponse(int sourceId, PageResponse response) {
    }

    private final String name;
    private final String kind;
    private final UnitFeatures features;
    private final RegisterFile registers;
    private final PhysicalMemory memory;
    private final List<InvalidationScope> invalidations = new ArrayList<>();
    private final List<DeliveredResponse> responses = new ArrayList<>();
    private final Map<String, BitSet> ids = new HashMap<>();
    private final TreeMap<Long, Integer> livePages = new TreeMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    /** Structure pages come from the top quarter of the unit's output range, apart from test data. */
    private final long windowBase;
    private long bump;
    private int index;
    private Stage2Translator stage2 = (config, tag, ipa, access) -> ipa;

    /**
     * @param memory the unit's memory, or {@code null} when the operation under test must not
     *     touch memory
     */
    public TestUnitContext(String name, String kind, UnitFeatures features, RegisterFile registers,
            PhysicalMemory memory) {
        this.name = Objects.requireNonNull(name, "name");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.features = Objects.requireNonNull(features, "features");
        this.registers = Objects.requireNonNull(registers, "registers");
        this.memory = memory;
        int bits = memory != null ? Math.min(memory.addressBits(), features.outputAddressBits())
                : features.outputAddressBits();
        this.windowBase = 3L << (bits - 2);
    }

    /** A unit with a 128 KiB register file and no memory. */
    public static TestUnitContext registersOnly(String name, String kind, UnitFeatures features) {
        return new TestUnitContext(name, kind, features, new ArrayRegisterFile(128 * 1024), null);
    }

    /** A unit with a 128 KiB register file and a {@link MapPhysicalMemory} of its output width. */
    public static TestUnitContext withMemory(String name, String kind, UnitFeatures features) {
        return new TestUnitContext(name, kind, features, new ArrayRegisterFile(128 * 1024),
                new MapPhysicalMemory(features.outputAddressBits()));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public UnitFeatures features() {
        return features;
    }

    @Override
    public RegisterFile registers() {
        return registers;
    }

    @Override
    public PhysicalMemory memory() {
        if (memory == null) {
            throw new AssertionError("the driver must not touch memory in this operation");
        }
        return memory;
    }

    @Override
    public int index() {
        return index;
    }

    /** Sets the unit index the driver must use in its invalidation scopes. */
    public TestUnitContext index(int newIndex) {
        this.index = newIndex;
        return this;
    }

    @Override
    public int invalidate(InvalidationScope scope) {
        if (scope.unit() != index) {
            throw IommuException.of(Errno.EINVAL, "scope %s names unit %d, not %d", scope, scope.unit(), index);
        }
        invalidations.add(scope);
        return 0;
    }

    /** Every scope the driver applied, in order. */
    public List<InvalidationScope> invalidations() {
        return invalidations;
    }

    @Override
    public long allocatePages(int count) {
        if (count <= 0 || Integer.bitCount(count) != 1) {
            throw IommuException.of(Errno.EINVAL, "page count %d is not a power of two", count);
        }
        long span = (long) count << PAGE_SHIFT;
        long start = (windowBase + bump + span - 1) & -span;
        bump = start + span - windowBase;
        byte[] zero = new byte[1 << PAGE_SHIFT];
        for (int i = 0; i < count; i++) {
            memory().write(start + ((long) i << PAGE_SHIFT), zero, 0, zero.length);
        }
        livePages.put(start, count);
        return start;
    }

    @Override
    public void freePages(long address, int count) {
        Integer held = livePages.get(address);
        if (held == null || held != count) {
            throw IommuException.of(Errno.EINVAL, "no live allocation of %d pages at 0x%x", count, address);
        }
        livePages.remove(address);
    }

    /** Structure pages allocated and not freed. */
    public int livePages() {
        return livePages.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Whether {@code address} lies in a live structure allocation. */
    public boolean isLivePage(long address) {
        Map.Entry<Long, Integer> e = livePages.floorEntry(address);
        return e != null && address - e.getKey() < ((long) e.getValue() << PAGE_SHIFT);
    }

    @Override
    public int allocateId(String space, int min, int max) {
        BitSet used = ids.computeIfAbsent(space, k -> new BitSet());
        int id = used.nextClearBit(min);
        if (id > max) {
            throw IommuException.of(Errno.ENOSPC, "every %s id in [%d, %d] is taken", space, min, max);
        }
        used.set(id);
        return id;
    }

    @Override
    public void freeId(String space, int id) {
        BitSet used = ids.get(space);
        if (used == null || id < 0 || !used.get(id)) {
            throw IommuException.of(Errno.EINVAL, "%s id %d is not allocated", space, id);
        }
        used.clear(id);
    }

    /** How many ids of {@code space} are taken. */
    public int allocatedIds(String space) {
        BitSet used = ids.get(space);
        return used == null ? 0 : used.cardinality();
    }

    @Override
    public Lock registerLock() {
        return lock;
    }

    /** Installs the stage-2 translator used for structure fetches. */
    public TestUnitContext stage2Translator(Stage2Translator translator) {
        this.stage2 = Objects.requireNonNull(translator, "translator");
        return this;
    }

    @Override
    public long translateStage2(StageConfig config, int domainTag, long ipa, int access) throws FaultException {
        return stage2.translate(config, domainTag, ipa, access);
    }

    @Override
    public void completePageRequest(int sourceId, PageResponse response) {
        responses.add(new DeliveredResponse(sourceId, response));
    }

    /** Every page response delivered to a device, in order. */
    public List<DeliveredResponse> deliveredResponses() {
        return responses;
    }
}
