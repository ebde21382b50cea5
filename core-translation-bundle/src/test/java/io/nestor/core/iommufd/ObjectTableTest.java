package io.nestor.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ObjectTableTest {

    /** An object of any kind that records its destruction and may depend on others. */
    static final class Probe extends IommufdObject {
        final List<String> log;
        final ObjectTable table;
        final List<IommufdObject> holds = new ArrayList<>();
        boolean aborted;

        Probe(ObjectType type, ObjectTable table, List<String> log) {
            super(type);
            this.table = table;
            this.log = log;
        }

        void hold(IommufdObject other) {
            table.addUser(other);
            holds.add(other);
        }

        @Override
        protected void destroy() {
            for (IommufdObject o : holds) {
                table.dropUser(o);
            }
            holds.clear();
            log.add("destroy " + type() + "#" + id());
        }

        @Override
        protected void abort() {
            aborted = true;
            log.add("abort " + type() + "#" + id());
        }
    }

    private final List<String> log = new ArrayList<>();
    private final ObjectTable table = new ObjectTable(Integer.MAX_VALUE);

    private Probe create(ObjectType type) {
        Probe p = new Probe(type, table, log);
        table.reserve(p);
        table.publish(p);
        return p;
    }

    @Test
    void idsStartAtOneAndTheLowestFreeIdIsReused() {
        Probe a = create(ObjectType.IOAS);
        Probe b = create(ObjectType.IOAS);
        Probe c = create(ObjectType.FAULT);
        assertEquals(List.of(1, 2, 3), List.of(a.id(), b.id(), c.id()));
        table.destroy(2);
        table.destroy(1);
        assertEquals(1, create(ObjectType.VIOMMU).id(), "lowest free id first");
        assertEquals(2, create(ObjectType.VIOMMU).id());
        assertEquals(4, create(ObjectType.VIOMMU).id());
    }

    @Test
    void aFullTableAnswersEbusyAndAFreedIdComesBack() {
        ObjectTable small = new ObjectTable(3);
        for (int i = 0; i < 3; i++) {
            Probe p = new Probe(ObjectType.IOAS, small, log);
            small.reserve(p);
            small.publish(p);
        }
        Probe extra = new Probe(ObjectType.IOAS, small, log);
        IommuException e = assertThrows(IommuException.class, () -> small.reserve(extra));
        assertEquals(Errno.EBUSY, e.errno());
        assertEquals(0, extra.id());
        small.destroy(2);
        small.reserve(extra);
        assertEquals(2, extra.id());
    }

    @Test
    void aReservedObjectIsInvisibleUntilPublished() {
        Probe p = new Probe(ObjectType.IOAS, table, log);
        table.reserve(p);
        assertEquals(1, p.id());
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class,
                () -> table.get(1, ObjectType.IOAS, Probe.class)).errno());
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class, () -> table.destroy(1)).errno());
        assertTrue(table.objects().isEmpty());
        assertEquals(2, create(ObjectType.IOAS).id(), "the reserved id is taken");
        table.publish(p);
        try (ObjectRef<Probe> ref = table.get(1, ObjectType.IOAS, Probe.class)) {
            assertEquals(p, ref.get());
        }
    }

    @Test
    void abortRunsTheAbortOpAndFreesTheId() {
        Probe p = new Probe(ObjectType.HWPT_PAGING, table, log);
        table.reserve(p);
        table.abort(p);
        assertTrue(p.aborted);
        assertEquals(List.of("abort HWPT_PAGING#1"), log);
        assertEquals(1, create(ObjectType.IOAS).id(), "the aborted id is free again");
    }

    @Test
    void lookupOfAMissingIdOrAnotherKindIsEnoent() {
        create(ObjectType.IOAS);
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class,
                () -> table.get(1, ObjectType.HWPT_PAGING, Probe.class)).errno());
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class,
                () -> table.get(0, ObjectType.IOAS, Probe.class)).errno());
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class,
                () -> table.get(-1, ObjectType.IOAS, Probe.class)).errno());
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class, () -> table.destroy(7)).errno());
    }

    @Test
    void destroyIsEbusyWhileALookupOrADependentHoldsTheObject() {
        Probe ioas = create(ObjectType.IOAS);
        ObjectRef<Probe> ref = table.get(ioas.id(), ObjectType.IOAS, Probe.class);
        assertEquals(Errno.EBUSY, assertThrows(IommuException.class, () -> table.destroy(ioas.id())).errno());
        ref.close();
        Probe hwpt = create(ObjectType.HWPT_PAGING);
        hwpt.hold(ioas);
        assertEquals(2, table.users(ioas.id()));
        assertEquals(Errno.EBUSY, assertThrows(IommuException.class, () -> table.destroy(ioas.id())).errno());
        assertTrue(log.isEmpty(), "nothing destroyed by a refused DESTROY");
        table.destroy(hwpt.id());
        table.destroy(ioas.id());
        assertEquals(List.of("destroy HWPT_PAGING#2", "destroy IOAS#1"), log);
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class, () -> table.destroy(ioas.id())).errno());
    }

    @Test
    void destroyAllGoesLeavesFirst() {
        Probe ioas = create(ObjectType.IOAS);          // 1
        Probe viommu = create(ObjectType.VIOMMU);      // 2
        Probe hwpt = create(ObjectType.HWPT_PAGING);   // 3
        Probe device = create(ObjectType.DEVICE);      // 4
        Probe vdevice = create(ObjectType.VDEVICE);    // 5
        Probe nested = create(ObjectType.HWPT_NESTED); // 6
        Probe fault = create(ObjectType.FAULT);        // 7
        Probe veventq = create(ObjectType.VEVENTQ);    // 8
        hwpt.hold(ioas);
        viommu.hold(hwpt);
        vdevice.hold(viommu);
        vdevice.hold(device);
        nested.hold(viommu);
        nested.hold(fault);
        veventq.hold(viommu);
        List<IommufdObject> order = table.destroyAll();
        assertEquals(8, order.size());
        assertTrue(table.objects().isEmpty());
        assertTrue(table.isEmpty());
        for (Probe[] dependency : new Probe[][] {{hwpt, ioas}, {viommu, hwpt}, {vdevice, viommu},
                {vdevice, device}, {nested, viommu}, {nested, fault}, {veventq, viommu}}) {
            assertTrue(order.indexOf(dependency[0]) < order.indexOf(dependency[1]),
                    dependency[0] + " must go before " + dependency[1] + ": " + order);
        }
    }

    @Test
    void destroyAllRefusesACycle() {
        Probe a = create(ObjectType.IOAS);
        Probe b = create(ObjectType.HWPT_PAGING);
        a.hold(b);
        b.hold(a);
        assertThrows(IllegalStateException.class, table::destroyAll);
        assertFalse(table.objects().isEmpty());
    }
}
