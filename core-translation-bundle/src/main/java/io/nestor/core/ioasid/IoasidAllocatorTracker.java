package io.nestor.core.ioasid;

import io.nestor.api.ioasid.IoasidAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * The glue between {@link IoasidAllocator} services and the platform's {@link IoasidSpace}: a
 * Declarative Services component holding a dynamic, multiple reference to the allocator services
 * calls {@link #bind} and {@link #unbind} from its bind / unbind methods, and {@link #useSpace}
 * whenever the platform builds a new space (for example after a topology change).
 *
 * <p>It remembers the bound allocators in bind order, so that a space installed later gets them
 * registered in the same order, and the first one bound is the active one everywhere.
 *
 * <p>Thread-safe. Lock order: this tracker, then the space's lock; the space never calls back.
 */
public final class IoasidAllocatorTracker {
    private final List<IoasidAllocator> bound = new ArrayList<>();
    private IoasidSpace space;

    public IoasidAllocatorTracker() {
    }

    public IoasidAllocatorTracker(IoasidSpace space) {
        this.space = space;
    }

    /** An allocator service arrived: it takes over allocation if it is the first one. */
    public synchronized void bind(IoasidAllocator allocator) {
        if (space != null) {
            space.registerAllocator(allocator);
        }
        bound.add(allocator);
    }

    /** An allocator service left: the next bound one, or the default allocator, takes over. */
    public synchronized void unbind(IoasidAllocator allocator) {
        bound.removeIf(a -> a == allocator);
        if (space != null) {
            space.unregisterAllocator(allocator);
        }
    }

    /**
     * Moves the bound allocators to {@code newSpace} (null: to no space): they are unregistered from
     * the previous space, whose PASIDs stay valid there, and registered with the new one.
     */
    public synchronized void useSpace(IoasidSpace newSpace) {
        if (space == newSpace) {
            return;
        }
        if (space != null) {
            for (IoasidAllocator a : bound) {
                space.unregisterAllocator(a);
            }
        }
        space = newSpace;
        if (space != null) {
            for (IoasidAllocator a : bound) {
                space.registerAllocator(a);
            }
        }
    }

    /** The allocators bound now, in bind order. */
    public synchronized List<IoasidAllocator> bound() {
        return List.copyOf(bound);
    }
}
