package io.nestor.core.iommufd;

/**
 * A counted reference to a published object, from {@link ObjectTable#get}: while it is open the
 * object has one more user, so DESTROY of it answers EBUSY (as a concurrent ioctl's reference does
 * in the kernel). Close it exactly once, best with try-with-resources.
 */
public final class ObjectRef<T extends IommufdObject> implements AutoCloseable {
    private final ObjectTable table;
    private final T object;
    private boolean closed;

    ObjectRef(ObjectTable table, T object) {
        this.table = table;
        this.object = object;
    }

    public T get() {
        if (closed) {
            throw new IllegalStateException("reference to " + object + " already closed");
        }
        return object;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            table.dropUser(object);
        }
    }
}
