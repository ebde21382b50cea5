package io.nestor.core.iommufd;

/**
 * An object in a context's table ({@code struct iommufd_object}): a kind, an id, and a count of
 * users.
 *
 * <p>Lifecycle (two-phase create, {@code main.c}): {@link ObjectTable#reserve} gives the object its
 * id with one user (the table's); the creator builds it; {@link ObjectTable#publish} makes it
 * visible, or {@link ObjectTable#abort} runs {@link #abort()} and frees the id. A reserved object is
 * never returned by a lookup and cannot be destroyed by id. Other objects that depend on this one
 * (an HWPT on its IOAS) and every lookup in progress hold one more user each; DESTROY succeeds only
 * when the table's is the only one left.
 *
 * <p>{@link #id} and {@link #users} are guarded by the owning table's lock.
 */
public abstract class IommufdObject {
    private final ObjectType type;
    int id;
    int users;
    boolean published;

    protected IommufdObject(ObjectType type) {
        this.type = type;
    }

    public final ObjectType type() {
        return type;
    }

    /** The id given at reservation; 0 before. */
    public final int id() {
        return id;
    }

    /**
     * Releases everything the object holds. Called once, after the object has left the table and no
     * user remains; must not throw for a fully built object.
     */
    protected abstract void destroy();

    /**
     * Undoes a partly built object whose creation failed before {@link ObjectTable#publish}; must
     * cope with whatever subset was built. Defaults to {@link #destroy()}, like {@code main.c} when a
     * type has no {@code abort} op.
     */
    protected void abort() {
        destroy();
    }

    @Override
    public String toString() {
        return type + "#" + id;
    }
}
