package io.nestor.core.iommufd;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The id → object table of one context: the kernel's {@code ictx->objects} xarray, allocated with
 * {@code XA_FLAGS_ALLOC1} and {@code xa_limit_31b} ({@code _iommufd_object_alloc}).
 *
 * <p>Ids: the lowest free id from 1 up to the limit ({@code INT_MAX} by default), so an id freed by
 * DESTROY is handed out again; a full table answers EBUSY, as {@code xa_alloc} does. An id is taken
 * at {@link #reserve} (the kernel stores {@code XA_ZERO_ENTRY}) and becomes visible at
 * {@link #publish}; in between, {@link #get} and {@link #destroy} answer ENOENT for it.
 *
 * <p>Thread-safe: one lock (this table) guards ids, the map and every object's user count. Object
 * {@code destroy}/{@code abort} callbacks run outside the lock.
 */
public final class ObjectTable {
    private final int limit;
    private final BitSet taken = new BitSet();
    private final TreeMap<Integer, IommufdObject> published = new TreeMap<>();

    /** @param limit the largest id (the kernel's {@code xa_limit_31b}: {@code Integer.MAX_VALUE}) */
    ObjectTable(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("id limit " + limit + " < 1");
        }
        this.limit = limit;
    }

    /**
     * Gives {@code object} the lowest free id and one user; it stays invisible until published.
     *
     * @throws IommuException EBUSY when every id up to the limit is taken
     */
    synchronized void reserve(IommufdObject object) {
        if (object.id != 0) {
            throw new IllegalStateException(object + " already has an id");
        }
        int id = taken.nextClearBit(1);
        if (id <= 0 || id > limit) {
            throw IommuException.of(Errno.EBUSY, "all %d object ids are in use", limit);
        }
        taken.set(id);
        object.id = id;
        object.users = 1;
    }

    /** Makes a reserved object visible to lookups and DESTROY ({@code iommufd_object_finalize}). */
    synchronized void publish(IommufdObject object) {
        checkReserved(object);
        object.published = true;
        published.put(object.id, object);
    }

    /**
     * Undoes a failed creation ({@code iommufd_object_abort_and_destroy}): runs the object's
     * {@link IommufdObject#abort()} and frees its id. The object was never visible.
     */
    void abort(IommufdObject object) {
        synchronized (this) {
            checkReserved(object);
        }
        try {
            object.abort();
        } finally {
            synchronized (this) {
                taken.clear(object.id);
            }
        }
    }

    private void checkReserved(IommufdObject object) {
        if (object.id == 0 || object.published || !taken.get(object.id)) {
            throw new IllegalStateException(object + " is not a reserved, unpublished object");
        }
    }

    /**
     * Looks up a published object of kind {@code type} and takes a user on it.
     *
     * @throws IommuException ENOENT for an id that is free, reserved, or of another kind
     */
    public synchronized <T extends IommufdObject> ObjectRef<T> get(int id, ObjectType type, Class<T> cls) {
        IommufdObject o = published.get(id);
        if (o == null || o.type() != type || !cls.isInstance(o)) {
            throw IommuException.of(Errno.ENOENT, "no %s object with id %d", type, Integer.toUnsignedLong(id));
        }
        o.users++;
        return new ObjectRef<>(this, cls.cast(o));
    }

    /**
     * Looks up a published object of any kind and takes a user on it (the kernel's
     * {@code IOMMUFD_OBJ_ANY} lookup, for {@code pt_id} and {@code hwpt_id} arguments).
     *
     * @throws IommuException ENOENT for an id that is free or reserved
     */
    public synchronized ObjectRef<IommufdObject> getAny(int id) {
        IommufdObject o = published.get(id);
        if (o == null) {
            throw IommuException.of(Errno.ENOENT, "no object with id %d", Integer.toUnsignedLong(id));
        }
        o.users++;
        return new ObjectRef<>(this, o);
    }

    /**
     * Destroys {@code object} if it is published and only the table holds it (an automatic domain
     * whose last device left, {@code iommufd_object_put_and_try_destroy}).
     *
     * @return whether it was destroyed
     */
    boolean destroyIfUnused(IommufdObject object) {
        synchronized (this) {
            if (!object.published || published.get(object.id) != object || object.users != 1) {
                return false;
            }
            detach(object);
        }
        object.destroy();
        return true;
    }

    /**
     * Destroys {@code object} and keeps its id taken until the context closes: a vDEVICE destroyed
     * because its device was unbound ({@code iommufd_vdevice_abort} with a tombstone, 6.17). Its
     * id answers ENOENT and is never handed out again. Users other than the table's are ignored:
     * the caller is tearing the object down on behalf of its owner.
     */
    void tombstone(IommufdObject object) {
        synchronized (this) {
            if (!object.published || published.get(object.id) != object) {
                return;
            }
            published.remove(object.id);
            object.users = 0;
            object.published = false;
        }
        object.destroy();
    }

    /** One more long-term user of a published object: an object that depends on it. */
    synchronized void addUser(IommufdObject object) {
        if (!object.published || published.get(object.id) != object) {
            throw new IllegalStateException(object + " is not published");
        }
        object.users++;
    }

    /** Drops a user taken by {@link #get} or {@link #addUser}; never the table's own. */
    synchronized void dropUser(IommufdObject object) {
        if (object.users <= 1) {
            throw new IllegalStateException(object + " has no user to drop");
        }
        object.users--;
    }

    /**
     * IOMMU_DESTROY: removes and destroys the object if the table holds its only user.
     *
     * @throws IommuException ENOENT for a free or reserved id, EBUSY while another user remains
     */
    public void destroy(int id) {
        IommufdObject o;
        synchronized (this) {
            o = published.get(id);
            if (o == null) {
                throw IommuException.of(Errno.ENOENT, "no object with id %d", Integer.toUnsignedLong(id));
            }
            if (o.users != 1) {
                throw IommuException.of(Errno.EBUSY, "%s has %d users besides the table", o, o.users - 1);
            }
            detach(o);
        }
        o.destroy();
    }

    private void detach(IommufdObject o) {
        published.remove(o.id);
        taken.clear(o.id);
        o.users = 0;
        o.published = false;
    }

    /**
     * Destroys every object leaves first ({@code iommufd_fops_release}): repeatedly destroys, in id
     * order, each object whose only user is the table, until none is left.
     *
     * @return the objects destroyed, in order
     * @throws IllegalStateException when objects remain that hold each other (a user-count bug)
     */
    List<IommufdObject> destroyAll() {
        List<IommufdObject> order = new ArrayList<>();
        while (true) {
            List<IommufdObject> round = new ArrayList<>();
            synchronized (this) {
                if (published.isEmpty()) {
                    return order;
                }
                for (Map.Entry<Integer, IommufdObject> e : new ArrayList<>(published.entrySet())) {
                    if (e.getValue().users == 1) {
                        round.add(e.getValue());
                        detach(e.getValue());
                    }
                }
                if (round.isEmpty()) {
                    throw new IllegalStateException("objects " + published.values()
                            + " hold each other, or a command still holds one");
                }
            }
            for (IommufdObject o : round) {
                o.destroy();
                order.add(o);
            }
        }
    }

    /** Whether {@code object} is still in the table under its id (not destroyed or reserved). */
    synchronized boolean isPublished(IommufdObject object) {
        return object.published && published.get(object.id) == object;
    }

    /** Whether any id is taken, reserved or published (the RLIMIT_MODE "objects exist" test). */
    synchronized boolean isEmpty() {
        return taken.isEmpty();
    }

    /** Published objects, by id. */
    public synchronized List<IommufdObject> objects() {
        return List.copyOf(published.values());
    }

    /** Users of a published object, the table's included (for tests and the shell). */
    public synchronized int users(int id) {
        IommufdObject o = published.get(id);
        return o == null ? 0 : o.users;
    }
}
